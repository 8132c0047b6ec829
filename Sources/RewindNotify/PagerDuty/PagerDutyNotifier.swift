import AsyncHTTPClient
import RewindCore
import RewindPorts

/// Pages through the PagerDuty Events API v2 (`POST {url}/v2/enqueue`; the 32-character integration
/// key travels in the body as `routing_key`, there is no auth header).
///
/// One alert per incident, de-duplicated by `dedup_key` = `rewind/incident/<id>`, so a retried trigger
/// never opens a second alert:
///
/// | notice | event |
/// |---|---|
/// | initiated, escalated | `trigger`, severity from the incident (see below) |
/// | failed | `trigger`, always `critical` (the guide pages P1 on a failed rollback) |
/// | would_roll_back | `trigger`, `info` |
/// | completed | `resolve` |
/// | channel_failed | `trigger`, `warning`, under its own key `rewind/channel/<name>`: a channel that fails
/// |  | after an incident was resolved never reopens the incident's alert |
/// | task_overdue | `trigger`, `warning`, under its own key `rewind/incident/<id>/tasks` (same reason) |
///
/// Incident severity → PagerDuty severity: critical → `critical` (the guide's P1), high → `error`,
/// low → `warning`.
///
/// 202 is success; 400 → `.rejected` with PagerDuty's `errors` (a refused routing key names the
/// `routing_key` key and its variable); 429 → `.rateLimited`; 5xx → `.server`.
public struct PagerDutyNotifier: Notifier {
    public static let defaultURL = "https://events.pagerduty.com"

    public let channel: String
    /// A repeated event folds into the open alert by its `dedup_key`.
    public var foldsRepeats: Bool { true }
    private let routingKey: ConfigText
    private let endpoint: String
    private let delivery: HTTPDelivery

    public init(
        routingKey: ConfigText,
        url: String = Self.defaultURL,
        name: String,
        client: HTTPClient,
        timeout: Duration = .seconds(10),
        redactor: Redactor = Redactor()
    ) {
        self.channel = name
        self.routingKey = routingKey
        let base = url.droppingTrailing("/")
        // The configured URL is the base; the full enqueue URL is accepted as well.
        self.endpoint = base.hasSuffix("/v2/enqueue") ? base : base + "/v2/enqueue"
        let target = DeliveryTarget(
            channel: name,
            vendor: "PagerDuty",
            url: endpoint,
            secrets: [routingKey.value],
            credential: ChannelCredential.describe(channel: name, key: "routing_key", routingKey),
            redactor: redactor
        )
        self.delivery = HTTPDelivery(client: client, timeout: timeout, target: target)
    }

    public func send(_ notice: Notice) async throws {
        let event = PagerDutyEvent(notice, routingKey: routingKey.value)
        let answer = try await delivery.post(endpoint, json: try PayloadEncoder.encode(event))
        guard !(200...299).contains(answer.status) else { return }
        let said = Self.said(answer)
        if answer.status == 400, let said, said.lowercased().contains("routing key") || said.contains("routing_key") {
            let target = delivery.target
            throw target.error(
                .rejected,
                "PagerDuty refused the routing key (400: \(said.quotedForMessage())); check \(target.credential): "
                    + "the 32-character integration key of an Events API v2 integration"
            )
        }
        throw delivery.target.statusError(answer, said: said)
    }

    private struct ErrorAnswer: Decodable {
        var message: String?
        var errors: [String]?
    }

    /// PagerDuty's `errors` list (or its `message`).
    private static func said(_ answer: HTTPAnswer) -> String? {
        guard let decoded = answer.decode(ErrorAnswer.self) else {
            let text = answer.text.quotedForMessage()
            return text.isEmpty ? nil : text
        }
        if let errors = decoded.errors, !errors.isEmpty { return errors.joined(separator: "; ") }
        return decoded.message
    }
}

/// One Events API v2 alert event.
struct PagerDutyEvent: Encodable, Sendable {
    static let summaryLimit = 1024

    var routingKey: String
    var eventAction: String
    var dedupKey: String
    var payload: Payload?
    var client: String?

    struct Payload: Encodable, Sendable {
        var summary: String
        var source = "rewind"
        var severity: String
        var timestamp: String
        var component: String
        var group: String
        var `class`: String
        var customDetails: Details

        enum CodingKeys: String, CodingKey {
            case summary, source, severity, timestamp, component, group, `class`
            case customDetails = "custom_details"
        }
    }

    struct Details: Encodable, Sendable {
        var incident: Int64
        var event: String
        var status: String
        var strategy: String?
        var duration: String?
        var actions: [String]
        var evidence: [String]
        var verificationResults: [String]
        var error: String?
        var audience: String?

        enum CodingKeys: String, CodingKey {
            case incident, event, status, strategy, duration, actions, evidence
            case verificationResults = "verification_results"
            case error, audience
        }
    }

    enum CodingKeys: String, CodingKey {
        case routingKey = "routing_key"
        case eventAction = "event_action"
        case dedupKey = "dedup_key"
        case payload, client
    }

    static func dedupKey(incident: Int64) -> String { "rewind/incident/\(incident)" }

    init(_ notice: Notice, routingKey: String) {
        self.routingKey = routingKey
        switch notice.kind {
        case .channelFailed: dedupKey = "rewind/channel/\(notice.failedChannel ?? "unknown")"
        case .taskOverdue: dedupKey = "\(Self.dedupKey(incident: notice.incidentID))/tasks"
        case .earlyWarning:
            // About no incident: its own alert per warning (service and time), info severity.
            let services = notice.services.map(\.rawValue).joined(separator: ",")
            dedupKey = "rewind/early-warning/\(services)/\(notice.timestamp.millisecondsSinceEpoch)"
        default: dedupKey = Self.dedupKey(incident: notice.incidentID)
        }
        guard notice.kind != .completed else {
            eventAction = "resolve"
            return
        }
        eventAction = "trigger"
        client = "Rewind"
        let services = notice.services.map(\.rawValue).joined(separator: ", ")
        payload = Payload(
            summary: NoticeHeadline.text(notice).clipped(to: Self.summaryLimit),
            severity: Self.severity(notice),
            timestamp: notice.timestamp.iso8601,
            component: services,
            group: "rewind-incident-\(notice.incidentID)",
            class: notice.trigger.rawValue,
            customDetails: Details(
                incident: notice.incidentID,
                event: notice.kind.rawValue,
                status: notice.status,
                strategy: notice.strategy?.rawValue,
                duration: notice.durationMs.map { Duration.milliseconds($0).rewindDescription },
                actions: notice.actions,
                evidence: notice.evidence,
                verificationResults: notice.verificationResults,
                error: notice.error,
                audience: notice.audience?.rawValue
            )
        )
    }

    static func severity(_ notice: Notice) -> String {
        switch notice.kind {
        case .failed: return "critical"
        case .wouldRollBack, .earlyWarning: return "info"
        case .channelFailed, .taskOverdue: return "warning"
        case .initiated, .escalated, .completed:
            switch notice.severity {
            case .critical: return "critical"
            case .high: return "error"
            case .low: return "warning"
            }
        }
    }
}
