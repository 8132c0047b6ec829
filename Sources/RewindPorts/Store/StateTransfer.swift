import RewindCore

/// What a store must say beyond the other ports so that its whole state can be read out
/// (``exportState()``): which services it has rows for, and its id counters.
public protocol StateInventory: DeploymentLedger, IncidentJournal, NotificationOutbox, EscalationTimers {
    /// Every service with a recorded deployment, a live deployment or an automatic rollback, sorted by name.
    func recordedServices() async throws -> [ServiceName]

    /// The highest ids given so far, including those of rows since pruned.
    func idCounters() async throws -> IDCounters
}

/// A store that can take a whole state at once: the target of `rewind state migrate`.
public protocol StateImport: Sendable {
    /// Writes every row of `snapshot` in one transaction, keeping its ids and order, and sets the id counters,
    /// so that the store then reads exactly as the one the snapshot was taken from.
    ///
    /// Refused with `store_not_empty` unless the store holds no deployment, incident, notification, timer,
    /// automatic rollback or freeze: an import never merges into a state in use. Not fenced (the caller holds
    /// the writer lease while it imports).
    func importState(_ snapshot: StateSnapshot) async throws
}

extension StateInventory {
    /// The whole state, read through the ports. Consistent only while nobody writes: the caller holds the
    /// writer lease (`rewind state migrate` does).
    public func exportState() async throws -> StateSnapshot {
        var snapshot = StateSnapshot()
        for service in try await recordedServices() {
            snapshot.deployments += try await deployments(of: service)
            if let live = try await liveDeployment(of: service), let since = try await liveSince(of: service) {
                snapshot.live.append(StateSnapshot.Live(service: service, deploymentID: live.id, since: since))
            }
            snapshot.automaticRollbacks += try await automaticRollbacks(
                service: service, since: Timestamp(millisecondsSinceEpoch: .min)
            ).map { StateSnapshot.AutomaticRollback(service: service, at: $0) }
        }
        snapshot.freeze = try await currentFreeze()
        snapshot.automationPauses = try await automationPauses()
        snapshot.incidents = try await incidents(limit: .max).sorted { $0.id < $1.id }
        for incident in snapshot.incidents {
            snapshot.timeline += try await timeline(incidentID: incident.id)
            snapshot.steps += try await stepHistory(incidentID: incident.id)
            snapshot.tasks += try await tasks(incidentID: incident.id)
            snapshot.samples += try await samples(incidentID: incident.id).map {
                StateSnapshot.Sample(incidentID: incident.id, observation: $0)
            }
            snapshot.escalations += try await escalations(incidentID: incident.id)
        }
        snapshot.escalations.sort { $0.id < $1.id }
        snapshot.outbox = try await recentOutbox(limit: .max).sorted { $0.id < $1.id }
        snapshot.counters = try await idCounters()
        if let log = self as? any ReceivedEventLog {
            snapshot.received = try await log.receivedEvents(
                from: Timestamp(millisecondsSinceEpoch: .min), to: Timestamp(millisecondsSinceEpoch: .max))
        }
        return snapshot
    }
}

/// `store_not_empty`: an import into a store that already holds a state.
public struct StoreNotEmpty: RewindError, Equatable {
    public var code: String { "store_not_empty" }
    public var message: String

    public init(store: String, holds: String) {
        message =
            "\(store) already holds a Rewind state (\(holds)); an import only fills an empty store — point it at a "
            + "new database or schema"
    }
}
