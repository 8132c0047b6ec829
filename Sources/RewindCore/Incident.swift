/// Where an incident stands.
public enum IncidentStatus: String, Sendable, Codable, Hashable, CaseIterable {
    case open, completed, failed, escalated, observed

    public var isOpen: Bool { self == .open }

    public init(_ outcome: IncidentOutcome) {
        switch outcome {
        case .completed: self = .completed
        case .failed: self = .failed
        case .escalated: self = .escalated
        case .observed: self = .observed
        }
    }
}

/// The record of one incident: what fired, what Rewind decided, and how it ended.
public struct Incident: Sendable, Equatable, Codable, Identifiable {
    public var id: Int64
    public var openedAt: Timestamp
    public var closedAt: Timestamp?
    public var services: [ServiceName]
    public var trigger: TriggerKind
    public var severity: Severity
    public var strategy: Strategy?
    public var status: IncidentStatus
    public var summary: String
    /// The plan, while there is one (needed to resume after a restart).
    public var plan: Plan?
    public var violation: Violation?
    /// Set for manual rollbacks: the operator's reason.
    public var reason: String?
    public var mode: Mode
    /// Set when a person acknowledged the incident: escalation stops.
    public var acknowledgedAt: Timestamp?
    public var acknowledgedBy: String?

    public init(
        id: Int64, openedAt: Timestamp, closedAt: Timestamp? = nil, services: [ServiceName], trigger: TriggerKind,
        severity: Severity, strategy: Strategy?, status: IncidentStatus, summary: String, plan: Plan? = nil,
        violation: Violation? = nil, reason: String? = nil, mode: Mode = .enforce, acknowledgedAt: Timestamp? = nil,
        acknowledgedBy: String? = nil
    ) {
        self.acknowledgedAt = acknowledgedAt
        self.acknowledgedBy = acknowledgedBy
        self.id = id
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.services = services
        self.trigger = trigger
        self.severity = severity
        self.strategy = strategy
        self.status = status
        self.summary = summary
        self.plan = plan
        self.violation = violation
        self.reason = reason
        self.mode = mode
    }
}

/// Kinds of timeline entries. Bounded.
public enum TimelineKind: String, Sendable, Codable, Hashable, CaseIterable {
    case detected, decision, freeze, stepIntent = "step_intent", stepAccepted = "step_accepted"
    case stepAttempt = "step_attempt", stepOutcome = "step_outcome", output, verification, notification
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

/// The journal entry of one plan step: intent before the platform is called, the operation it
/// accepted, the outcome after. Restart logic reads it to never repeat a rollback.
public struct StepRecord: Sendable, Equatable, Codable {
    public enum State: Sendable, Equatable, Codable {
        case intent
        case accepted(operationID: String?)
        case done(StepOutcome)
    }

    public var incidentID: Int64
    public var stepID: String
    public var state: State
    public var at: Timestamp

    public init(incidentID: Int64, stepID: String, state: State, at: Timestamp) {
        self.incidentID = incidentID
        self.stepID = stepID
        self.state = state
        self.at = at
    }

    public var outcome: StepOutcome? {
        if case .done(let outcome) = state { return outcome }
        return nil
    }

    public var operationID: String? {
        if case .accepted(let id) = state { return id }
        return nil
    }
}

/// A deployment freeze: CI pipelines gate on it with `rewind freeze status`.
public struct Freeze: Sendable, Equatable, Codable {
    public var until: Timestamp
    public var reason: String
    public var setAt: Timestamp
    public var incidentID: Int64?

    public init(until: Timestamp, reason: String, setAt: Timestamp, incidentID: Int64? = nil) {
        self.until = until
        self.reason = reason
        self.setAt = setAt
        self.incidentID = incidentID
    }

    public func isActive(at now: Timestamp) -> Bool { now < until }
}
