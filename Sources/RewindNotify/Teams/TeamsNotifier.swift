import AsyncHTTPClient
import RewindCore
import RewindPorts

/// Posts to a Microsoft Teams Workflows (Power Automate) webhook — the URL is the credential — an
/// Adaptive Card envelope:
///
/// ```json
/// { "type": "message",
///   "attachments": [ { "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null,
///     "content": { "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
///       "version": "1.4",
///       "body": [ { "type": "TextBlock", "weight": "Bolder", "text": "🚨 AUTOMATED ROLLBACK INITIATED" },
///                 { "type": "TextBlock", "wrap": true, "text": "<the rendered message>" } ] } } ] }
/// ```
///
/// The body is the template rendered as plain Markdown (Adaptive Cards show Markdown, not HTML); its
/// first line is left out when it repeats the title. Any 2xx is success, except a 200 whose body
/// mentions 429 — the retired Office 365 connectors reported throttling that way — which is
/// `.rateLimited`.
public struct TeamsNotifier: Notifier {
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
            vendor: "Teams",
            url: url.value,
            secrets: DeliveryTarget.secrets(ofURL: url.value),
            credential: ChannelCredential.describe(channel: name, key: "url", url),
            redactor: redactor
        )
        self.delivery = HTTPDelivery(client: client, timeout: timeout, target: target)
    }

    public func send(_ notice: Notice) async throws {
        let card = TeamsMessage(notice, templates: templates)
        let answer = try await delivery.post(url.value, json: try PayloadEncoder.encode(card))
        let said = answer.text.quotedForMessage()
        guard (200...299).contains(answer.status) else {
            throw delivery.target.statusError(answer, said: said.isEmpty ? nil : said)
        }
        if said.contains("429") {
            throw delivery.target.error(.rateLimited, "Teams is rate limiting (429 in the answer): \(said)")
        }
    }
}

/// The Workflows message envelope around one Adaptive Card.
struct TeamsMessage: Encodable, Sendable {
    var type = "message"
    var attachments: [Attachment]

    struct Attachment: Encodable, Sendable {
        var contentType = "application/vnd.microsoft.card.adaptive"
        var contentURL: String?
        var content: Card

        enum CodingKeys: String, CodingKey {
            case contentType
            case contentURL = "contentUrl"
            case content
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(contentType, forKey: .contentType)
            try container.encode(contentURL, forKey: .contentURL)  // an explicit null, as documented
            try container.encode(content, forKey: .content)
        }
    }

    struct Card: Encodable, Sendable {
        var schema = "http://adaptivecards.io/schemas/adaptive-card.json"
        var type = "AdaptiveCard"
        var version = "1.4"
        var body: [TextBlock]

        enum CodingKeys: String, CodingKey {
            case schema = "$schema"
            case type, version, body
        }
    }

    struct TextBlock: Encodable, Sendable {
        var type = "TextBlock"
        var text: String
        var weight: String?
        var wrap: Bool?
    }

    init(_ notice: Notice, templates: NoticeTemplates) {
        let title = "\(notice.kind.emoji) \(notice.title)"
        var lines = templates.render(notice, as: .plainText).split(separator: "\n", omittingEmptySubsequences: false)
        if let first = lines.first, first.trimmingEdgeWhitespace == title {
            lines.removeFirst()
            while let next = lines.first, next.trimmingEdgeWhitespace.isEmpty { lines.removeFirst() }
        }
        let card = Card(body: [
            TextBlock(text: title, weight: "Bolder", wrap: true),
            TextBlock(text: lines.joined(separator: "\n"), wrap: true),
        ])
        attachments = [Attachment(content: card)]
    }
}
