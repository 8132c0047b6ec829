import GRDB
import RewindCore
import RewindPorts

extension SQLiteStore {
    /// One `BEGIN IMMEDIATE` transaction: the fence check (when bound to a grant), then the
    /// change's writes in order. Any error rolls all of it back.
    public func commit(_ change: StateChange) async throws -> CommittedChange {
        let path = path
        return try await write("record \(change.summary)") { db in
            let writer = ChangeWriter(db: db, path: path)
            return try change.apply(createIncident: writer.insert, write: writer.apply)
        }
    }
}

/// The SQL of every ``StateWrite``, inside the caller's transaction.
private struct ChangeWriter {
    let db: Database
    let path: String

    /// SQLite assigns the id (AUTOINCREMENT: never reused, and a rolled-back insert uses none up).
    func insert(_ incident: Incident) throws -> Int64 {
        try IncidentRow(incident, includesID: false).insert(db)
        return db.lastInsertedRowID
    }

    /// When the task's overdue reminder is due (``TaskReminder/dueAt(_:)``), or NULL when it needs none.
    static func remindAt(_ task: IncidentTask) -> Int64? {
        TaskReminder.dueAt(task)?.millisecondsSinceEpoch
    }

    func apply(_ write: StateWrite, into committed: inout CommittedChange) throws {
        switch write {
        case .updateIncident(let incident):
            try requireIncident(incident.id)
            try IncidentRow(incident).update(db)
        case .appendTimeline(let event):
            try requireIncident(event.incidentID)
            try TimelineRow(event).insert(db)
        case .recordStep(let record):
            try requireIncident(record.incidentID)
            try StepRow(record).insert(db)
        case .enqueue(let entry):
            committed.outbox.append(try enqueue(entry))
        case .updateOutbox(let entry):
            try db.execute(
                sql: "UPDATE outbox SET status = ?, next_attempt_at = ?, entry = ? WHERE id = ?",
                arguments: [
                    entry.status.rawValue, entry.nextAttemptAt.millisecondsSinceEpoch, try JSONText.encode(entry),
                    entry.id,
                ])
            try requireChange("notification \(entry.id)")
        case .updateEscalation(let timer):
            try db.execute(
                sql: "UPDATE escalations SET state = ?, due_at = ?, timer = ? WHERE id = ?",
                arguments: [
                    timer.state.rawValue, timer.dueAt.millisecondsSinceEpoch, try JSONText.encode(timer), timer.id,
                ])
            try requireChange("escalation \(timer.id)")
        case .cancelEscalations(let incidentID):
            committed.cancelledTimers += try cancelEscalations(incidentID: incidentID)
        case .schedule(let timer):
            committed.timers.append(try schedule(timer))
        case .addTask(let task):
            let position =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM tasks WHERE incident_id = ?", arguments: [task.incidentID]) ?? 0
            try db.execute(
                sql:
                    "INSERT OR IGNORE INTO tasks (incident_id, task_id, position, task, remind_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [task.incidentID, task.id, position, try JSONText.encode(task), Self.remindAt(task)])
        case .updateTask(let task):
            try db.execute(
                sql: "UPDATE tasks SET task = ?, remind_at = ? WHERE incident_id = ? AND task_id = ?",
                arguments: [try JSONText.encode(task), Self.remindAt(task), task.incidentID, task.id])
            try requireChange("task \(task.id) of incident \(task.incidentID)")
        case .recordSample(let incidentID, let observation):
            try db.execute(
                sql: "INSERT INTO samples (incident_id, at, observation) VALUES (?, ?, ?)",
                arguments: [incidentID, observation.at.millisecondsSinceEpoch, try JSONText.encode(observation)])
        case .setFreeze(let freeze):
            if let freeze {
                try FreezeRow(freeze).save(db)
            } else {
                _ = try FreezeRow.deleteOne(db, key: FreezeRow.onlyID)
            }
        case .setAutomation(.pause(let pause)):
            try db.execute(
                sql: "INSERT OR REPLACE INTO automation_pauses (scope, pause) VALUES (?, ?)",
                arguments: [pause.scope, try JSONText.encode(pause)])
        case .setAutomation(.resume(let service?)):
            try db.execute(sql: "DELETE FROM automation_pauses WHERE scope = ?", arguments: [service.rawValue])
        case .setAutomation(.resume(nil)):
            try db.execute(sql: "DELETE FROM automation_pauses")
        case .recordDeployment(let deployment, let makeLive, let since):
            let stored = try DeploymentRow.find(db, service: deployment.service, id: deployment.id)
            let merged = stored.map { DeploymentRecordMerge.merge(stored: $0.deployment, incoming: deployment) }
            try DeploymentRow(merged ?? deployment).save(db)
            if makeLive {
                try switchLive(
                    service: deployment.service, deploymentID: deployment.id, since: since ?? deployment.deployedAt)
            }
        case .setLive(let service, let deploymentID, let since):
            let row = try requireDeployment(service, deploymentID)
            try switchLive(service: service, deploymentID: deploymentID, since: since ?? row.deployment.deployedAt)
        case .setTrust(let service, let deploymentID, let trust, let at):
            var row = try requireDeployment(service, deploymentID)
            row.deployment = row.deployment.settingTrust(trust, at: at)
            try row.update(db)
        case .recordAutomaticRollback(let service, let at):
            try db.execute(
                sql: "INSERT INTO automatic_rollbacks (service, at) VALUES (?, ?)",
                arguments: [service.rawValue, at.millisecondsSinceEpoch])
        }
    }

    private func enqueue(_ entry: OutboxEntry) throws -> OutboxEntry {
        try db.execute(
            sql: "INSERT INTO outbox (incident_id, channel, status, next_attempt_at, entry) VALUES (?, ?, ?, ?, '')",
            arguments: [
                entry.incidentID, entry.channel, entry.status.rawValue, entry.nextAttemptAt.millisecondsSinceEpoch,
            ])
        var stored = entry
        stored.id = db.lastInsertedRowID
        try db.execute(
            sql: "UPDATE outbox SET entry = ? WHERE id = ?", arguments: [try JSONText.encode(stored), stored.id])
        return stored
    }

    private func schedule(_ timer: EscalationTimer) throws -> EscalationTimer {
        try db.execute(
            sql: "INSERT INTO escalations (incident_id, state, due_at, timer) VALUES (?, ?, ?, '')",
            arguments: [timer.incidentID, timer.state.rawValue, timer.dueAt.millisecondsSinceEpoch])
        var stored = timer
        stored.id = db.lastInsertedRowID
        try db.execute(
            sql: "UPDATE escalations SET timer = ? WHERE id = ?", arguments: [try JSONText.encode(stored), stored.id])
        return stored
    }

    private func cancelEscalations(incidentID: Int64) throws -> Int {
        let pending = try SQLiteStore.timers(
            db, sql: "SELECT timer FROM escalations WHERE incident_id = ? AND state = 'pending'",
            arguments: [incidentID])
        for var timer in pending {
            timer.state = .cancelled
            try db.execute(
                sql: "UPDATE escalations SET state = 'cancelled', timer = ? WHERE id = ?",
                arguments: [try JSONText.encode(timer), timer.id])
        }
        return pending.count
    }

    private func switchLive(service: ServiceName, deploymentID: String, since: Timestamp) throws {
        try db.execute(
            sql: """
                INSERT INTO services_live (service, deployment_id, live_since) VALUES (?, ?, ?)
                ON CONFLICT (service) DO UPDATE SET deployment_id = excluded.deployment_id, live_since = excluded.live_since
                """,
            arguments: [service.rawValue, deploymentID, since.millisecondsSinceEpoch])
    }

    private func requireDeployment(_ service: ServiceName, _ id: String) throws -> DeploymentRow {
        guard let row = try DeploymentRow.find(db, service: service, id: id) else {
            throw StoreError.notFound("deployment \(service)/\(id)", path: path)
        }
        return row
    }

    private func requireIncident(_ id: Int64) throws {
        guard try IncidentRow.exists(db, key: id) else {
            throw StoreError.notFound("incident \(id)", path: path)
        }
    }

    /// After an UPDATE by key: throws `store_not_found` when it matched no row.
    private func requireChange(_ what: String) throws {
        if db.changesCount == 0 { throw StoreError.notFound(what, path: path) }
    }
}
