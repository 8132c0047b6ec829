import RewindCore
import Synchronization

/// ``ShardTriggerRelay``, ``ShardStatusBoard`` and ``LiveDeploymentListing`` in memory: forwarding and publishing
/// check the shard's lease row, settling checks the writer lease when the store is fenced.
extension MemoryStore: ShardTriggerRelay, ShardStatusBoard, LiveDeploymentListing {
    public func forward(_ triggers: [ForwardedTrigger], shard: Int, grant: LeaseGrant, at: Timestamp) async throws {
        try state.tables.withLock { tables in
            try LeaseRecord.requireInForce(grant, stored: tables.shardLeases[shard])
            for trigger in triggers {
                tables.lastForwardedID += 1
                tables.forwarded.append(
                    ForwardedTriggerRow(
                        id: tables.lastForwardedID, shard: shard, epoch: grant.epoch, at: at, trigger: trigger))
            }
        }
    }

    public func forwardedTriggers(after id: Int64, limit: Int) async throws -> [ForwardedTriggerRow] {
        read { tables in Array(tables.forwarded.lazy.filter { $0.id > id }.prefix(max(limit, 0))) }
    }

    public func settleForwardedTriggers(through id: Int64) async throws {
        try state.tables.withLock { tables in
            if let fence { try LeaseRecord.requireInForce(fence, stored: tables.lease) }
            tables.forwarded.removeAll { $0.id <= id }
        }
    }

    public func publishShardStatuses(_ statuses: String, shard: Int, grant: LeaseGrant, at: Timestamp) async throws {
        try state.tables.withLock { tables in
            try LeaseRecord.requireInForce(grant, stored: tables.shardLeases[shard])
            tables.shardStatuses[shard] = ShardStatusRow(
                shard: shard, holder: grant.holder, epoch: grant.epoch, at: at, statuses: statuses)
        }
    }

    public func shardStatuses() async throws -> [Int: ShardStatusRow] {
        read(\.shardStatuses)
    }

    public func liveDeployments() async throws -> [ServiceName: LiveDeploymentRow] {
        read { tables in
            var rows: [ServiceName: LiveDeploymentRow] = [:]
            for (service, id) in tables.live {
                guard let deployments = tables.deployments[service],
                    let live = deployments.first(where: { $0.id == id })
                else { continue }
                rows[service] = LiveDeploymentRow(
                    deployment: live, liveSince: tables.liveSince[service], replacedAnother: deployments.count > 1)
            }
            return rows
        }
    }
}
