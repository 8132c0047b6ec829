import PostgresNIO
import RewindCore

/// Reads of the outbox and the escalation timers.
extension PostgresStore {
    // MARK: - Outbox

    public func dueOutbox(now: Timestamp, limit: Int) async throws -> [OutboxEntry] {
        try await read("read the notification outbox") { session in
            try await session.values(
                OutboxEntry.self,
                """
                SELECT entry FROM outbox WHERE status = 'pending' AND next_attempt_at <= \(now.millisecondsSinceEpoch)
                ORDER BY next_attempt_at, id LIMIT \(max(limit, 0))
                """,
                what: "an outbox entry")
        }
    }

    public func outbox(incidentID: Int64) async throws -> [OutboxEntry] {
        try await read("read the notifications of incident \(incidentID)") { session in
            try await session.values(
                OutboxEntry.self, "SELECT entry FROM outbox WHERE incident_id = \(incidentID) ORDER BY id",
                what: "an outbox entry")
        }
    }

    public func recentOutbox(limit: Int) async throws -> [OutboxEntry] {
        try await read("read recent notifications") { session in
            try await session.values(
                OutboxEntry.self, "SELECT entry FROM outbox ORDER BY id DESC LIMIT \(max(limit, 0))",
                what: "an outbox entry")
        }
    }

    // MARK: - Escalation timers

    public func dueEscalations(now: Timestamp) async throws -> [EscalationTimer] {
        try await read("read due escalations") { session in
            try await session.values(
                EscalationTimer.self,
                "SELECT timer FROM escalations WHERE state = 'pending' AND due_at <= \(now.millisecondsSinceEpoch) ORDER BY due_at, id",
                what: "an escalation timer")
        }
    }

    public func escalations(incidentID: Int64) async throws -> [EscalationTimer] {
        try await read("read the escalations of incident \(incidentID)") { session in
            try await session.values(
                EscalationTimer.self,
                "SELECT timer FROM escalations WHERE incident_id = \(incidentID) ORDER BY due_at, id",
                what: "an escalation timer")
        }
    }
}
