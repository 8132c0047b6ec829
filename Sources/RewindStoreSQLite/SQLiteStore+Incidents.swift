import GRDB
import RewindCore

extension SQLiteStore {
    /// Stores a new incident; SQLite assigns the id (ids are never reused).
    public func createIncident(_ incident: Incident) async throws -> Incident {
        try await write("create an incident") { db in
            try IncidentRow(incident, includesID: false).insert(db)
            var stored = incident
            stored.id = db.lastInsertedRowID
            return stored
        }
    }

    /// Replaces the stored incident with the same id. Throws `store_not_found` when there is none.
    public func updateIncident(_ incident: Incident) async throws {
        let path = path
        try await write("update incident \(incident.id)") { db in
            guard try IncidentRow.exists(db, key: incident.id) else {
                throw StoreError.notFound("incident \(incident.id)", path: path)
            }
            try IncidentRow(incident).update(db)
        }
    }

    public func incident(id: Int64) async throws -> Incident? {
        try await read("read incident \(id)") { db in
            try IncidentRow.fetchOne(db, key: id)?.incident
        }
    }

    /// Newest first (highest id first), at most `limit`.
    public func incidents(limit: Int) async throws -> [Incident] {
        try await read("read incidents") { db in
            try IncidentRow.fetchAll(db, sql: "SELECT * FROM incidents ORDER BY id DESC LIMIT ?", arguments: [limit])
                .map(\.incident)
        }
    }

    /// Incidents whose status is `open`, oldest first (the order to resume them in).
    public func openIncidents() async throws -> [Incident] {
        try await read("read open incidents") { db in
            try IncidentRow.fetchAll(
                db, sql: "SELECT * FROM incidents WHERE status = ? ORDER BY id",
                arguments: [IncidentStatus.open.rawValue]
            ).map(\.incident)
        }
    }

    // MARK: - Timeline

    /// Throws `store_not_found` when the incident does not exist.
    public func append(_ event: TimelineEvent) async throws {
        let path = path
        try await write("append to the timeline of incident \(event.incidentID)") { db in
            try Self.requireIncident(db, id: event.incidentID, path: path)
            try TimelineRow(event).insert(db)
        }
    }

    /// Chronological: by `at`, events with the same time in the order they were appended.
    public func timeline(incidentID: Int64) async throws -> [TimelineEvent] {
        try await read("read the timeline of incident \(incidentID)") { db in
            try TimelineRow.fetchAll(
                db, sql: "SELECT * FROM timeline WHERE incident_id = ? ORDER BY at, id", arguments: [incidentID]
            ).map(\.event)
        }
    }

    // MARK: - Step journal

    /// Appends to the step journal; earlier records of the step are kept (see ``stepHistory(incidentID:)``).
    /// Throws `store_not_found` when the incident does not exist.
    public func recordStep(_ record: StepRecord) async throws {
        let path = path
        try await write("record step \(record.stepID) of incident \(record.incidentID)") { db in
            try Self.requireIncident(db, id: record.incidentID, path: path)
            try StepRow(record).insert(db)
        }
    }

    /// The latest record of each step, steps in the order they were first recorded.
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

    /// Every record of every step of an incident, in the order they were recorded: the full
    /// journal (intent, accepted, done) for reports and audits.
    public func stepHistory(incidentID: Int64) async throws -> [StepRecord] {
        try await read("read the step journal of incident \(incidentID)") { db in
            try StepRow.fetchAll(
                db, sql: "SELECT * FROM steps WHERE incident_id = ? ORDER BY id", arguments: [incidentID]
            ).map(\.record)
        }
    }

    private static func requireIncident(_ db: Database, id: Int64, path: String) throws {
        guard try IncidentRow.exists(db, key: id) else {
            throw StoreError.notFound("incident \(id)", path: path)
        }
    }
}
