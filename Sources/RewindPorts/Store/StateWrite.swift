import RewindCore

/// One write of a ``StateChange``, after the new incident is created and its id put in place of
/// the placeholder. A store implements ``StateCommitter/commit(_:)`` by applying
/// ``StateChange/writes`` one by one inside its transaction, so that every store applies the same
/// writes in the same order.
public enum StateWrite: Sendable, Equatable {
    case updateIncident(Incident)
    case appendTimeline(TimelineEvent)
    case recordStep(StepRecord)
    /// Assigns the entry an id; the commit returns it as stored.
    case enqueue(OutboxEntry)
    case updateOutbox(OutboxEntry)
    case updateEscalation(EscalationTimer)
    /// The commit returns how many pending timers it cancelled.
    case cancelEscalations(incidentID: Int64)
    /// Assigns the timer an id; the commit returns it as stored.
    case schedule(EscalationTimer)
    case addTask(IncidentTask)
    case updateTask(IncidentTask)
    case recordSample(incidentID: Int64, Observation)
    case setFreeze(Freeze?)
    case setAutomation(AutomationChange)
    /// With `makeLive`, live since `liveSince` (nil: the deployment's `deployedAt`).
    case recordDeployment(Deployment, makeLive: Bool, liveSince: Timestamp?)
    /// Live since `since` (nil: the deployment's `deployedAt`).
    case setLive(service: ServiceName, deploymentID: String, since: Timestamp?)
    case setTrust(service: ServiceName, deploymentID: String, trust: DeploymentTrust, at: Timestamp)
    case recordAutomaticRollback(service: ServiceName, at: Timestamp)
}

extension StateChange {
    /// Every write but the incident creation, in the order a store applies them (the order the
    /// properties are declared; rows in the order given).
    public var writes: [StateWrite] {
        var writes: [StateWrite] = incidentUpdate.map { [.updateIncident($0)] } ?? []
        writes += timeline.map(StateWrite.appendTimeline)
        writes += steps.map(StateWrite.recordStep)
        writes += outbox.map(StateWrite.enqueue)
        writes += outboxUpdates.map(StateWrite.updateOutbox)
        writes += timerUpdates.map(StateWrite.updateEscalation)
        writes += cancelTimersOfIncident.map { [.cancelEscalations(incidentID: $0)] } ?? []
        writes += newTimers.map(StateWrite.schedule)
        writes += tasks.map(StateWrite.addTask)
        writes += taskUpdates.map(StateWrite.updateTask)
        writes += samples.flatMap { batch in
            batch.observations.map { StateWrite.recordSample(incidentID: batch.incidentID, $0) }
        }
        switch freeze {
        case .set(let freeze): writes.append(.setFreeze(freeze))
        case .clear: writes.append(.setFreeze(nil))
        case nil: break
        }
        writes += automation.map(StateWrite.setAutomation)
        writes += deployments.map { .recordDeployment($0.deployment, makeLive: $0.makeLive, liveSince: $0.liveSince) }
        writes += liveSwitches.map { .setLive(service: $0.service, deploymentID: $0.deploymentID, since: $0.since) }
        writes += trustChanges.map {
            .setTrust(service: $0.service, deploymentID: $0.deploymentID, trust: $0.trust, at: $0.at)
        }
        writes += automaticRollbacks.map { .recordAutomaticRollback(service: $0.service, at: $0.at) }
        return writes
    }

    /// Applies the change through a store's primitives, inside the caller's transaction: creates
    /// ``newIncident`` with `createIncident` (which returns the assigned id), puts that id in
    /// place of the placeholder, then hands each of ``writes`` to `write`, which records what it
    /// assigned or cancelled in the result. Throws ``InvalidStateChange`` before writing anything
    /// when the change uses the placeholder without creating an incident.
    ///
    /// Synchronous, for stores whose transactions are (SQLite, memory); an asynchronous store
    /// follows the same three steps.
    public func apply(
        createIncident: (Incident) throws -> Int64,
        write: (StateWrite, inout CommittedChange) throws -> Void
    ) throws -> CommittedChange {
        try requirePlaceholderUse()
        var committed = CommittedChange()
        var resolved = self
        if let newIncident {
            let id = try createIncident(newIncident)
            committed.incidentID = id
            resolved = replacingPlaceholder(with: id)
        }
        for each in resolved.writes { try write(each, &committed) }
        return committed
    }
}
