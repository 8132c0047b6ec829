import GRDB
import RewindCore

/// The outbox, escalation timers, post-rollback tasks and report samples.
extension SQLiteStore {
    // MARK: - Outbox

    public func enqueue(_ entries: [OutboxEntry]) async throws -> [OutboxEntry] {
        try await write("queue notifications") { db in
            try entries.map { entry in
                try db.execute(
                    sql: "INSERT INTO outbox (incident_id, channel, status, next_attempt_at, entry) VALUES (?, ?, ?, ?, '')",
                    arguments: [entry.incidentID, entry.channel, entry.status.rawValue, entry.nextAttemptAt.millisecondsSinceEpoch])
                var stored = entry
                stored.id = db.lastInsertedRowID
                try db.execute(sql: "UPDATE outbox SET entry = ? WHERE id = ?", arguments: [try JSONText.encode(stored), stored.id])
                return stored
            }
        }
    }

    public func dueOutbox(now: Timestamp, limit: Int) async throws -> [OutboxEntry] {
        try await read("read the notification outbox") { db in
            try Self.outboxEntries(
                db, sql: "SELECT entry FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
                arguments: [now.millisecondsSinceEpoch, limit])
        }
    }

    public func updateOutbox(_ entry: OutboxEntry) async throws {
        try await write("update notification \(entry.id)") { db in
            try db.execute(
                sql: "UPDATE outbox SET status = ?, next_attempt_at = ?, entry = ? WHERE id = ?",
                arguments: [entry.status.rawValue, entry.nextAttemptAt.millisecondsSinceEpoch, try JSONText.encode(entry), entry.id])
        }
    }

    public func outbox(incidentID: Int64) async throws -> [OutboxEntry] {
        try await read("read the notifications of incident \(incidentID)") { db in
            try Self.outboxEntries(db, sql: "SELECT entry FROM outbox WHERE incident_id = ? ORDER BY id", arguments: [incidentID])
        }
    }

    public func recentOutbox(limit: Int) async throws -> [OutboxEntry] {
        try await read("read recent notifications") { db in
            try Self.outboxEntries(db, sql: "SELECT entry FROM outbox ORDER BY id DESC LIMIT ?", arguments: [limit])
        }
    }

    private static func outboxEntries(_ db: Database, sql: String, arguments: StatementArguments) throws -> [OutboxEntry] {
        try String.fetchAll(db, sql: sql, arguments: arguments).map { try JSONText.decode(OutboxEntry.self, from: $0, what: "an outbox entry") }
    }

    // MARK: - Escalation timers

    public func schedule(_ timers: [EscalationTimer]) async throws {
        try await write("schedule escalations") { db in
            for timer in timers {
                try db.execute(
                    sql: "INSERT INTO escalations (incident_id, state, due_at, timer) VALUES (?, ?, ?, '')",
                    arguments: [timer.incidentID, timer.state.rawValue, timer.dueAt.millisecondsSinceEpoch])
                var stored = timer
                stored.id = db.lastInsertedRowID
                try db.execute(sql: "UPDATE escalations SET timer = ? WHERE id = ?", arguments: [try JSONText.encode(stored), stored.id])
            }
        }
    }

    public func dueEscalations(now: Timestamp) async throws -> [EscalationTimer] {
        try await read("read due escalations") { db in
            try Self.timers(db, sql: "SELECT timer FROM escalations WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id",
                            arguments: [now.millisecondsSinceEpoch])
        }
    }

    public func updateEscalation(_ timer: EscalationTimer) async throws {
        try await write("update escalation \(timer.id)") { db in
            try db.execute(sql: "UPDATE escalations SET state = ?, due_at = ?, timer = ? WHERE id = ?",
                           arguments: [timer.state.rawValue, timer.dueAt.millisecondsSinceEpoch, try JSONText.encode(timer), timer.id])
        }
    }

    public func escalations(incidentID: Int64) async throws -> [EscalationTimer] {
        try await read("read the escalations of incident \(incidentID)") { db in
            try Self.timers(db, sql: "SELECT timer FROM escalations WHERE incident_id = ? ORDER BY due_at, id", arguments: [incidentID])
        }
    }

    public func cancelEscalations(incidentID: Int64) async throws -> Int {
        try await write("cancel the escalations of incident \(incidentID)") { db in
            let pending = try Self.timers(db, sql: "SELECT timer FROM escalations WHERE incident_id = ? AND state = 'pending'", arguments: [incidentID])
            for var timer in pending {
                timer.state = .cancelled
                try db.execute(sql: "UPDATE escalations SET state = 'cancelled', timer = ? WHERE id = ?", arguments: [try JSONText.encode(timer), timer.id])
            }
            return pending.count
        }
    }

    private static func timers(_ db: Database, sql: String, arguments: StatementArguments) throws -> [EscalationTimer] {
        try String.fetchAll(db, sql: sql, arguments: arguments).map { try JSONText.decode(EscalationTimer.self, from: $0, what: "an escalation timer") }
    }

    // MARK: - Tasks

    public func addTasks(_ tasks: [IncidentTask]) async throws {
        try await write("add post-rollback tasks") { db in
            for task in tasks {
                let position = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tasks WHERE incident_id = ?", arguments: [task.incidentID]) ?? 0
                try db.execute(
                    sql: "INSERT OR IGNORE INTO tasks (incident_id, task_id, position, task) VALUES (?, ?, ?, ?)",
                    arguments: [task.incidentID, task.id, position, try JSONText.encode(task)])
            }
        }
    }

    public func tasks(incidentID: Int64) async throws -> [IncidentTask] {
        try await read("read the tasks of incident \(incidentID)") { db in
            try String.fetchAll(db, sql: "SELECT task FROM tasks WHERE incident_id = ? ORDER BY position", arguments: [incidentID])
                .map { try JSONText.decode(IncidentTask.self, from: $0, what: "a task") }
        }
    }

    public func updateTask(_ task: IncidentTask) async throws {
        let path = path
        try await write("update task \(task.id)") { db in
            try db.execute(sql: "UPDATE tasks SET task = ? WHERE incident_id = ? AND task_id = ?",
                           arguments: [try JSONText.encode(task), task.incidentID, task.id])
            if db.changesCount == 0 { throw StoreError.notFound("task \(task.id) of incident \(task.incidentID)", path: path) }
        }
    }

    // MARK: - Samples

    public func recordSamples(incidentID: Int64, _ observations: [Observation]) async throws {
        try await write("record samples of incident \(incidentID)") { db in
            for observation in observations {
                try db.execute(sql: "INSERT INTO samples (incident_id, at, observation) VALUES (?, ?, ?)",
                               arguments: [incidentID, observation.at.millisecondsSinceEpoch, try JSONText.encode(observation)])
            }
        }
    }

    public func samples(incidentID: Int64) async throws -> [Observation] {
        try await read("read samples of incident \(incidentID)") { db in
            try String.fetchAll(db, sql: "SELECT observation FROM samples WHERE incident_id = ? ORDER BY at, id", arguments: [incidentID])
                .map { try JSONText.decode(Observation.self, from: $0, what: "a sample") }
        }
    }
}
