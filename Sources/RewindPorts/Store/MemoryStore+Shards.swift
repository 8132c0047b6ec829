import RewindCore
import Synchronization

/// ``ShardLeases`` in memory: one ``LeaseRecord`` per shard, with the writer lease's transitions.
extension MemoryStore: ShardLeases {
    public func acquireShardLease(
        _ shard: Int, instance: String, advertising url: String?, now: Timestamp, until: Timestamp
    ) async throws -> LeaseGrant? {
        state.tables.withLock { tables in
            guard
                let acquired = LeaseRecord.acquiring(
                    tables.shardLeases[shard], instance: instance, advertising: url, now: now, until: until)
            else { return nil }
            tables.shardLeases[shard] = acquired
            return acquired.grant
        }
    }

    public func renewShardLease(_ shard: Int, _ grant: LeaseGrant, until: Timestamp) async throws -> LeaseGrant {
        try state.tables.withLock { tables in
            let renewed = try LeaseRecord.renewing(tables.shardLeases[shard], grant: grant, until: until)
            tables.shardLeases[shard] = renewed
            return renewed.grant ?? grant
        }
    }

    public func releaseShardLease(_ shard: Int, _ grant: LeaseGrant) async throws {
        state.tables.withLock { tables in
            if let released = LeaseRecord.releasing(tables.shardLeases[shard], grant: grant) {
                tables.shardLeases[shard] = released
            }
        }
    }

    public func shardLeases() async throws -> [Int: LeaseGrant] {
        state.tables.withLock { tables in tables.shardLeases.compactMapValues(\.grant) }
    }

    public func announceReplica(_ instance: String, until: Timestamp) async throws {
        state.tables.withLock { $0.replicas[instance] = until }
    }

    public func liveReplicas(now: Timestamp) async throws -> [String] {
        state.tables.withLock { tables in tables.replicas.filter { now < $0.value }.keys.sorted() }
    }
}
