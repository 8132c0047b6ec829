import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts

/// Opens and closes Opsgenie alerts with the Alert API (`Authorization: GenieKey <key>` of an API
/// integration), one alert per incident, aliased `rewind-incident-<id>` (Opsgenie keeps one open alert
/// per alias, so a retried create does not open a second one).
///
/// - initiated, failed, escalated, would_roll_back → `POST {url}/v2/alerts` with `message` (≤ 130
///   characters), `alias`, `description` (the rendered message, ≤ 15 000), `priority` (critical → P1,
///   high → P2, low → P3; a failed rollback is always P1; observe mode P5), `tags`, `details`, `source`,
///   `entity`.
/// - completed → `POST {url}/v2/alerts/rewind-incident-<id>/close?identifierType=alias` with
///   `{source, note}`.
///
/// Opsgenie answers 202 (asynchronous); 401/403 → `.auth`, other 4xx → `.rejected`, 429 →
/// `.rateLimited`, 5xx → `.server`.
public struct OpsgenieNotifier: Notifier {
    public static let defaultURL = "https://api.opsgenie.com"

    public let channel: String
    /// A repeated create folds into the open alert by its alias.
    public var foldsRepeats: Bool { true }
    private let apiKey: ConfigText
    private let baseURL: String
    private let templates: NoticeTemplates
    private let delivery: HTTPDelivery

    public init(
        apiKey: ConfigText,
        url: String = Self.defaultURL,
        name: String,
        templates: NoticeTemplates? = nil,
        client: HTTPClient,
        timeout: Duration = .seconds(10),
        redactor: Redactor = Redactor()
    ) {
        self.channel = name
        self.apiKey = apiKey
        self.baseURL = url.droppingTrailing("/")
        self.templates = templates ?? .builtIn
        let target = DeliveryTarget(
            channel: name,
            vendor: "Opsgenie",
            url: baseURL,
            secrets: [apiKey.value],
            credential: ChannelCredential.describe(channel: name, key: "api_key", apiKey),
            redactor: redactor
        )
        self.delivery = HTTPDelivery(client: client, timeout: timeout, target: target)
    }

    public func send(_ notice: Notice) async throws {
        let alias = OpsgenieAlert.alias(incident: notice.incidentID)
        let url: String
        let body: Data
        if notice.kind == .completed {
            let escaped = alias.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? alias
            url = "\(baseURL)/v2/alerts/\(escaped)/close?identifierType=alias"
            body = try PayloadEncoder.encode(OpsgenieClose(notice))
        } else {
            url = "\(baseURL)/v2/alerts"
            body = try PayloadEncoder.encode(OpsgenieAlert(notice, templates: templates))
        }
        let answer = try await delivery.post(url, headers: [("Authorization", "GenieKey \(apiKey.value)")], json: body)
        guard !(200...299).contains(answer.status) else { return }
        throw delivery.target.statusError(answer, said: Self.said(answer))
    }

    private struct ErrorAnswer: Decodable {
        var message: String?
        var errors: [String: String]?
    }

    private static func said(_ answer: HTTPAnswer) -> String? {
        guard let decoded = answer.decode(ErrorAnswer.self) else {
            let text = answer.text.quotedForMessage()
            return text.isEmpty ? nil : text
        }
        let fields = (decoded.errors ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        return ([decoded.message].compactMap { $0 } + fields).joined(separator: "; ")
    }
}

/// The body of `POST /v2/alerts`.
struct OpsgenieAlert: Encodable, Sendable {
    static let messageLimit = 130
    static let descriptionLimit = 15_000

    var message: String
    var alias: String
    var description: String
    var priority: String
    var tags: [String]
    var details: [String: String]
    var source = "rewind"
    var entity: String

    static func alias(incident: Int64) -> String { "rewind-incident-\(incident)" }

    init(_ notice: Notice, templates: NoticeTemplates) {
        let services = notice.services.map(\.rawValue)
        message = NoticeHeadline.text(notice).clipped(to: Self.messageLimit)
        // A failed channel is its own alert: it never reopens the incident's closed one.
        switch notice.kind {
        case .channelFailed: alias = "rewind-channel-\(notice.failedChannel ?? "unknown")"
        case .taskOverdue: alias = "\(Self.alias(incident: notice.incidentID))-tasks"
        case .earlyWarning:
            let services = notice.services.map(\.rawValue).joined(separator: ",")
            alias = "rewind-early-warning-\(services)-\(notice.timestamp.millisecondsSinceEpoch)"
        default: alias = Self.alias(incident: notice.incidentID)
        }
        description = templates.render(notice, as: .plainText).clipped(to: Self.descriptionLimit)
        priority = Self.priority(notice)
        var tags = ["rewind"]
        for tag in services + [notice.trigger.rawValue] where !tags.contains(tag) { tags.append(tag) }
        if notice.kind == .wouldRollBack { tags.append("observe") }
        self.tags = tags
        entity = services.joined(separator: ", ")
        var details = [
            "incident": String(notice.incidentID), "event": notice.kind.rawValue, "trigger": notice.trigger.rawValue,
            "severity": notice.severity.rawValue, "status": notice.status,
        ]
        details["strategy"] = notice.strategy?.rawValue
        details["duration"] = notice.durationMs.map { Duration.milliseconds($0).rewindDescription }
        details["error"] = notice.error
        details["audience"] = notice.audience?.rawValue
        if !notice.actions.isEmpty { details["actions"] = notice.actions.joined(separator: "; ") }
        if !notice.evidence.isEmpty { details["evidence"] = notice.evidence.joined(separator: "; ") }
        self.details = details.mapValues { $0.clipped(to: 8000) }
    }

    static func priority(_ notice: Notice) -> String {
        switch notice.kind {
        case .failed: return "P1"
        case .wouldRollBack, .earlyWarning: return "P5"
        case .channelFailed, .taskOverdue: return "P3"
        case .initiated, .escalated, .completed:
            switch notice.severity {
            case .critical: return "P1"
            case .high: return "P2"
            case .low: return "P3"
            }
        }
    }
}

/// The body of `POST /v2/alerts/{alias}/close`.
struct OpsgenieClose: Encodable, Sendable {
    var source = "rewind"
    var note: String

    init(_ notice: Notice) {
        let duration = notice.durationMs.map { " in \(Duration.milliseconds($0).rewindDescription)" } ?? ""
        note = "Rollback completed\(duration): \(notice.status)".clipped(to: 25_000)
    }
}
