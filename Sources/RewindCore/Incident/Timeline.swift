/// Kinds of timeline entries. Bounded.
public enum TimelineKind: String, Sendable, Codable, Hashable, CaseIterable {
    case detected, decision, freeze
    case stepIntent = "step_intent"
    case stepAccepted = "step_accepted"
    case stepAttempt = "step_attempt"
    case stepOutcome = "step_outcome"
    case output, verification, notification
    case escalation, resumed, closed, acknowledged, task
    /// A monitoring source failed or came back.
    case monitoring
    /// What a canary showed, kept for analysis when it was stopped.
    case canaryData = "canary_data"
}

/// One entry of an incident's timeline.
public struct TimelineEvent: Sendable, Equatable, Codable {
    public var incidentID: Int64
    public var at: Timestamp
    public var kind: TimelineKind
    public var message: String
    /// Structured detail: evidence, step ids, captured output, verification results.
    public var detail: JSONValue?

    public init(incidentID: Int64, at: Timestamp, kind: TimelineKind, message: String, detail: JSONValue? = nil) {
        self.incidentID = incidentID
        self.at = at
        self.kind = kind
        self.message = message
        self.detail = detail
    }
}
