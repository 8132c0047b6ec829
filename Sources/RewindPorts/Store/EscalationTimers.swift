import RewindCore

/// Escalation steps that must happen later ("tell management in 5 minutes unless it was
/// acknowledged"). They are stored so that they survive a restart.
///
/// Timer ids are assigned by the store: increasing, never reused. Writes are single-part
/// ``StateChange``s (see ``DeploymentLedger``).
public protocol EscalationTimers: Sendable {
    /// Stores new timers (their `id` is ignored). The incident is not checked.
    func schedule(_ timers: [EscalationTimer]) async throws

    /// Every pending timer due at or before `now`, earliest first (ties by id).
    func dueEscalations(now: Timestamp) async throws -> [EscalationTimer]

    /// Replaces the stored timer with the same id (typically `fired`). Throws `store_not_found`
    /// when there is none.
    func updateEscalation(_ timer: EscalationTimer) async throws

    /// The incident's timers in every state, earliest due first (ties by id).
    func escalations(incidentID: Int64) async throws -> [EscalationTimer]

    /// Marks the incident's pending timers `cancelled` and returns how many there were (0 when
    /// none: not an error).
    func cancelEscalations(incidentID: Int64) async throws -> Int
}
