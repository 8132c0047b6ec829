import RewindCore

/// Notifications waiting for, or done with, delivery. An entry is written before its first
/// attempt, so a restart loses nothing: the dispatcher finds it due again.
///
/// Entry ids are assigned by the store: increasing, never reused. Writes are single-part
/// ``StateChange``s (see ``DeploymentLedger``).
public protocol NotificationOutbox: Sendable {
    /// Stores new entries (their `id` is ignored) and returns them as stored, with the ids
    /// assigned, in the order given. The incident is not checked.
    func enqueue(_ entries: [OutboxEntry]) async throws -> [OutboxEntry]

    /// At most `limit` pending entries whose `nextAttemptAt` is at or before `now`, the earliest
    /// due first (ties by id).
    func dueOutbox(now: Timestamp, limit: Int) async throws -> [OutboxEntry]

    /// Replaces the stored entry with the same id (status, attempts, next attempt, error, …).
    /// Throws `store_not_found` when there is none.
    func updateOutbox(_ entry: OutboxEntry) async throws

    /// The incident's entries, in the order they were queued.
    func outbox(incidentID: Int64) async throws -> [OutboxEntry]

    /// At most `limit` of the newest entries of every incident, newest first (channel health for
    /// `rewind status`).
    func recentOutbox(limit: Int) async throws -> [OutboxEntry]
}
