/// An incident the supervisor decided to open, as the engine records it: the incident itself,
/// the ledger changes and escalation timers that go with it, and what the record says. The engine
/// stores all of it in one transaction, with the notices it causes.
public struct IncidentOpening: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Run a rollback plan.
        case rollback(Plan, choices: [RollbackChoice], skipped: [String], notes: [String], forced: Bool)
        /// No rollback: people are told; the incident is recorded closed, as escalated.
        case escalation(EscalationReason, detail: String)
        /// A monitoring source stopped answering for `monitoring.failure_after`: people are told
        /// that Rewind is blind to its signals (no rollback; recorded closed, as escalated).
        case monitoringFailure(source: String, since: Timestamp, detail: String)
    }

    public var draft: DraftID
    public var kind: Kind
    /// The incident as it will be stored; the store assigns its id.
    public var incident: Incident
    /// What the assessment concluded (nil for a monitoring failure).
    public var decision: Decision?
    /// Ledger changes recorded with the incident (the suspect deployment the trigger fired on, marked bad).
    public var ledger: [LedgerChange]
    /// The escalation moments whose timers start with the incident.
    public var escalations: [EscalationPlanner.Moment]
    /// The operator waiting for the incident's id (a manual rollback).
    public var reply: RequestID?
    /// Deployments are frozen this long with the incident (the guide's immediate escalation: a
    /// security breach or a critical service down with nothing to roll back still freezes).
    public var freeze: Duration?
    /// Who asked for a manual rollback (``ManualRollbackRequest/actor``).
    public var requestedBy: String?

    public init(
        draft: DraftID, kind: Kind, incident: Incident, decision: Decision?, ledger: [LedgerChange] = [],
        escalations: [EscalationPlanner.Moment] = [], reply: RequestID? = nil, freeze: Duration? = nil,
        requestedBy: String? = nil
    ) {
        self.freeze = freeze
        self.draft = draft
        self.kind = kind
        self.incident = incident
        self.decision = decision
        self.ledger = ledger
        self.escalations = escalations
        self.reply = reply
        self.requestedBy = requestedBy
    }

    /// True when the incident is recorded closed at once (no rollback to run).
    public var closesAtOnce: Bool {
        if case .rollback = kind { return false }
        return true
    }
}
