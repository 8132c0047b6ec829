import RewindCore
import RewindPorts
import Testing

/// The stores that share shards among replicas: every factory whose store has ``ShardLeases`` (the in-memory
/// store and PostgreSQL; a SQLite file has one writer, and the configuration refuses `ha.shards` on it).
private let shardingStores = StoreFactory.all.filter { $0.name != "SQLite" }

@Suite("Store contract: shard leases")
struct ShardLeaseContractTests {
    private func leases(_ store: any RewindStore) throws -> any ShardLeases {
        try #require(store as? any ShardLeases)
    }

    @Test(
        "each shard has its own lease and epoch: acquire, renew, refuse a steal, take over once expired, release",
        arguments: shardingStores)
    func perShardLeases(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let shards = try leases(store)
            #expect(try await shards.shardLeases().isEmpty)
            let a0 = try #require(
                try await shards.acquireShardLease(
                    0, instance: "a", advertising: "http://a:8480", now: at(0), until: at(3)))
            #expect(a0 == LeaseGrant(holder: "a", epoch: 1, until: at(3), advertiseURL: "http://a:8480"))
            let b1 = try #require(
                try await shards.acquireShardLease(1, instance: "b", advertising: nil, now: at(0), until: at(3)))
            #expect(b1.epoch == 1)
            // The writer lease is a lease of its own: the shards did not touch it.
            #expect(try await store.currentLease() == nil)

            // Another replica is refused while a shard's lease runs; its holder renews with the same epoch.
            #expect(
                try await shards.acquireShardLease(0, instance: "b", advertising: nil, now: at(2), until: at(5)) == nil)
            let renewed = try await shards.renewShardLease(0, a0, until: at(6))
            #expect(renewed == LeaseGrant(holder: "a", epoch: 1, until: at(6), advertiseURL: "http://a:8480"))
            #expect(try await shards.shardLeases() == [0: renewed, 1: b1])

            // Expired: taken over with a higher epoch; the old holder's renewal is fenced, naming the new one.
            let taken = try #require(
                try await shards.acquireShardLease(0, instance: "b", advertising: nil, now: at(6), until: at(9)))
            #expect(taken.epoch == 2)
            let error = await expectError("store_fenced") {
                _ = try await shards.renewShardLease(0, renewed, until: at(9))
            }
            #expect(error as? StoreFenced == StoreFenced(grant: renewed, current: taken))

            // A stale grant releases nothing; the holder's release frees the shard, and the epoch never goes back.
            try await shards.releaseShardLease(0, renewed)
            #expect(try await shards.shardLeases()[0] == taken)
            try await shards.releaseShardLease(0, taken)
            #expect(try await shards.shardLeases()[0] == nil)
            let again = try #require(
                try await shards.acquireShardLease(0, instance: "a", advertising: nil, now: at(7), until: at(10)))
            #expect(again.epoch == 3)
        }
    }

    @Test("two replicas racing for one shard: exactly one gets it", arguments: shardingStores)
    func race(_ factory: StoreFactory) async throws {
        try await factory.withState { open in
            let (a, b) = (try leases(try await open()), try leases(try await open()))
            async let first = a.acquireShardLease(2, instance: "a", advertising: nil, now: at(0), until: at(3))
            async let second = b.acquireShardLease(2, instance: "b", advertising: nil, now: at(0), until: at(3))
            let grants = [try await first, try await second].compactMap { $0 }
            #expect(grants.count == 1)
            #expect(try await a.shardLeases()[2] == grants.first)
        }
    }

    @Test("replicas announce themselves; the live ones are those whose announcement runs", arguments: shardingStores)
    func announcements(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let shards = try leases(store)
            try await shards.announceReplica("b", until: at(3))
            try await shards.announceReplica("a", until: at(5))
            #expect(try await shards.liveReplicas(now: at(2)) == ["a", "b"])
            #expect(try await shards.liveReplicas(now: at(3)) == ["a"])
            try await shards.announceReplica("b", until: at(9))
            #expect(try await shards.liveReplicas(now: at(6)) == ["b"])
        }
    }
}
