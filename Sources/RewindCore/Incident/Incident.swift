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

extension Incident {
    /// When the problem was detected: the violation's time, or the opening for an incident without
    /// one (a manual rollback). MTTR is measured from here.
    public var detectedAt: Timestamp { violation?.at ?? openedAt }
}
