import Logging
import RewindCore
import RewindPorts
import Synchronization
import Testing

@testable import RewindEngine

/// Replicas sharing the shard leases (`ha.shards`), each look driven by hand on the manual clock.
@Suite("Engine: replicas share the shard leases", .timeLimit(.minutes(1)))
struct ShardKeeperTests {
    /// One replica's keeper over the shared store.
    private struct Replica {
        let keeper: ShardKeeper
        var holdings: ShardHoldings { keeper.holdings }
        var held: [Int] { holdings.held.keys.sorted() }
    }

    private static func replica(
        _ name: String, shards: Int = 3, store: any ShardLeases, clock: ManualClock
    ) -> Replica {
        Replica(
            keeper: ShardKeeper(
                leases: store, holdings: ShardHoldings(count: shards), instance: name, advertiseURL: nil, clock: clock,
                timing: .replicas, metrics: RewindMetrics(), logger: Logger(label: "test")))
    }

    /// Every replica looks once, then the clock moves one look on.
    private static func look(_ replicas: [Replica], clock: ManualClock) async {
        for replica in replicas { await replica.keeper.look() }
        clock.advance(by: LeaseTiming.replicas.retryEvery)
    }

    @Test("the share: about ceil(shards / replicas) each, own-rank shards first, extras released")
    func share() {
        let now = Timestamp(millisecondsSinceEpoch: 10_000)
        let held = LeaseGrant(holder: "a", epoch: 1, until: now + .seconds(3))
        let expired = LeaseGrant(holder: "c", epoch: 4, until: now)
        // Alone: everything, in order.
        #expect(
            ShardShare.decide(shards: 3, me: "a", held: [], replicas: [], leases: [:], now: now)
                == ShardShare(take: [0, 1, 2], release: []))
        // Second of two (rank 1): its share is 2, odd shards first; a running lease is not free, an expired one is.
        #expect(
            ShardShare.decide(
                shards: 4, me: "b", held: [], replicas: ["a", "b"], leases: [0: held, 3: expired], now: now)
                == ShardShare(take: [1, 3], release: []))
        // Holding more than the share: the highest go.
        let mine = Dictionary(uniqueKeysWithValues: (0..<3).map { ($0, held) })
        #expect(
            ShardShare.decide(shards: 3, me: "a", held: [0, 1, 2], replicas: ["a", "b", "c"], leases: mine, now: now)
                == ShardShare(take: [], release: [1, 2]))
    }

    @Test("three replicas converge on one shard each; a killed one's shard is taken within the lease lifetime")
    func balanceAndTakeover() async throws {
        let clock = ManualClock()
        let store = MemoryStore()
        let replicas = ["a", "b", "c"].map { Self.replica($0, store: store, clock: clock) }
        for _ in 0..<6 { await Self.look(replicas, clock: clock) }
        #expect(replicas.map(\.held.count) == [1, 1, 1])
        #expect(Set(replicas.flatMap(\.held)) == [0, 1, 2])
        // Every replica sees every holder.
        #expect(replicas[0].holdings.statuses.allSatisfy { $0.holder != nil })

        // c is killed: it looks no more. Its shard is free once its lease runs out, and a survivor takes it.
        let lost = try #require(replicas[2].held.first)
        let killedEpoch = try #require(replicas[2].holdings.held[lost]).epoch
        let killedAt = clock.now
        var takenAt: Timestamp?
        while takenAt == nil, clock.now - killedAt < .seconds(10) {
            await Self.look(Array(replicas.prefix(2)), clock: clock)
            if replicas.prefix(2).contains(where: { $0.held.contains(lost) }) { takenAt = clock.now }
        }
        let after = try #require(takenAt) - killedAt
        #expect(after <= LeaseTiming.replicas.ttl + .seconds(1), "\(after)")
        #expect(Set(replicas.prefix(2).flatMap(\.held)) == [0, 1, 2])
        let grant = try #require(try await store.shardLeases()[lost])
        #expect(grant.epoch == killedEpoch + 1)
    }

    @Test("a paused replica that wakes after its shard was taken over is fenced and stops holding it")
    func staleEpochIsRefused() async throws {
        let clock = ManualClock()
        let store = MemoryStore()
        let a = Self.replica("a", shards: 1, store: store, clock: clock)
        let b = Self.replica("b", shards: 1, store: store, clock: clock)
        await Self.look([a], clock: clock)
        #expect(a.held == [0])
        // a is paused past its lease; b takes the shard over with a newer epoch.
        clock.advance(by: .seconds(4))
        await Self.look([b], clock: clock)
        #expect(b.held == [0])
        // a wakes: its renewal is refused by the fence and it drops the shard; b keeps it.
        await Self.look([a], clock: clock)
        #expect(a.held.isEmpty)
        #expect(try await store.shardLeases()[0]?.holder == "b")
    }

    @Test("renewals that keep failing: the shard is dropped before its lease could run out")
    func failingRenewals() async throws {
        let clock = ManualClock()
        let store = FlakyShardLeases(inner: MemoryStore())
        let a = Self.replica("a", shards: 2, store: store, clock: clock)
        await Self.look([a], clock: clock)
        let grants = a.holdings.held
        #expect(grants.keys.sorted() == [0, 1])
        store.failing.withLock { $0 = true }
        while !a.held.isEmpty { await Self.look([a], clock: clock) }
        // Dropped with at least the margin left: nobody could have taken them over yet.
        for grant in grants.values {
            #expect(grant.until - clock.now >= LeaseTiming.replicas.margin - .milliseconds(250))
        }
    }

    @Test("stopping releases every shard, so the others take them at once")
    func releaseOnStop() async throws {
        let clock = ManualClock()
        let store = MemoryStore()
        let a = Self.replica("a", shards: 2, store: store, clock: clock)
        let b = Self.replica("b", shards: 2, store: store, clock: clock)
        await Self.look([a], clock: clock)
        await a.keeper.releaseAll()
        #expect(a.held.isEmpty)
        #expect(try await store.shardLeases().isEmpty)
        // a withdrew its announcement too: b takes every shard at its next look, without waiting for a's leases
        // or its announcement to run out.
        #expect(try await store.liveReplicas(now: clock.now) == [])
        await Self.look([b], clock: clock)
        #expect(b.held.count == 2)
        #expect(b.holdings.held.values.allSatisfy { $0.epoch == 2 })
    }
}

/// Shard leases whose renewals fail while `failing` is set (a database that stopped answering writes).
private final class FlakyShardLeases: ShardLeases {
    struct Refused: Error {}
    let inner: MemoryStore
    let failing = Mutex(false)

    init(inner: MemoryStore) { self.inner = inner }

    func acquireShardLease(
        _ shard: Int, instance: String, advertising url: String?, now: Timestamp, until: Timestamp
    ) async throws -> LeaseGrant? {
        if failing.withLock({ $0 }) { throw Refused() }
        return try await inner.acquireShardLease(shard, instance: instance, advertising: url, now: now, until: until)
    }

    func renewShardLease(_ shard: Int, _ grant: LeaseGrant, until: Timestamp) async throws -> LeaseGrant {
        if failing.withLock({ $0 }) { throw Refused() }
        return try await inner.renewShardLease(shard, grant, until: until)
    }

    func releaseShardLease(_ shard: Int, _ grant: LeaseGrant) async throws {
        try await inner.releaseShardLease(shard, grant)
    }

    func shardLeases() async throws -> [Int: LeaseGrant] { try await inner.shardLeases() }
    func announceReplica(_ instance: String, until: Timestamp) async throws {
        try await inner.announceReplica(instance, until: until)
    }
    func liveReplicas(now: Timestamp) async throws -> [String] { try await inner.liveReplicas(now: now) }
}
