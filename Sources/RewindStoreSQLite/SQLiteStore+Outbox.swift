import GRDB
import RewindCore

/// Reads of the outbox and the escalation timers. Composite values are JSON in `entry`/`timer`.
extension SQLiteStore {
    // MARK: - Outbox

    public func dueOutbox(now: Timestamp, limit: Int) async throws -> [OutboxEntry] {
        try await read("read the notification outbox") { db in
            try Self.outboxEntries(
                db,
                sql:
                    "SELECT entry FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
                arguments: [now.millisecondsSinceEpoch, limit])
        }
    }

    public func outbox(incidentID: Int64) async throws -> [OutboxEntry] {
        try await read("read the notifications of incident \(incidentID)") { db in
            try Self.outboxEntries(
                db, sql: "SELECT entry FROM outbox WHERE incident_id = ? ORDER BY id", arguments: [incidentID])
        }
    }

    public func recentOutbox(limit: Int) async throws -> [OutboxEntry] {
        try await read("read recent notifications") { db in
            try Self.outboxEntries(db, sql: "SELECT entry FROM outbox ORDER BY id DESC LIMIT ?", arguments: [limit])
        }
    }

    private static func outboxEntries(
        _ db: Database, sql: String, arguments: StatementArguments
    ) throws -> [OutboxEntry] {
        try String.fetchAll(db, sql: sql, arguments: arguments).map {
            try JSONText.decode(OutboxEntry.self, from: $0, what: "an outbox entry")
        }
    }

    // MARK: - Escalation timers

    public func dueEscalations(now: Timestamp) async throws -> [EscalationTimer] {
        try await read("read due escalations") { db in
            try Self.timers(
                db, sql: "SELECT timer FROM escalations WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id",
                arguments: [now.millisecondsSinceEpoch])
        }
    }

    public func escalations(incidentID: Int64) async throws -> [EscalationTimer] {
        try await read("read the escalations of incident \(incidentID)") { db in
            try Self.timers(
                db, sql: "SELECT timer FROM escalations WHERE incident_id = ? ORDER BY due_at, id",
                arguments: [incidentID])
        }
    }

    static func timers(_ db: Database, sql: String, arguments: StatementArguments) throws -> [EscalationTimer] {
        try String.fetchAll(db, sql: sql, arguments: arguments).map {
            try JSONText.decode(EscalationTimer.self, from: $0, what: "an escalation timer")
        }
    }
}
