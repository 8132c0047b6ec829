import PostgresNIO
import RewindCore
import RewindPorts

extension PostgresStore {
    /// One transaction: the fence check (when bound to a grant), the new incident, then the
    /// change's writes in order. Any error rolls all of it back, ids included.
    public func commit(_ change: StateChange) async throws -> CommittedChange {
        try change.requirePlaceholderUse()
        let database = database
        return try await write("record \(change.summary)") { session in
            let writer = ChangeWriter(session: session, database: database)
            var committed = CommittedChange()
            var resolved = change
            if let newIncident = change.newIncident {
                let id = try await writer.insert(newIncident)
                committed.incidentID = id
                resolved = change.replacingPlaceholder(with: id)
            }
            for each in resolved.writes { try await writer.apply(each, into: &committed) }
            return committed
        }
    }
}

/// The SQL of every ``StateWrite``, inside the caller's transaction. Each write means what the
/// SQLite and in-memory stores make it mean (the contract suite holds them to it).
private struct ChangeWriter {
    let session: Session
    let database: String

    func insert(_ incident: Incident) async throws -> Int64 {
        var stored = incident
        stored.id = try await session.nextID("incidents")
        try await session.run(
            "INSERT INTO incidents (id, status, incident) VALUES (\(stored.id), \(stored.status.rawValue), \(try JSONText.encode(stored)))"
        )
        return stored.id
    }

    func apply(_ write: StateWrite, into committed: inout CommittedChange) async throws {
        switch write {
        case .updateIncident(let incident):
            let updated = try await session.integers(
                "UPDATE incidents SET status = \(incident.status.rawValue), incident = \(try JSONText.encode(incident)) WHERE id = \(incident.id) RETURNING id"
            )
            try require(updated, "incident \(incident.id)")
        case .appendTimeline(let event):
            try await requireIncident(event.incidentID)
            try await session.run(
                "INSERT INTO timeline (incident_id, at, event) VALUES (\(event.incidentID), \(event.at.millisecondsSinceEpoch), \(try JSONText.encode(event)))"
            )
        case .recordStep(let record):
            try await requireIncident(record.incidentID)
            try await session.run(
                "INSERT INTO steps (incident_id, step_id, record) VALUES (\(record.incidentID), \(record.stepID), \(try JSONText.encode(record)))"
            )
        case .enqueue(var entry):
            entry.id = try await session.nextID("outbox")
            try await session.run(
                """
                INSERT INTO outbox (id, incident_id, status, next_attempt_at, entry)
                VALUES (\(entry.id), \(entry.incidentID), \(entry.status.rawValue), \(entry.nextAttemptAt.millisecondsSinceEpoch), \(try JSONText.encode(entry)))
                """)
            committed.outbox.append(entry)
        case .updateOutbox(let entry):
            let updated = try await session.integers(
                """
                UPDATE outbox SET status = \(entry.status.rawValue), next_attempt_at = \(entry.nextAttemptAt.millisecondsSinceEpoch),
                    entry = \(try JSONText.encode(entry)) WHERE id = \(entry.id) RETURNING id
                """)
            try require(updated, "notification \(entry.id)")
        case .updateEscalation(let timer):
            let updated = try await session.integers(
                """
                UPDATE escalations SET state = \(timer.state.rawValue), due_at = \(timer.dueAt.millisecondsSinceEpoch),
                    timer = \(try JSONText.encode(timer)) WHERE id = \(timer.id) RETURNING id
                """)
            try require(updated, "escalation \(timer.id)")
        case .cancelEscalations(let incidentID):
            committed.cancelledTimers += try await cancelEscalations(incidentID: incidentID)
        case .schedule(var timer):
            timer.id = try await session.nextID("escalations")
            try await session.run(
                """
                INSERT INTO escalations (id, incident_id, state, due_at, timer)
                VALUES (\(timer.id), \(timer.incidentID), \(timer.state.rawValue), \(timer.dueAt.millisecondsSinceEpoch), \(try JSONText.encode(timer)))
                """)
            committed.timers.append(timer)
        case .addTask(let task):
            try await session.run(
                """
                INSERT INTO tasks (incident_id, task_id, task, remind_at)
                VALUES (\(task.incidentID), \(task.id), \(try JSONText.encode(task)), \(TaskReminder.dueAt(task)?.millisecondsSinceEpoch))
                ON CONFLICT (incident_id, task_id) DO NOTHING
                """)
        case .updateTask(let task):
            let updated = try await session.integers(
                """
                UPDATE tasks SET task = \(try JSONText.encode(task)), remind_at = \(TaskReminder.dueAt(task)?.millisecondsSinceEpoch)
                WHERE incident_id = \(task.incidentID) AND task_id = \(task.id) RETURNING seq
                """)
            try require(updated, "task \(task.id) of incident \(task.incidentID)")
        case .recordSample(let incidentID, let observation):
            try await session.run(
                "INSERT INTO samples (incident_id, at, observation) VALUES (\(incidentID), \(observation.at.millisecondsSinceEpoch), \(try JSONText.encode(observation)))"
            )
        case .setFreeze(let freeze):
            if let freeze {
                try await session.run(
                    "INSERT INTO deployment_freeze (id, value) VALUES (1, \(try JSONText.encode(freeze))) ON CONFLICT (id) DO UPDATE SET value = excluded.value"
                )
            } else {
                try await session.run("DELETE FROM deployment_freeze WHERE id = 1")
            }
        case .setAutomation(.pause(let pause)):
            try await session.run(
                "INSERT INTO automation_pauses (scope, value) VALUES (\(pause.scope), \(try JSONText.encode(pause))) ON CONFLICT (scope) DO UPDATE SET value = excluded.value"
            )
        case .setAutomation(.resume(let service?)):
            try await session.run("DELETE FROM automation_pauses WHERE scope = \(service.rawValue)")
        case .setAutomation(.resume(nil)):
            try await session.run("DELETE FROM automation_pauses")
        case .recordDeployment(let deployment, let makeLive, let since):
            try await record(deployment)
            if makeLive {
                try await switchLive(
                    service: deployment.service, deploymentID: deployment.id, since: since ?? deployment.deployedAt)
            }
        case .setLive(let service, let deploymentID, let since):
            let stored = try await requireDeployment(service, deploymentID)
            try await switchLive(service: service, deploymentID: deploymentID, since: since ?? stored.deployedAt)
        case .setTrust(let service, let deploymentID, let trust, let at):
            let stored = try await requireDeployment(service, deploymentID)
            try await saveDeployment(stored.settingTrust(trust, at: at))
        case .recordAutomaticRollback(let service, let at):
            try await session.run(
                "INSERT INTO automatic_rollbacks (service, at) VALUES (\(service.rawValue), \(at.millisecondsSinceEpoch))"
            )
        }
    }

    /// Inserts the deployment, or merges it into the stored one (``DeploymentRecordMerge``),
    /// keeping the row — and so its place in the order first recorded. The row is locked before
    /// the merge, so concurrent records of one deployment merge one after the other.
    private func record(_ deployment: Deployment) async throws {
        if let stored = try await lockedDeployment(deployment.service, deployment.id) {
            try await saveDeployment(DeploymentRecordMerge.merge(stored: stored, incoming: deployment))
            return
        }
        let inserted = try await session.integers(
            """
            INSERT INTO deployments (service, id, deployed_at, deployment)
            VALUES (\(deployment.service.rawValue), \(deployment.id), \(deployment.deployedAt.millisecondsSinceEpoch), \(try JSONText.encode(deployment)))
            ON CONFLICT (service, id) DO NOTHING RETURNING seq
            """)
        guard inserted.isEmpty else { return }
        // Another transaction recorded it meanwhile: merge into what it stored.
        let stored = try await requireDeployment(deployment.service, deployment.id)
        try await saveDeployment(DeploymentRecordMerge.merge(stored: stored, incoming: deployment))
    }

    private func saveDeployment(_ deployment: Deployment) async throws {
        try await session.run(
            """
            UPDATE deployments SET deployed_at = \(deployment.deployedAt.millisecondsSinceEpoch), deployment = \(try JSONText.encode(deployment))
            WHERE service = \(deployment.service.rawValue) AND id = \(deployment.id)
            """)
    }

    private func lockedDeployment(_ service: ServiceName, _ id: String) async throws -> Deployment? {
        try await session.values(
            Deployment.self,
            "SELECT deployment FROM deployments WHERE service = \(service.rawValue) AND id = \(id) FOR UPDATE",
            what: "deployment \(service)/\(id)"
        ).first
    }

    private func requireDeployment(_ service: ServiceName, _ id: String) async throws -> Deployment {
        guard let stored = try await lockedDeployment(service, id) else {
            throw PostgresStoreError.notFound("deployment \(service)/\(id)", database: database)
        }
        return stored
    }

    private func switchLive(service: ServiceName, deploymentID: String, since: Timestamp) async throws {
        try await session.run(
            """
            INSERT INTO services_live (service, deployment_id, live_since) VALUES (\(service.rawValue), \(deploymentID), \(since.millisecondsSinceEpoch))
            ON CONFLICT (service) DO UPDATE SET deployment_id = excluded.deployment_id, live_since = excluded.live_since
            """)
    }

    private func cancelEscalations(incidentID: Int64) async throws -> Int {
        let pending = try await session.values(
            EscalationTimer.self,
            "SELECT timer FROM escalations WHERE incident_id = \(incidentID) AND state = 'pending' ORDER BY id FOR UPDATE",
            what: "an escalation timer")
        for var timer in pending {
            timer.state = .cancelled
            try await session.run(
                "UPDATE escalations SET state = 'cancelled', timer = \(try JSONText.encode(timer)) WHERE id = \(timer.id)"
            )
        }
        return pending.count
    }

    private func requireIncident(_ id: Int64) async throws {
        try require(try await session.integers("SELECT id FROM incidents WHERE id = \(id)"), "incident \(id)")
    }

    /// After a statement by key: throws `store_not_found` when it matched no row.
    private func require(_ rows: [Int64], _ what: String) throws {
        if rows.isEmpty { throw PostgresStoreError.notFound(what, database: database) }
    }
}
