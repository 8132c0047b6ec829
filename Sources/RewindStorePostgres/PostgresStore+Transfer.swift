import PostgresNIO
import RewindCore
import RewindPorts

/// Reading a whole state out (``StateInventory``) and filling an empty database with one (``StateImport``).
extension PostgresStore: StateImport {
    public func recordedServices() async throws -> [ServiceName] {
        try await read("list the services with recorded state") { session in
            try await session.texts(
                """
                SELECT service FROM deployments UNION SELECT service FROM services_live
                UNION SELECT service FROM automatic_rollbacks ORDER BY service
                """
            ).map(ServiceName.init(rawValue:))
        }
    }

    public func idCounters() async throws -> IDCounters {
        try await read("read the id counters") { session in
            let rows = try await session.run("SELECT name, last FROM id_counters")
            var last: [String: Int64] = [:]
            for row in rows {
                let (name, value) = try row.decode((String, Int64).self)
                last[name] = value
            }
            return IDCounters(
                incidents: last["incidents"] ?? 0, outbox: last["outbox"] ?? 0, escalations: last["escalations"] ?? 0)
        }
    }

    /// One transaction; the tables are locked against other writers first, so that the emptiness check holds
    /// until the commit.
    public func importState(_ snapshot: StateSnapshot) async throws {
        let database = database
        try await writeUnfenced("import a state of \(snapshot.incidents.count) incidents") { session in
            try await session.run(
                """
                LOCK TABLE deployments, services_live, automatic_rollbacks, deployment_freeze, automation_pauses, incidents, timeline, steps,
                    tasks, samples, outbox, escalations, id_counters, received_alerts, received_values IN EXCLUSIVE MODE
                """)
            if let holds = try await Self.heldRows(session) { throw StoreNotEmpty(store: database, holds: holds) }
            try await Self.insert(snapshot, session)
            try await session.insertReceived(snapshot.received)
        }
    }

    /// What the database holds that makes it a state in use, or nil when it is empty.
    private static func heldRows(_ session: Session) async throws -> String? {
        var held: [String] = []
        for (table, what) in [
            ("deployments", "deployments"), ("incidents", "incidents"), ("outbox", "notifications"),
            ("escalations", "escalation timers"), ("automatic_rollbacks", "automatic rollbacks"),
            ("deployment_freeze", "freeze"), ("automation_pauses", "automation pauses"),
        ] {
            let count = try await session.integers(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)")).first ?? 0
            if count > 0 { held.append("\(count) \(what)") }
        }
        return held.isEmpty ? nil : held.joined(separator: ", ")
    }

    private static func insert(_ snapshot: StateSnapshot, _ session: Session) async throws {
        for deployment in snapshot.deployments {
            try await session.run(
                """
                INSERT INTO deployments (service, id, deployed_at, deployment)
                VALUES (\(deployment.service.rawValue), \(deployment.id), \(deployment.deployedAt.millisecondsSinceEpoch), \(try JSONText.encode(deployment)))
                """)
        }
        for live in snapshot.live {
            try await session.run(
                """
                INSERT INTO services_live (service, deployment_id, live_since)
                VALUES (\(live.service.rawValue), \(live.deploymentID), \(live.since.millisecondsSinceEpoch))
                """)
        }
        for rollback in snapshot.automaticRollbacks {
            try await session.run(
                "INSERT INTO automatic_rollbacks (service, at) VALUES (\(rollback.service.rawValue), \(rollback.at.millisecondsSinceEpoch))"
            )
        }
        if let freeze = snapshot.freeze {
            try await session.run(
                "INSERT INTO deployment_freeze (id, value) VALUES (1, \(try JSONText.encode(freeze)))")
        }
        for pause in snapshot.automationPauses {
            try await session.run(
                "INSERT INTO automation_pauses (scope, value) VALUES (\(pause.scope), \(try JSONText.encode(pause)))")
        }
        for incident in snapshot.incidents {
            try await session.run(
                "INSERT INTO incidents (id, status, incident) VALUES (\(incident.id), \(incident.status.rawValue), \(try JSONText.encode(incident)))"
            )
        }
        for event in snapshot.timeline {
            try await session.run(
                "INSERT INTO timeline (incident_id, at, event) VALUES (\(event.incidentID), \(event.at.millisecondsSinceEpoch), \(try JSONText.encode(event)))"
            )
        }
        for record in snapshot.steps {
            try await session.run(
                "INSERT INTO steps (incident_id, step_id, record) VALUES (\(record.incidentID), \(record.stepID), \(try JSONText.encode(record)))"
            )
        }
        for task in snapshot.tasks {
            try await session.run(
                """
                INSERT INTO tasks (incident_id, task_id, task, remind_at)
                VALUES (\(task.incidentID), \(task.id), \(try JSONText.encode(task)), \(TaskReminder.dueAt(task)?.millisecondsSinceEpoch))
                """)
        }
        for sample in snapshot.samples {
            try await session.run(
                """
                INSERT INTO samples (incident_id, at, observation)
                VALUES (\(sample.incidentID), \(sample.observation.at.millisecondsSinceEpoch), \(try JSONText.encode(sample.observation)))
                """)
        }
        for entry in snapshot.outbox {
            try await session.run(
                """
                INSERT INTO outbox (id, incident_id, status, next_attempt_at, entry)
                VALUES (\(entry.id), \(entry.incidentID), \(entry.status.rawValue), \(entry.nextAttemptAt.millisecondsSinceEpoch), \(try JSONText.encode(entry)))
                """)
        }
        for timer in snapshot.escalations {
            try await session.run(
                """
                INSERT INTO escalations (id, incident_id, state, due_at, timer)
                VALUES (\(timer.id), \(timer.incidentID), \(timer.state.rawValue), \(timer.dueAt.millisecondsSinceEpoch), \(try JSONText.encode(timer)))
                """)
        }
        let counters = snapshot.counters
        for (name, last) in [
            ("incidents", max(counters.incidents, snapshot.incidents.map(\.id).max() ?? 0)),
            ("outbox", max(counters.outbox, snapshot.outbox.map(\.id).max() ?? 0)),
            ("escalations", max(counters.escalations, snapshot.escalations.map(\.id).max() ?? 0)),
        ] {
            try await session.run("UPDATE id_counters SET last = \(last) WHERE name = \(name)")
        }
    }
}
