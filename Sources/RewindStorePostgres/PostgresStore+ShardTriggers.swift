import PostgresNIO
import RewindCore
import RewindPorts

/// ``ShardTriggerRelay``: `forwarded_triggers`, appended under a share lock on the shard's lease row (so that a
/// takeover of the shard waits for the append, and an append after it is refused); ``ShardStatusBoard``:
/// `shard_statuses`, written the same way; and ``LiveDeploymentListing`` in one query.
extension PostgresStore: ShardTriggerRelay, ShardStatusBoard, LiveDeploymentListing {
    public func forward(_ triggers: [ForwardedTrigger], shard: Int, grant: LeaseGrant, at: Timestamp) async throws {
        guard !triggers.isEmpty else { return }
        let texts = try triggers.map { try JSONText.encode($0) }
        let (epoch, atMs) = (grant.epoch, at.millisecondsSinceEpoch)
        try await writeUnfenced("forward shard \(shard)'s triggers") { session in
            try LeaseRecord.requireInForce(grant, stored: try await session.shardLease(shard, lock: .share))
            try await session.run(
                """
                INSERT INTO forwarded_triggers (shard, epoch, at_ms, trigger)
                SELECT \(shard), \(epoch), \(atMs), t FROM unnest(\(texts)::text[]) WITH ORDINALITY AS r(t, n) ORDER BY n
                """)
        }
    }

    public func forwardedTriggers(after id: Int64, limit: Int) async throws -> [ForwardedTriggerRow] {
        let limit = Int64(max(limit, 0))
        return try await read("read the triggers forwarded by the shards") { session in
            var rows: [ForwardedTriggerRow] = []
            for row in try await session.run(
                "SELECT id, shard::bigint, epoch, at_ms, trigger FROM forwarded_triggers WHERE id > \(id) ORDER BY id LIMIT \(limit)"
            ) {
                let (id, shard, epoch, at, text) = try row.decode((Int64, Int64, Int64, Int64, String).self)
                rows.append(
                    ForwardedTriggerRow(
                        id: id, shard: Int(shard), epoch: epoch, at: Timestamp(millisecondsSinceEpoch: at),
                        trigger: try JSONText.decode(ForwardedTrigger.self, from: text, what: "a forwarded trigger")))
            }
            return rows
        }
    }

    public func settleForwardedTriggers(through id: Int64) async throws {
        try await write("settle the triggers forwarded by the shards") { session in
            _ = try await session.run("DELETE FROM forwarded_triggers WHERE id <= \(id)")
        }
    }

    public func publishShardStatuses(_ statuses: String, shard: Int, grant: LeaseGrant, at: Timestamp) async throws {
        let (holder, epoch, atMs) = (grant.holder, grant.epoch, at.millisecondsSinceEpoch)
        try await writeUnfenced("publish shard \(shard)'s statuses") { session in
            try LeaseRecord.requireInForce(grant, stored: try await session.shardLease(shard, lock: .share))
            _ = try await session.run(
                """
                INSERT INTO shard_statuses (shard, holder, epoch, at_ms, statuses)
                VALUES (\(shard), \(holder), \(epoch), \(atMs), \(statuses))
                ON CONFLICT (shard) DO UPDATE SET holder = EXCLUDED.holder, epoch = EXCLUDED.epoch,
                    at_ms = EXCLUDED.at_ms, statuses = EXCLUDED.statuses
                """)
        }
    }

    public func shardStatuses() async throws -> [Int: ShardStatusRow] {
        try await read("read the shards' statuses") { session in
            var rows: [Int: ShardStatusRow] = [:]
            for row in try await session.run(
                "SELECT shard::bigint, holder, epoch, at_ms, statuses FROM shard_statuses")
            {
                let (shard, holder, epoch, at, statuses) = try row.decode((Int64, String, Int64, Int64, String).self)
                rows[Int(shard)] = ShardStatusRow(
                    shard: Int(shard), holder: holder, epoch: epoch, at: Timestamp(millisecondsSinceEpoch: at),
                    statuses: statuses)
            }
            return rows
        }
    }

    public func liveDeployments() async throws -> [ServiceName: LiveDeploymentRow] {
        try await read("read the live deployments") { session in
            var rows: [ServiceName: LiveDeploymentRow] = [:]
            for row in try await session.run(
                """
                SELECT l.service, l.live_since, d.deployment,
                    EXISTS (SELECT 1 FROM deployments o WHERE o.service = l.service AND o.id <> l.deployment_id)
                FROM services_live l JOIN deployments d ON d.service = l.service AND d.id = l.deployment_id
                """)
            {
                let (service, since, text, others) = try row.decode((String, Int64?, String, Bool).self)
                let deployment = try JSONText.decode(
                    Deployment.self, from: text, what: "the live deployment of \(service)")
                rows[ServiceName(service)] = LiveDeploymentRow(
                    deployment: deployment, liveSince: since.map(Timestamp.init(millisecondsSinceEpoch:)),
                    replacedAnother: others)
            }
            return rows
        }
    }
}
