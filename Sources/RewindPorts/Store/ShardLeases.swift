import RewindCore

/// One lease per shard, for replicas that share the watching (`ha.shards`): shard `k` is held by one
/// replica at a time, with its own monotonic epoch, under the same rules as the writer lease
/// (``WriterLease``, ``LeaseRecord``'s transitions, applied to the shard's own row).
///
/// - The writer lease stays the coordinator's: the one replica that decides and acts. Shard leases
///   only say which replica watches which services; any replica, the coordinator included, holds some.
/// - ``acquireShardLease(_:instance:advertising:now:until:)`` takes shard `shard` when it is free,
///   released or expired, or renews it for its holder (same epoch). A new holder gets a higher epoch.
/// - ``renewShardLease(_:_:until:)`` throws ``StoreFenced`` once another replica took the shard over:
///   the stale holder must stop watching it.
/// - ``announceReplica(_:until:)`` and ``liveReplicas(now:)`` are a heartbeat: replicas that hold no
///   shard yet are counted when the shards are shared out.
/// - Times are the caller's clock, as for the writer lease.
public protocol ShardLeases: Sendable {
    /// Takes or renews shard `shard` for `instance` until `until`, in one transaction; nil while
    /// another replica's lease on it runs.
    func acquireShardLease(
        _ shard: Int, instance: String, advertising url: String?, now: Timestamp, until: Timestamp
    ) async throws -> LeaseGrant?

    /// Extends `grant` on `shard`, keeping its epoch; ``StoreFenced`` when it is no longer in force.
    func renewShardLease(_ shard: Int, _ grant: LeaseGrant, until: Timestamp) async throws -> LeaseGrant

    /// Releases `shard` if `grant` is in force on it (another replica may take it at once); does nothing otherwise.
    func releaseShardLease(_ shard: Int, _ grant: LeaseGrant) async throws

    /// Every shard's grant in force, expired or not, by shard; a shard never taken or released is absent.
    func shardLeases() async throws -> [Int: LeaseGrant]

    /// Records that `instance` runs and takes part in sharing until `until`.
    func announceReplica(_ instance: String, until: Timestamp) async throws

    /// The replicas whose announcement still runs at `now`, sorted.
    func liveReplicas(now: Timestamp) async throws -> [String]
}
