import AsyncHTTPClient
import RewindCore
import RewindPorts

/// Posts to a Slack incoming webhook (`https://hooks.slack.com/services/…`; the URL is the credential).
///
/// Sends `{text, blocks}` (see ``SlackMessage``). Slack answers 200 with the body `ok`; anything else
/// fails: its plain-text error code (`invalid_payload`, `no_service`, `channel_is_archived`, …) becomes a
/// `.rejected` error (one that says the URL is wrong or revoked names the `url` key and its variable),
/// 429 `.rateLimited` with `Retry-After`, 5xx (`rollup_error`) `.server`. Error messages name only the
/// host, never the URL's secret path.
public struct SlackWebhookNotifier: Notifier {
    public let channel: String
    private let url: ConfigText
    private let templates: NoticeTemplates
    private let delivery: HTTPDelivery

    public init(
        url: ConfigText,
        name: String,
        templates: NoticeTemplates,
        client: HTTPClient,
        timeout: Duration = .seconds(10),
        redactor: Redactor = Redactor()
    ) {
        self.channel = name
        self.url = url
        self.templates = templates
        let target = DeliveryTarget(
            channel: name,
            vendor: "Slack",
            url: url.value,
            secrets: DeliveryTarget.secrets(ofURL: url.value),
            credential: ChannelCredential.describe(channel: name, key: "url", url),
            redactor: redactor
        )
        self.delivery = HTTPDelivery(client: client, timeout: timeout, target: target)
    }

    public func send(_ notice: Notice) async throws {
        let body = try PayloadEncoder.encode(SlackMessage(notice, templates: templates))
        let answer = try await delivery.post(url.value, json: body)
        let said = answer.text.quotedForMessage()
        if answer.status == 200 {
            guard said == "ok" else {
                throw delivery.target.error(.badResponse, "Slack answered 200 without `ok`: \(said)")
            }
            return
        }
        if Self.revokedHook.contains(said) {
            let target = delivery.target
            throw target.error(
                .rejected,
                "Slack no longer accepts this webhook (\(answer.status): \(said)); check \(target.credential): "
                    + "the URL of an active incoming webhook of the workspace"
            )
        }
        throw delivery.target.statusError(answer, said: said.isEmpty ? nil : said)
    }

    /// Slack's answers for a webhook URL that is wrong, revoked or belongs to a disabled workspace.
    static let revokedHook: Set<String> = ["no_service", "invalid_token", "no_team", "team_disabled"]
}
