import RewindCore

/// The state of a ``MemoryStore``, and its writes. Rows are kept in the order they were written,
/// which is what the ports' "ties in the order recorded" refer to.
struct MemoryTables: Sendable {
    /// Per service, in the order first recorded.
    var deployments: [ServiceName: [Deployment]] = [:]
    var live: [ServiceName: String] = [:]
    var liveSince: [ServiceName: Timestamp] = [:]
    var automaticRollbacks: [ServiceName: [Timestamp]] = [:]
    var freeze: Freeze?
    var automation = AutomationPauses()
    var incidents: [Int64: Incident] = [:]
    var lastIncidentID: Int64 = 0
    var timeline: [TimelineEvent] = []
    var steps: [StepRecord] = []
    /// Ascending ids.
    var outbox: [OutboxEntry] = []
    var lastOutboxID: Int64 = 0
    /// Ascending ids.
    var timers: [EscalationTimer] = []
    var lastTimerID: Int64 = 0
    /// Per incident, in the order added.
    var tasks: [Int64: [IncidentTask]] = [:]
    var samples: [Int64: [Observation]] = [:]
    var lease: LeaseRecord?
    /// ``ShardLeases``: each shard's lease, and each replica's announcement.
    var shardLeases: [Int: LeaseRecord] = [:]
    var replicas: [String: Timestamp] = [:]
    /// ``ReceivedEventLog``: in the order recorded.
    var receivedAlerts: [ReceivedAlert] = []
    var receivedValues: [ReceivedValue] = []
    /// ``ShardTriggerRelay``: ascending ids.
    var forwarded: [ForwardedTriggerRow] = []
    var lastForwardedID: Int64 = 0
    /// ``ShardStatusBoard``: each shard's last row.
    var shardStatuses: [Int: ShardStatusRow] = [:]

    mutating func insert(_ incident: Incident) throws -> Int64 {
        lastIncidentID += 1
        var stored = incident
        stored.id = lastIncidentID
        incidents[stored.id] = stored
        return stored.id
    }

    mutating func apply(_ write: StateWrite, into committed: inout CommittedChange) throws {
        switch write {
        case .updateIncident(let incident):
            try requireIncident(incident.id)
            incidents[incident.id] = incident
        case .appendTimeline(let event):
            try requireIncident(event.incidentID)
            timeline.append(event)
        case .recordStep(let record):
            try requireIncident(record.incidentID)
            steps.append(record)
        case .enqueue(var entry):
            lastOutboxID += 1
            entry.id = lastOutboxID
            outbox.append(entry)
            committed.outbox.append(entry)
        case .updateOutbox(let entry):
            try Self.replace(entry, in: &outbox, id: \.id, what: "notification \(entry.id)")
        case .updateEscalation(let timer):
            try Self.replace(timer, in: &timers, id: \.id, what: "escalation \(timer.id)")
        case .cancelEscalations(let incidentID):
            for index in timers.indices where timers[index].incidentID == incidentID && timers[index].state == .pending
            {
                timers[index].state = .cancelled
                committed.cancelledTimers += 1
            }
        case .schedule(var timer):
            lastTimerID += 1
            timer.id = lastTimerID
            timers.append(timer)
            committed.timers.append(timer)
        case .addTask(let task):
            if tasks[task.incidentID, default: []].contains(where: { $0.id == task.id }) { return }
            tasks[task.incidentID, default: []].append(task)
        case .updateTask(let task):
            guard let index = tasks[task.incidentID]?.firstIndex(where: { $0.id == task.id }) else {
                throw MemoryStoreError.notFound("task \(task.id) of incident \(task.incidentID)")
            }
            tasks[task.incidentID]?[index] = task
        case .recordSample(let incidentID, let observation):
            samples[incidentID, default: []].append(observation)
        case .setFreeze(let freeze):
            self.freeze = freeze
        case .setAutomation(let change):
            automation.apply(change)
        case .recordDeployment(let deployment, let makeLive, let since):
            if let index = deploymentIndex(deployment.service, deployment.id) {
                let stored = deployments[deployment.service]![index]
                deployments[deployment.service]![index] = DeploymentRecordMerge.merge(
                    stored: stored, incoming: deployment)
            } else {
                deployments[deployment.service, default: []].append(deployment)
            }
            if makeLive {
                live[deployment.service] = deployment.id
                liveSince[deployment.service] = since ?? deployment.deployedAt
            }
        case .setLive(let service, let deploymentID, let since):
            guard let index = deploymentIndex(service, deploymentID) else {
                throw MemoryStoreError.notFound("deployment \(service)/\(deploymentID)")
            }
            live[service] = deploymentID
            liveSince[service] = since ?? deployments[service]![index].deployedAt
        case .setTrust(let service, let deploymentID, let trust, let at):
            guard let index = deploymentIndex(service, deploymentID) else {
                throw MemoryStoreError.notFound("deployment \(service)/\(deploymentID)")
            }
            deployments[service]![index] = deployments[service]![index].settingTrust(trust, at: at)
        case .recordAutomaticRollback(let service, let at):
            automaticRollbacks[service, default: []].append(at)
        }
    }

    /// Replaces the row with `row`'s id; throws `store_not_found` when there is none.
    private static func replace<Row>(_ row: Row, in rows: inout [Row], id: KeyPath<Row, Int64>, what: String) throws {
        guard let index = rows.firstIndex(where: { $0[keyPath: id] == row[keyPath: id] }) else {
            throw MemoryStoreError.notFound(what)
        }
        rows[index] = row
    }

    private func deploymentIndex(_ service: ServiceName, _ id: String) -> Int? {
        deployments[service]?.firstIndex { $0.id == id }
    }

    private func requireIncident(_ id: Int64) throws {
        guard incidents[id] != nil else { throw MemoryStoreError.notFound("incident \(id)") }
    }
}

/// A ``MemoryStore`` refusal, with the code a database store gives for the same refusal.
public struct MemoryStoreError: RewindError, Equatable {
    public var code: String
    public var message: String

    static func notFound(_ what: String) -> MemoryStoreError {
        MemoryStoreError(code: "store_not_found", message: "\(what) is not recorded in the in-memory store")
    }
}
