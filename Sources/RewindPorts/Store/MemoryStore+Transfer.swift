import RewindCore
import Synchronization

extension MemoryStore: StateImport {
    public func recordedServices() async throws -> [ServiceName] {
        read { tables in
            Set(tables.deployments.keys).union(tables.live.keys).union(tables.automaticRollbacks.keys)
                .sorted { $0.rawValue < $1.rawValue }
        }
    }

    public func idCounters() async throws -> IDCounters {
        read { IDCounters(incidents: $0.lastIncidentID, outbox: $0.lastOutboxID, escalations: $0.lastTimerID) }
    }

    public func importState(_ snapshot: StateSnapshot) async throws {
        try state.tables.withLock { tables in
            if let holds = tables.heldRows {
                throw StoreNotEmpty(store: "the in-memory store", holds: holds)
            }
            var draft = tables
            draft.load(snapshot)
            tables = draft
        }
    }
}

extension MemoryTables {
    /// What the tables hold that makes them a state in use, or nil when they are empty.
    var heldRows: String? {
        let held = [
            (deployments.values.reduce(0) { $0 + $1.count }, "deployments"),
            (incidents.count, "incidents"), (outbox.count, "notifications"), (timers.count, "escalation timers"),
            (automaticRollbacks.values.reduce(0) { $0 + $1.count }, "automatic rollbacks"),
            (freeze == nil ? 0 : 1, "freeze"), (automation.list.count, "automation pauses"),
        ].filter { $0.0 > 0 }
        return held.isEmpty ? nil : held.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    }

    /// Fills empty tables with `snapshot`'s rows, in its order.
    mutating func load(_ snapshot: StateSnapshot) {
        for deployment in snapshot.deployments { deployments[deployment.service, default: []].append(deployment) }
        for live in snapshot.live {
            self.live[live.service] = live.deploymentID
            liveSince[live.service] = live.since
        }
        for rollback in snapshot.automaticRollbacks {
            automaticRollbacks[rollback.service, default: []].append(rollback.at)
        }
        freeze = snapshot.freeze
        automation = AutomationPauses(snapshot.automationPauses)
        for incident in snapshot.incidents { incidents[incident.id] = incident }
        timeline = snapshot.timeline
        steps = snapshot.steps
        for task in snapshot.tasks { tasks[task.incidentID, default: []].append(task) }
        for sample in snapshot.samples { samples[sample.incidentID, default: []].append(sample.observation) }
        outbox = snapshot.outbox
        timers = snapshot.escalations
        lastIncidentID = max(snapshot.counters.incidents, snapshot.incidents.map(\.id).max() ?? 0)
        lastOutboxID = max(snapshot.counters.outbox, snapshot.outbox.map(\.id).max() ?? 0)
        lastTimerID = max(snapshot.counters.escalations, snapshot.escalations.map(\.id).max() ?? 0)
        receivedAlerts = snapshot.received.alerts
        receivedValues = snapshot.received.values
    }
}
