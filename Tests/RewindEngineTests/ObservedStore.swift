import RewindCore
import RewindPorts
import RewindStoreSQLite
import Synchronization

/// Counts the store calls the engine has in flight, and all it ever made.
final class StoreActivity: Sendable {
    private let counts = Mutex((inFlight: 0, total: 0))

    func enter() {
        counts.withLock {
            $0.inFlight += 1
            $0.total += 1
        }
    }
    func leave() { counts.withLock { $0.inFlight -= 1 } }

    var inFlight: Int { counts.withLock { $0.inFlight } }
    var total: Int { counts.withLock { $0.total } }

    private let changes = Mutex<[StateChange]>([])
    /// Every change the engine committed, in the order the store took them.
    var commits: [StateChange] { changes.withLock { $0 } }
    func committed(_ change: StateChange) { changes.withLock { $0.append(change) } }

    private let receivedWrites = Mutex<(any Error)?>(nil)
    /// While set, every write of received alerts and pushed values fails with this error (a database that refuses
    /// them); nil: they go through.
    func failReceivedWrites(with error: (any Error)?) { receivedWrites.withLock { $0 = error } }
    var receivedWriteFailure: (any Error)? { receivedWrites.withLock { $0 } }

    private let renewals = Mutex<(any Error)?>(nil)
    /// While set, every lease renewal fails with this error (a database that refuses writes).
    func failRenewals(with error: (any Error)?) { renewals.withLock { $0 = error } }
    var renewalFailure: (any Error)? { renewals.withLock { $0 } }

    /// Renewals held unanswered (a database that stopped answering); nil while renewals go through.
    private let held = Mutex<[CheckedContinuation<Void, Never>]?>(nil)
    /// From now on, every lease renewal waits without answering, cancellation or not, until ``answerRenewals()``.
    func holdRenewals() { held.withLock { $0 = $0 ?? [] } }
    /// Lets the held renewals go on (each then fails) and stops holding new ones.
    func answerRenewals() {
        let waiting = held.withLock { held in
            defer { held = nil }
            return held ?? []
        }
        for renewal in waiting { renewal.resume() }
    }
    /// Waits while renewals are held; true when this renewal was held.
    func waitIfRenewalsHeld() async -> Bool {
        guard held.withLock({ $0 != nil }) else { return false }
        await withCheckedContinuation { continuation in
            let holding = held.withLock { held in
                guard held != nil else { return false }
                held?.append(continuation)
                return true
            }
            if !holding { continuation.resume() }
        }
        return true
    }
}

/// A renewal that was held, then let go: it fails.
struct HeldRenewal: Error {}

/// A real store (SQLite, or the in-memory store replicas share in the sharding scenarios) as the engine sees it,
/// counting the calls in flight: a call in flight may run off the engine's thread (on the store's own queue, or in
/// a task of its own), so the engine is idle only when none is in flight and its thread has nothing to run (see
/// ``EngineRun/settle()`` and ``EngineExecutor``).
struct ObservedStore<Base: RewindStore & ReceivedEventLog>: RewindStore {
    let base: Base
    let activity: StoreActivity

    private func tracked<T>(_ call: () async throws -> T) async throws -> T {
        activity.enter()
        defer { activity.leave() }
        return try await call()
    }

    func recordDeployment(_ deployment: Deployment, makeLive: Bool) async throws {
        try await tracked { try await base.recordDeployment(deployment, makeLive: makeLive) }
    }
    func deployments(of service: ServiceName) async throws -> [Deployment] {
        try await tracked { try await base.deployments(of: service) }
    }
    func recentDeployments(of service: ServiceName, limit: Int) async throws -> [Deployment] {
        try await tracked { try await base.recentDeployments(of: service, limit: limit) }
    }
    func recordedServices() async throws -> [ServiceName] {
        try await tracked { try await base.recordedServices() }
    }
    func idCounters() async throws -> IDCounters {
        try await tracked { try await base.idCounters() }
    }
    func prune(_ retention: RetentionPolicy, now: Timestamp) async throws -> PruneReport {
        try await tracked { try await base.prune(retention, now: now) }
    }
    func liveSince(of service: ServiceName) async throws -> Timestamp? {
        try await tracked { try await base.liveSince(of: service) }
    }
    func liveDeployment(of service: ServiceName) async throws -> Deployment? {
        try await tracked { try await base.liveDeployment(of: service) }
    }
    func setLive(service: ServiceName, deploymentID: String) async throws {
        try await tracked { try await base.setLive(service: service, deploymentID: deploymentID) }
    }
    func setTrust(service: ServiceName, deploymentID: String, trust: DeploymentTrust, at: Timestamp) async throws {
        try await tracked {
            try await base.setTrust(service: service, deploymentID: deploymentID, trust: trust, at: at)
        }
    }
    func createIncident(_ incident: Incident) async throws -> Incident {
        try await tracked { try await base.createIncident(incident) }
    }
    func updateIncident(_ incident: Incident) async throws {
        try await tracked { try await base.updateIncident(incident) }
    }
    func incident(id: Int64) async throws -> Incident? {
        try await tracked { try await base.incident(id: id) }
    }
    func incidents(limit: Int) async throws -> [Incident] {
        try await tracked { try await base.incidents(limit: limit) }
    }
    func openIncidents() async throws -> [Incident] {
        try await tracked { try await base.openIncidents() }
    }
    func append(_ event: TimelineEvent) async throws {
        try await tracked { try await base.append(event) }
    }
    func timeline(incidentID: Int64) async throws -> [TimelineEvent] {
        try await tracked { try await base.timeline(incidentID: incidentID) }
    }
    func recordStep(_ record: StepRecord) async throws {
        try await tracked { try await base.recordStep(record) }
    }
    func steps(incidentID: Int64) async throws -> [StepRecord] {
        try await tracked { try await base.steps(incidentID: incidentID) }
    }
    func recordAutomaticRollback(service: ServiceName, at: Timestamp) async throws {
        try await tracked { try await base.recordAutomaticRollback(service: service, at: at) }
    }
    func automaticRollbacks(service: ServiceName, since: Timestamp) async throws -> [Timestamp] {
        try await tracked { try await base.automaticRollbacks(service: service, since: since) }
    }
    func setFreeze(_ freeze: Freeze?) async throws {
        try await tracked { try await base.setFreeze(freeze) }
    }
    func currentFreeze() async throws -> Freeze? {
        try await tracked { try await base.currentFreeze() }
    }
    func automationPauses() async throws -> [AutomationPause] {
        try await tracked { try await base.automationPauses() }
    }
    func enqueue(_ entries: [OutboxEntry]) async throws -> [OutboxEntry] {
        try await tracked { try await base.enqueue(entries) }
    }
    func dueOutbox(now: Timestamp, limit: Int) async throws -> [OutboxEntry] {
        try await tracked { try await base.dueOutbox(now: now, limit: limit) }
    }
    func updateOutbox(_ entry: OutboxEntry) async throws {
        try await tracked { try await base.updateOutbox(entry) }
    }
    func outbox(incidentID: Int64) async throws -> [OutboxEntry] {
        try await tracked { try await base.outbox(incidentID: incidentID) }
    }
    func recentOutbox(limit: Int) async throws -> [OutboxEntry] {
        try await tracked { try await base.recentOutbox(limit: limit) }
    }
    func schedule(_ timers: [EscalationTimer]) async throws {
        try await tracked { try await base.schedule(timers) }
    }
    func dueEscalations(now: Timestamp) async throws -> [EscalationTimer] {
        try await tracked { try await base.dueEscalations(now: now) }
    }
    func updateEscalation(_ timer: EscalationTimer) async throws {
        try await tracked { try await base.updateEscalation(timer) }
    }
    func escalations(incidentID: Int64) async throws -> [EscalationTimer] {
        try await tracked { try await base.escalations(incidentID: incidentID) }
    }
    func cancelEscalations(incidentID: Int64) async throws -> Int {
        try await tracked { try await base.cancelEscalations(incidentID: incidentID) }
    }
    func addTasks(_ tasks: [IncidentTask]) async throws {
        try await tracked { try await base.addTasks(tasks) }
    }
    func tasks(incidentID: Int64) async throws -> [IncidentTask] {
        try await tracked { try await base.tasks(incidentID: incidentID) }
    }
    func updateTask(_ task: IncidentTask) async throws {
        try await tracked { try await base.updateTask(task) }
    }
    func overdueTasks(now: Timestamp) async throws -> [IncidentTask] {
        try await tracked { try await base.overdueTasks(now: now) }
    }
    func recordSamples(incidentID: Int64, _ observations: [Observation]) async throws {
        try await tracked { try await base.recordSamples(incidentID: incidentID, observations) }
    }
    func samples(incidentID: Int64) async throws -> [Observation] {
        try await tracked { try await base.samples(incidentID: incidentID) }
    }
    func acquireLease(holder: String, now: Timestamp, until: Timestamp) async throws -> Bool {
        try await tracked { try await base.acquireLease(holder: holder, now: now, until: until) }
    }
    func releaseLease(holder: String) async throws {
        try await tracked { try await base.releaseLease(holder: holder) }
    }
    func stepHistory(incidentID: Int64) async throws -> [StepRecord] {
        try await tracked { try await base.stepHistory(incidentID: incidentID) }
    }
    func commit(_ change: StateChange) async throws -> CommittedChange {
        try await tracked {
            let committed = try await base.commit(change)
            activity.committed(change)
            return committed
        }
    }
    func acquireLease(
        instance: String, advertising url: String?, now: Timestamp, until: Timestamp
    ) async throws -> LeaseGrant? {
        try await tracked { try await base.acquireLease(instance: instance, advertising: url, now: now, until: until) }
    }
    func renewLease(_ grant: LeaseGrant, until: Timestamp) async throws -> LeaseGrant {
        if let failure = activity.renewalFailure { throw failure }
        if await activity.waitIfRenewalsHeld() { throw HeldRenewal() }
        return try await tracked { try await base.renewLease(grant, until: until) }
    }
    func releaseLease(_ grant: LeaseGrant) async throws {
        try await tracked { try await base.releaseLease(grant) }
    }
    func currentLease() async throws -> LeaseGrant? {
        try await tracked { try await base.currentLease() }
    }
    func fenced(by grant: LeaseGrant) -> ObservedStore {
        ObservedStore(base: base.fenced(by: grant), activity: activity)
    }
}

extension ObservedStore: ReceivedEventLog {
    func recordReceived(_ events: ReceivedEvents) async throws {
        try await tracked {
            if let failure = activity.receivedWriteFailure { throw failure }
            try await base.recordReceived(events)
        }
    }
    func receivedEvents(from: Timestamp, to: Timestamp) async throws -> ReceivedEvents {
        try await tracked { try await base.receivedEvents(from: from, to: to) }
    }
    func pruneReceived(before: Timestamp, keepingNewest: Int) async throws -> ReceivedEventsPruned {
        try await tracked { try await base.pruneReceived(before: before, keepingNewest: keepingNewest) }
    }
}

extension ObservedStore: ShardLeases where Base: ShardLeases {
    func acquireShardLease(
        _ shard: Int, instance: String, advertising url: String?, now: Timestamp, until: Timestamp
    ) async throws -> LeaseGrant? {
        try await tracked {
            try await base.acquireShardLease(shard, instance: instance, advertising: url, now: now, until: until)
        }
    }
    func renewShardLease(_ shard: Int, _ grant: LeaseGrant, until: Timestamp) async throws -> LeaseGrant {
        try await tracked { try await base.renewShardLease(shard, grant, until: until) }
    }
    func releaseShardLease(_ shard: Int, _ grant: LeaseGrant) async throws {
        try await tracked { try await base.releaseShardLease(shard, grant) }
    }
    func shardLeases() async throws -> [Int: LeaseGrant] {
        try await tracked { try await base.shardLeases() }
    }
    func announceReplica(_ instance: String, until: Timestamp) async throws {
        try await tracked { try await base.announceReplica(instance, until: until) }
    }
    func liveReplicas(now: Timestamp) async throws -> [String] {
        try await tracked { try await base.liveReplicas(now: now) }
    }
}

extension ObservedStore: ShardTriggerRelay where Base: ShardTriggerRelay {
    func forward(_ triggers: [ForwardedTrigger], shard: Int, grant: LeaseGrant, at: Timestamp) async throws {
        try await tracked { try await base.forward(triggers, shard: shard, grant: grant, at: at) }
    }
    func forwardedTriggers(after id: Int64, limit: Int) async throws -> [ForwardedTriggerRow] {
        try await tracked { try await base.forwardedTriggers(after: id, limit: limit) }
    }
    func settleForwardedTriggers(through id: Int64) async throws {
        try await tracked { try await base.settleForwardedTriggers(through: id) }
    }
}

extension ObservedStore: LiveDeploymentListing where Base: LiveDeploymentListing {
    func liveDeployments() async throws -> [ServiceName: LiveDeploymentRow] {
        try await tracked { try await base.liveDeployments() }
    }
}

extension ObservedStore: ShardStatusBoard where Base: ShardStatusBoard {
    func publishShardStatuses(_ statuses: String, shard: Int, grant: LeaseGrant, at: Timestamp) async throws {
        try await tracked { try await base.publishShardStatuses(statuses, shard: shard, grant: grant, at: at) }
    }
    func shardStatuses() async throws -> [Int: ShardStatusRow] {
        try await tracked { try await base.shardStatuses() }
    }
}
