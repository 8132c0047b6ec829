import PostgresNIO
import RewindCore

/// Reads of the incident journal: incidents, timelines, step journals, tasks, samples.
extension PostgresStore {
    public func incident(id: Int64) async throws -> Incident? {
        try await read("read incident \(id)") { session in
            try await session.values(
                Incident.self, "SELECT incident FROM incidents WHERE id = \(id)", what: "incident \(id)"
            ).first
        }
    }

    public func incidents(limit: Int) async throws -> [Incident] {
        try await read("read incidents") { session in
            try await session.values(
                Incident.self, "SELECT incident FROM incidents ORDER BY id DESC LIMIT \(max(limit, 0))",
                what: "an incident")
        }
    }

    public func openIncidents() async throws -> [Incident] {
        try await read("read open incidents") { session in
            try await session.values(
                Incident.self,
                "SELECT incident FROM incidents WHERE status = \(IncidentStatus.open.rawValue) ORDER BY id",
                what: "an open incident")
        }
    }

    public func timeline(incidentID: Int64) async throws -> [TimelineEvent] {
        try await read("read the timeline of incident \(incidentID)") { session in
            try await session.values(
                TimelineEvent.self, "SELECT event FROM timeline WHERE incident_id = \(incidentID) ORDER BY at, seq",
                what: "a timeline event of incident \(incidentID)")
        }
    }

    public func steps(incidentID: Int64) async throws -> [StepRecord] {
        try await read("read the steps of incident \(incidentID)") { session in
            try await session.values(
                StepRecord.self,
                """
                SELECT s.record FROM steps s
                JOIN (
                    SELECT MAX(seq) AS latest, MIN(seq) AS first FROM steps WHERE incident_id = \(incidentID) GROUP BY step_id
                ) per_step ON s.seq = per_step.latest
                ORDER BY per_step.first
                """,
                what: "a step record of incident \(incidentID)")
        }
    }

    public func stepHistory(incidentID: Int64) async throws -> [StepRecord] {
        try await read("read the step journal of incident \(incidentID)") { session in
            try await session.values(
                StepRecord.self, "SELECT record FROM steps WHERE incident_id = \(incidentID) ORDER BY seq",
                what: "a step record of incident \(incidentID)")
        }
    }

    public func tasks(incidentID: Int64) async throws -> [IncidentTask] {
        try await read("read the tasks of incident \(incidentID)") { session in
            try await session.values(
                IncidentTask.self, "SELECT task FROM tasks WHERE incident_id = \(incidentID) ORDER BY seq",
                what: "a task of incident \(incidentID)")
        }
    }

    public func overdueTasks(now: Timestamp) async throws -> [IncidentTask] {
        try await read("read the overdue tasks") { session in
            try await session.values(
                IncidentTask.self,
                """
                SELECT task FROM tasks WHERE remind_at IS NOT NULL AND remind_at <= \(now.millisecondsSinceEpoch)
                ORDER BY remind_at, incident_id, seq
                """,
                what: "a task"
            ).filter { TaskReminder.isDue($0, now: now) }
        }
    }

    public func samples(incidentID: Int64) async throws -> [Observation] {
        try await read("read samples of incident \(incidentID)") { session in
            try await session.values(
                Observation.self, "SELECT observation FROM samples WHERE incident_id = \(incidentID) ORDER BY at, seq",
                what: "a sample of incident \(incidentID)")
        }
    }
}
