import RewindCore

// Every single write of the store's ports is a change of one part. A store that commits changes
// gets them all from here: it implements `commit`, the reads and the lease, nothing else.

extension DeploymentLedger where Self: StateCommitter {
    public func recordDeployment(_ deployment: Deployment, makeLive: Bool) async throws {
        _ = try await commit(StateChange(deployments: [.init(deployment, makeLive: makeLive)]))
    }

    public func setLive(service: ServiceName, deploymentID: String) async throws {
        _ = try await commit(StateChange(liveSwitches: [.init(service: service, deploymentID: deploymentID)]))
    }

    public func setTrust(service: ServiceName, deploymentID: String, trust: DeploymentTrust, at: Timestamp) async throws
    {
        _ = try await commit(
            StateChange(trustChanges: [.init(service: service, deploymentID: deploymentID, trust: trust, at: at)]))
    }

    public func recordAutomaticRollback(service: ServiceName, at: Timestamp) async throws {
        _ = try await commit(StateChange(automaticRollbacks: [.init(service: service, at: at)]))
    }

    public func setFreeze(_ freeze: Freeze?) async throws {
        _ = try await commit(StateChange(freeze: freeze.map(StateChange.FreezeChange.set) ?? .clear))
    }
}

extension IncidentJournal where Self: StateCommitter {
    public func createIncident(_ incident: Incident) async throws -> Incident {
        let committed = try await commit(StateChange(newIncident: incident))
        var stored = incident
        stored.id = committed.incidentID ?? incident.id
        return stored
    }

    public func updateIncident(_ incident: Incident) async throws {
        _ = try await commit(StateChange(incidentUpdate: incident))
    }

    public func append(_ event: TimelineEvent) async throws {
        _ = try await commit(StateChange(timeline: [event]))
    }

    public func recordStep(_ record: StepRecord) async throws {
        _ = try await commit(StateChange(steps: [record]))
    }

    public func addTasks(_ tasks: [IncidentTask]) async throws {
        _ = try await commit(StateChange(tasks: tasks))
    }

    public func updateTask(_ task: IncidentTask) async throws {
        _ = try await commit(StateChange(taskUpdates: [task]))
    }

    public func recordSamples(incidentID: Int64, _ observations: [Observation]) async throws {
        _ = try await commit(StateChange(samples: [.init(incidentID: incidentID, observations)]))
    }
}

extension NotificationOutbox where Self: StateCommitter {
    public func enqueue(_ entries: [OutboxEntry]) async throws -> [OutboxEntry] {
        try await commit(StateChange(outbox: entries)).outbox
    }

    public func updateOutbox(_ entry: OutboxEntry) async throws {
        _ = try await commit(StateChange(outboxUpdates: [entry]))
    }
}

extension EscalationTimers where Self: StateCommitter {
    public func schedule(_ timers: [EscalationTimer]) async throws {
        _ = try await commit(StateChange(newTimers: timers))
    }

    public func updateEscalation(_ timer: EscalationTimer) async throws {
        _ = try await commit(StateChange(timerUpdates: [timer]))
    }

    public func cancelEscalations(incidentID: Int64) async throws -> Int {
        try await commit(StateChange(cancelTimersOfIncident: incidentID)).cancelledTimers
    }
}
