import AsyncHTTPClient
import RewindCore
import RewindPorts

/// Posts with Slack's Web API, `chat.postMessage`, as a bot (`xoxb-…` token with `chat:write`).
///
/// Sends `{channel, text, blocks}` (see ``SlackMessage``) with `Authorization: Bearer <token>`. Slack
/// answers HTTP 200 even for API errors: `{"ok":false,"error":"…"}` fails with `invalid_auth`,
/// `not_authed`, `token_revoked`, `account_inactive`, `missing_scope` → `.auth`; `ratelimited` →
/// `.rateLimited`; `internal_error`, `fatal_error` → `.server`; any other code → `.rejected`.
/// HTTP 429 → `.rateLimited` with `Retry-After`. Note Slack has no idempotency: a retry after a
/// timeout can post twice.
public struct SlackChatNotifier: Notifier {
    public static let defaultAPIURL = "https://slack.com/api"

    public let channel: String
    private let token: ConfigText
    private let slackChannel: String
    private let endpoint: String
    private let templates: NoticeTemplates
    private let links: IncidentLinks
    private let delivery: HTTPDelivery

    /// - Parameters:
    ///   - channel: the Slack channel (an ID such as `C0123456789` is preferred, or `#name`).
    ///   - apiURL: the Web API base, `https://slack.com/api` for Slack itself.
    ///   - links: the dashboard link and whether messages carry buttons (``IncidentLinks``).
    ///   - name: the channel's name in Rewind's configuration.
    public init(
        token: ConfigText,
        channel: String,
        apiURL: String = Self.defaultAPIURL,
        links: IncidentLinks = .init(),
        name: String,
        templates: NoticeTemplates,
        client: HTTPClient,
        timeout: Duration = .seconds(10),
        redactor: Redactor = Redactor()
    ) {
        self.channel = name
        self.token = token
        self.slackChannel = channel
        let base = apiURL.droppingTrailing("/")
        // The configured URL is the Web API's base; the method's full URL is accepted as well.
        self.endpoint = base.hasSuffix("/chat.postMessage") ? base : base + "/chat.postMessage"
        self.templates = templates
        self.links = links
        let target = DeliveryTarget(
            channel: name,
            vendor: "Slack",
            url: endpoint,
            secrets: [token.value],
            credential: ChannelCredential.describe(channel: name, key: "token", token),
            redactor: redactor
        )
        self.delivery = HTTPDelivery(client: client, timeout: timeout, target: target)
    }

    private struct APIAnswer: Decodable {
        var ok: Bool
        var error: String?
    }

    public func send(_ notice: Notice) async throws {
        let body = try PayloadEncoder.encode(
            SlackMessage(notice, templates: templates, channel: slackChannel, links: links))
        let answer = try await delivery.post(
            endpoint,
            headers: [("Authorization", "Bearer \(token.value)")],
            json: body
        )
        let decoded = answer.decode(APIAnswer.self)
        guard answer.status == 200 else {
            throw delivery.target.statusError(answer, said: decoded?.error ?? nonEmpty(answer.text.quotedForMessage()))
        }
        guard let decoded else {
            throw delivery.target.error(.badResponse, "Slack's answer is not the Web API's JSON")
        }
        guard !decoded.ok else { return }
        throw Self.classify(apiError: decoded.error ?? "unknown_error", answer: answer, target: delivery.target)
    }

    static func classify(apiError code: String, answer: HTTPAnswer, target: DeliveryTarget) -> ProviderError {
        let code = code.quotedForMessage(limit: 100)
        switch code {
        case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "missing_scope",
            "not_allowed_token_type", "no_permission":
            return target.error(
                .auth,
                "Slack refused the token: \(code); check \(target.credential): a bot token (xoxb-…) with the "
                    + "chat:write scope, invited to the channel"
            )
        case "ratelimited", "rate_limited":
            let retryAfter = answer.retryAfter
            return target.error(.rateLimited, "Slack is rate limiting: \(code)", retryAfter: retryAfter)
        case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
            return target.error(.server, "Slack failed: \(code)")
        default:
            return target.error(.rejected, "Slack rejected the message: \(code)")
        }
    }

    private func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }
}
