import RewindCore

/// What a shard's holder saw that the coordinator must decide on (`ha.shards`): the watchers of a shard run on
/// the replica holding its lease, while only the coordinator — the writer lease's holder — decides and acts.
public enum ForwardedTrigger: Sendable, Equatable, Codable {
    /// A health check or metric signal fired.
    case violation(Violation)
    /// A check (`kind` "check") or signal ("signal") met its recovery rule.
    case recovered(service: ServiceName, kind: String, name: String)
    /// One evaluation of a monitoring source (see ``SupervisorEvent/monitoring(source:ok:at:detail:services:)``).
    case monitoring(source: String, ok: Bool, at: Timestamp, detail: String, services: [ServiceName])
    /// A signal left its usual range before its threshold fired (a notice only).
    case earlyWarning(EarlyWarning, severity: Severity, query: String)
    /// The holder started watching these services afresh (it took their shard, or reloaded its policy): what
    /// fired under the previous watchers is forgotten, as after a reload.
    case watchRestarted([ServiceName])
}

/// A ``ForwardedTrigger`` as stored: `id` ascends in the order forwarded.
public struct ForwardedTriggerRow: Sendable, Equatable {
    public var id: Int64
    public var shard: Int
    /// The epoch of the shard lease it was forwarded under.
    public var epoch: Int64
    /// When the holder forwarded it (its clock).
    public var at: Timestamp
    public var trigger: ForwardedTrigger

    public init(id: Int64, shard: Int, epoch: Int64, at: Timestamp, trigger: ForwardedTrigger) {
        self.id = id
        self.shard = shard
        self.epoch = epoch
        self.at = at
        self.trigger = trigger
    }
}

/// The way from the shards' holders to the coordinator: a queue in the shared state.
///
/// - ``forward(_:shard:grant:at:)`` appends, in one transaction, only while `grant` is shard `shard`'s lease in
///   force; otherwise it throws ``StoreFenced`` and appends nothing: a holder paused past its lease, whose shard
///   another replica took over, cannot report for it any more.
/// - ``forwardedTriggers(after:limit:)`` reads in the order forwarded, so the coordinator sees each shard's
///   triggers in the order they happened.
/// - ``settleForwardedTriggers(through:)`` deletes what the coordinator has decided on. It is a write like any
///   other: a store fenced by the writer lease refuses it once another coordinator took over, so that a paused
///   coordinator cannot settle what it never decided on; the new one reads the rows from the start.
public protocol ShardTriggerRelay: Sendable {
    func forward(_ triggers: [ForwardedTrigger], shard: Int, grant: LeaseGrant, at: Timestamp) async throws

    /// At most `limit` rows with an id above `id`, oldest first.
    func forwardedTriggers(after id: Int64, limit: Int) async throws -> [ForwardedTriggerRow]

    /// Deletes every row up to and including `id`.
    func settleForwardedTriggers(through id: Int64) async throws
}

/// One service's live deployment, as shard holders that do not run the supervisor read it.
public struct LiveDeploymentRow: Sendable, Equatable {
    public var deployment: Deployment
    public var liveSince: Timestamp?
    /// The state holds more than one deployment of the service.
    public var replacedAnother: Bool

    public init(deployment: Deployment, liveSince: Timestamp?, replacedAnother: Bool) {
        self.deployment = deployment
        self.liveSince = liveSince
        self.replacedAnother = replacedAnother
    }
}

/// Every service's live deployment in one read: what a shard's holder watches against, since only the
/// coordinator runs the supervisor that makes deployments live.
public protocol LiveDeploymentListing: Sendable {
    /// The live deployment of every service that has one, by service.
    func liveDeployments() async throws -> [ServiceName: LiveDeploymentRow]
}
