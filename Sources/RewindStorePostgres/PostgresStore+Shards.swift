import PostgresNIO
import RewindCore
import RewindPorts

/// ``ShardLeases``: one row per shard in `shard_leases`, locked `FOR UPDATE` by each lease call, with the
/// writer lease's transitions (``LeaseRecord``); replicas announce themselves in `replicas`.
extension PostgresStore: ShardLeases {
    public func acquireShardLease(
        _ shard: Int, instance: String, advertising url: String?, now: Timestamp, until: Timestamp
    ) async throws -> LeaseGrant? {
        try await writeUnfenced("take shard \(shard)'s lease") { session in
            guard
                let acquired = LeaseRecord.acquiring(
                    try await session.shardLease(shard), instance: instance, advertising: url, now: now, until: until)
            else { return nil }
            try await session.saveShardLease(shard, acquired)
            return acquired.grant
        }
    }

    public func renewShardLease(_ shard: Int, _ grant: LeaseGrant, until: Timestamp) async throws -> LeaseGrant {
        try await writeUnfenced("renew shard \(shard)'s lease") { session in
            let renewed = try LeaseRecord.renewing(try await session.shardLease(shard), grant: grant, until: until)
            try await session.saveShardLease(shard, renewed)
            return renewed.grant ?? grant
        }
    }

    public func releaseShardLease(_ shard: Int, _ grant: LeaseGrant) async throws {
        try await writeUnfenced("release shard \(shard)'s lease") { session in
            if let released = LeaseRecord.releasing(try await session.shardLease(shard), grant: grant) {
                try await session.saveShardLease(shard, released)
            }
        }
    }

    public func shardLeases() async throws -> [Int: LeaseGrant] {
        try await read("read the shard leases") { session in
            var grants: [Int: LeaseGrant] = [:]
            let rows = try await session.run(
                "SELECT shard::bigint, holder, epoch, until_ms, advertise_url FROM shard_leases WHERE holder IS NOT NULL"
            )
            for row in rows {
                let (shard, holder, epoch, until, url) = try row.decode((Int64, String, Int64, Int64, String?).self)
                grants[Int(shard)] = LeaseGrant(
                    holder: holder, epoch: epoch, until: Timestamp(millisecondsSinceEpoch: until), advertiseURL: url)
            }
            return grants
        }
    }

    public func announceReplica(_ instance: String, until: Timestamp) async throws {
        let untilMs = until.millisecondsSinceEpoch
        try await writeUnfenced("announce this replica") { session in
            try await session.run(
                """
                INSERT INTO replicas (instance, until_ms) VALUES (\(instance), \(untilMs))
                ON CONFLICT (instance) DO UPDATE SET until_ms = EXCLUDED.until_ms
                """)
            // Replicas gone for an hour are forgotten, so that the table stays as small as the fleet.
            try await session.run("DELETE FROM replicas WHERE until_ms < \(untilMs - 3_600_000)")
        }
    }

    public func liveReplicas(now: Timestamp) async throws -> [String] {
        try await read("read the live replicas") { session in
            try await session.texts(
                "SELECT instance FROM replicas WHERE until_ms > \(now.millisecondsSinceEpoch) ORDER BY instance")
        }
    }
}

extension Session {
    /// Shard `shard`'s lease row, created unheld when missing and locked for the rest of the transaction;
    /// nil when never taken.
    fileprivate func shardLease(_ shard: Int) async throws -> LeaseRecord? {
        try await run(
            "INSERT INTO shard_leases (shard, holder, epoch, until_ms) VALUES (\(shard), NULL, 0, 0) ON CONFLICT (shard) DO NOTHING"
        )
        return try await shardLease(shard, lock: .update)
    }

    /// Shard `shard`'s lease row, locked for the rest of the transaction; nil when missing or never taken.
    func shardLease(_ shard: Int, lock: RowLock) async throws -> LeaseRecord? {
        let query: PostgresQuery =
            switch lock {
            case .share:
                "SELECT holder, epoch, until_ms, advertise_url FROM shard_leases WHERE shard = \(shard) FOR SHARE"
            case .update:
                "SELECT holder, epoch, until_ms, advertise_url FROM shard_leases WHERE shard = \(shard) FOR UPDATE"
            }
        guard let row = try await run(query).first else { return nil }
        let (holder, epoch, until, url) = try row.decode((String?, Int64, Int64, String?).self)
        if epoch == 0 { return nil }
        return LeaseRecord(
            holder: holder, epoch: epoch, until: Timestamp(millisecondsSinceEpoch: until), advertiseURL: url)
    }

    fileprivate func saveShardLease(_ shard: Int, _ record: LeaseRecord) async throws {
        try await run(
            "UPDATE shard_leases SET holder = \(record.holder), epoch = \(record.epoch), until_ms = \(record.until.millisecondsSinceEpoch), advertise_url = \(record.advertiseURL) WHERE shard = \(shard)"
        )
    }
}
