import RewindCore

/// Commits a ``StateChange``: all of its writes in one transaction, or none of them.
public protocol StateCommitter: Sendable {
    /// Applies `change` atomically, in the order ``StateChange`` documents. If any part fails —
    /// a refused row (`store_not_found`), a misused placeholder (``InvalidStateChange``), a
    /// fenced store whose grant is no longer in force (``StoreFenced``, checked before anything
    /// else), a database error — it throws and nothing of the change is stored, no id is used up.
    /// An empty change writes nothing (a fenced store still checks its grant).
    func commit(_ change: StateChange) async throws -> CommittedChange
}

/// What a commit assigned.
public struct CommittedChange: Sendable, Equatable {
    /// The id of the incident the change created; nil when it created none.
    public var incidentID: Int64?
    /// The change's new notifications as stored: ids assigned, placeholder replaced, in the order
    /// given.
    public var outbox: [OutboxEntry]
    /// The change's new timers as stored, the same way.
    public var timers: [EscalationTimer]
    /// How many pending timers ``StateChange/cancelTimersOfIncident`` cancelled.
    public var cancelledTimers: Int

    public init(
        incidentID: Int64? = nil, outbox: [OutboxEntry] = [], timers: [EscalationTimer] = [], cancelledTimers: Int = 0
    ) {
        self.incidentID = incidentID
        self.outbox = outbox
        self.timers = timers
        self.cancelledTimers = cancelledTimers
    }
}
