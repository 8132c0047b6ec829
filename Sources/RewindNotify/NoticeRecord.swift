import RewindCore

/// A notice in the guide's field names: the JSON object of the `file` channel, and the payload any
/// JSON channel (webhook, …) can reuse.
///
/// Absent values are explicit `null`s, so every record has the same keys.
public struct NoticeRecord: Sendable, Equatable, Codable {
    public var event: String
    public var title: String
    public var incident: Int64
    /// The services, comma-joined (the guide's `{{ service }}`).
    public var service: String
    public var services: [String]
    public var trigger: String
    public var severity: String
    /// ISO 8601 UTC with milliseconds.
    public var timestamp: String
    public var strategy: String?
    public var actions: [String]
    /// Human form such as `42s` or `2m30s`.
    public var duration: String?
    public var durationMs: Int64?
    public var status: String
    public var verificationResults: [String]
    public var error: String?
    public var evidence: [String]
    public var nextSteps: [String]
    /// The channel a `channel_failed` notice is about; null otherwise.
    public var failedChannel: String?
    /// The outbox entry's id, the same on every attempt (``NoticeDelivery/id``); null for a notice sent
    /// outside the outbox.
    public var deliveryID: Int64?
    /// True when an earlier daemon may have delivered this notice already (``NoticeDelivery/mayRepeat``).
    public var mayRepeat: Bool

    public init(_ notice: Notice) {
        event = notice.kind.rawValue
        title = notice.title
        incident = notice.incidentID
        services = notice.services.map(\.rawValue)
        service = services.joined(separator: ",")
        trigger = notice.trigger.rawValue
        severity = notice.severity.rawValue
        timestamp = notice.timestamp.iso8601
        strategy = notice.strategy?.rawValue
        actions = notice.actions
        duration = notice.durationMs.map { Duration.milliseconds($0).rewindDescription }
        durationMs = notice.durationMs
        status = notice.status
        verificationResults = notice.verificationResults
        error = notice.error
        evidence = notice.evidence
        nextSteps = notice.nextSteps
        failedChannel = notice.failedChannel
        deliveryID = notice.delivery?.id
        mayRepeat = notice.delivery?.mayRepeat ?? false
    }

    enum CodingKeys: String, CodingKey {
        case event, title, incident, service, services, trigger, severity, timestamp, strategy, actions, duration
        case durationMs = "duration_ms"
        case status
        case verificationResults = "verification_results"
        case error, evidence
        case nextSteps = "next_steps"
        case failedChannel = "failed_channel"
        case deliveryID = "delivery_id"
        case mayRepeat = "may_repeat"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event, forKey: .event)
        try container.encode(title, forKey: .title)
        try container.encode(incident, forKey: .incident)
        try container.encode(service, forKey: .service)
        try container.encode(services, forKey: .services)
        try container.encode(trigger, forKey: .trigger)
        try container.encode(severity, forKey: .severity)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(strategy, forKey: .strategy)
        try container.encode(actions, forKey: .actions)
        try container.encode(duration, forKey: .duration)
        try container.encode(durationMs, forKey: .durationMs)
        try container.encode(status, forKey: .status)
        try container.encode(verificationResults, forKey: .verificationResults)
        try container.encode(error, forKey: .error)
        try container.encode(evidence, forKey: .evidence)
        try container.encode(nextSteps, forKey: .nextSteps)
        try container.encode(failedChannel, forKey: .failedChannel)
        try container.encode(deliveryID, forKey: .deliveryID)
        try container.encode(mayRepeat, forKey: .mayRepeat)
    }
}
