import GRDB
import RewindCore

/// Reads of the incident journal: incidents, timelines, step journals, tasks, samples.
extension SQLiteStore {
    public func incident(id: Int64) async throws -> Incident? {
        try await read("read incident \(id)") { db in
            try IncidentRow.fetchOne(db, key: id)?.incident
        }
    }

    public func incidents(limit: Int) async throws -> [Incident] {
        try await read("read incidents") { db in
            try IncidentRow.fetchAll(db, sql: "SELECT * FROM incidents ORDER BY id DESC LIMIT ?", arguments: [limit])
                .map(\.incident)
        }
    }

    public func openIncidents() async throws -> [Incident] {
        try await read("read open incidents") { db in
            try IncidentRow.fetchAll(
                db, sql: "SELECT * FROM incidents WHERE status = ? ORDER BY id",
                arguments: [IncidentStatus.open.rawValue]
            ).map(\.incident)
        }
    }

    public func timeline(incidentID: Int64) async throws -> [TimelineEvent] {
        try await read("read the timeline of incident \(incidentID)") { db in
            try TimelineRow.fetchAll(
                db, sql: "SELECT * FROM timeline WHERE incident_id = ? ORDER BY at, id", arguments: [incidentID]
            ).map(\.event)
        }
    }

    public func steps(incidentID: Int64) async throws -> [StepRecord] {
        try await read("read the steps of incident \(incidentID)") { db in
            try StepRow.fetchAll(
                db,
                sql: """
                    SELECT s.* FROM steps s
                    JOIN (
                        SELECT MAX(id) AS latest, MIN(id) AS first FROM steps
                        WHERE incident_id = ? GROUP BY step_id
                    ) per_step ON s.id = per_step.latest
                    ORDER BY per_step.first
                    """,
                arguments: [incidentID]
            ).map(\.record)
        }
    }

    public func stepHistory(incidentID: Int64) async throws -> [StepRecord] {
        try await read("read the step journal of incident \(incidentID)") { db in
            try StepRow.fetchAll(
                db, sql: "SELECT * FROM steps WHERE incident_id = ? ORDER BY id", arguments: [incidentID]
            ).map(\.record)
        }
    }

    public func overdueTasks(now: Timestamp) async throws -> [IncidentTask] {
        try await read("read the overdue tasks") { db in
            try String.fetchAll(
                db,
                sql:
                    "SELECT task FROM tasks WHERE remind_at IS NOT NULL AND remind_at <= ? ORDER BY remind_at, incident_id, position",
                arguments: [now.millisecondsSinceEpoch]
            )
            .map { try JSONText.decode(IncidentTask.self, from: $0, what: "a task") }
            .filter { TaskReminder.isDue($0, now: now) }
        }
    }

    public func tasks(incidentID: Int64) async throws -> [IncidentTask] {
        try await read("read the tasks of incident \(incidentID)") { db in
            try String.fetchAll(
                db, sql: "SELECT task FROM tasks WHERE incident_id = ? ORDER BY position", arguments: [incidentID]
            )
            .map { try JSONText.decode(IncidentTask.self, from: $0, what: "a task") }
        }
    }

    public func samples(incidentID: Int64) async throws -> [Observation] {
        try await read("read samples of incident \(incidentID)") { db in
            try String.fetchAll(
                db, sql: "SELECT observation FROM samples WHERE incident_id = ? ORDER BY at, id",
                arguments: [incidentID]
            )
            .map { try JSONText.decode(Observation.self, from: $0, what: "a sample") }
        }
    }
}
