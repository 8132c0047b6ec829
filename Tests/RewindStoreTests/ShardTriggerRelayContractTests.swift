import RewindCore
import RewindPorts
import Testing

/// The stores that share shards among replicas (see ``ShardLeaseContractTests``).
private let relayStores = StoreFactory.all.filter { $0.name != "SQLite" }

@Suite("Store contract: the shards' relay to the coordinator")
struct ShardTriggerRelayContractTests {
    private func relay(_ store: any RewindStore) throws -> (any ShardLeases, any ShardTriggerRelay) {
        (try #require(store as? any ShardLeases), try #require(store as? any ShardTriggerRelay))
    }

    @Test(
        "a holder forwards under its shard's lease, in order; once the shard is taken over it is refused and nothing is kept",
        arguments: relayStores)
    func forwardFenced(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (leases, relay) = try relay(store)
            let a = try #require(
                try await leases.acquireShardLease(1, instance: "a", advertising: nil, now: at(0), until: at(3)))
            let violation = sampleViolation()
            let down = ForwardedTrigger.monitoring(
                source: "prometheus", ok: false, at: at(1), detail: "connection refused", services: ["api"])
            try await relay.forward([.watchRestarted(["api"]), .violation(violation)], shard: 1, grant: a, at: at(1))
            try await relay.forward([down], shard: 1, grant: a, at: at(2))
            let rows = try await relay.forwardedTriggers(after: 0, limit: 10)
            #expect(rows.map(\.trigger) == [.watchRestarted(["api"]), .violation(violation), down])
            #expect(rows.map(\.shard) == [1, 1, 1])
            #expect(rows.map(\.epoch) == [1, 1, 1])
            #expect(rows.map(\.at) == [at(1), at(1), at(2)])
            #expect(rows.map(\.id) == rows.map(\.id).sorted())
            #expect(
                try await relay.forwardedTriggers(after: rows[0].id, limit: 1).map(\.trigger) == [.violation(violation)]
            )

            // Taken over once expired: the old holder (paused past its lease) is refused and writes nothing.
            let b = try #require(
                try await leases.acquireShardLease(1, instance: "b", advertising: nil, now: at(4), until: at(7)))
            let error = await expectError("store_fenced") {
                try await relay.forward([.violation(violation)], shard: 1, grant: a, at: at(5))
            }
            #expect(error as? StoreFenced == StoreFenced(grant: a, current: b))
            // A shard never taken refuses too.
            _ = await expectError("store_fenced") {
                try await relay.forward([.violation(violation)], shard: 2, grant: a, at: at(5))
            }
            #expect(try await relay.forwardedTriggers(after: 0, limit: 10).count == 3)
            try await relay.forward(
                [.recovered(service: "api", kind: "check", name: "api-health")], shard: 1, grant: b, at: at(5))
            #expect(try await relay.forwardedTriggers(after: rows[2].id, limit: 10).map(\.epoch) == [2])
        }
    }

    @Test(
        "the coordinator settles what it decided on; a coordinator whose writer lease was taken over settles nothing",
        arguments: relayStores)
    func settleFenced(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (leases, relay) = try relay(store)
            let shard = try #require(
                try await leases.acquireShardLease(0, instance: "a", advertising: nil, now: at(0), until: at(60)))
            for second in 1...4 {
                try await relay.forward(
                    [.monitoring(source: "prometheus", ok: true, at: at(Int64(second)), detail: "", services: [])],
                    shard: 0, grant: shard, at: at(Int64(second)))
            }
            let ids = try await relay.forwardedTriggers(after: 0, limit: 10).map(\.id)
            #expect(ids.count == 4)
            let writer = try #require(try await store.acquireLease(instance: "a", now: at(0), until: at(3)))
            let coordinator = try #require(store.fenced(by: writer) as? any ShardTriggerRelay)
            try await coordinator.settleForwardedTriggers(through: ids[1])
            #expect(try await relay.forwardedTriggers(after: 0, limit: 10).map(\.id) == Array(ids[2...]))

            // Another replica became the coordinator: the old one's settle is refused, the rows stay for the new one.
            _ = try #require(try await store.acquireLease(instance: "b", now: at(4), until: at(7)))
            _ = await expectError("store_fenced") { try await coordinator.settleForwardedTriggers(through: ids[3]) }
            #expect(try await relay.forwardedTriggers(after: 0, limit: 10).map(\.id) == Array(ids[2...]))
        }
    }

    @Test(
        "a holder publishes its shard's statuses under the shard's lease; once taken over it is refused",
        arguments: relayStores)
    func statusesFenced(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let leases = try #require(store as? any ShardLeases)
            let board = try #require(store as? any ShardStatusBoard)
            #expect(try await board.shardStatuses().isEmpty)
            let a = try #require(
                try await leases.acquireShardLease(0, instance: "a", advertising: nil, now: at(0), until: at(3)))
            try await board.publishShardStatuses(#"{"checks":[]}"#, shard: 0, grant: a, at: at(1))
            try await board.publishShardStatuses(#"{"checks":[1]}"#, shard: 0, grant: a, at: at(2))
            #expect(
                try await board.shardStatuses()
                    == [0: ShardStatusRow(shard: 0, holder: "a", epoch: 1, at: at(2), statuses: #"{"checks":[1]}"#)])
            let b = try #require(
                try await leases.acquireShardLease(0, instance: "b", advertising: nil, now: at(4), until: at(7)))
            _ = await expectError("store_fenced") {
                try await board.publishShardStatuses("stale", shard: 0, grant: a, at: at(5))
            }
            try await board.publishShardStatuses("fresh", shard: 0, grant: b, at: at(5))
            #expect(try await board.shardStatuses()[0]?.statuses == "fresh")
            #expect(try await board.shardStatuses()[0]?.holder == "b")
        }
    }

    @Test(
        "every service's live deployment in one read, with when it went live and whether it replaced another",
        arguments: relayStores)
    func liveDeployments(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let listing = try #require(store as? any LiveDeploymentListing)
            #expect(try await listing.liveDeployments().isEmpty)
            let v1 = Deployment(service: "api", id: "api-v1", version: "v1", deployedAt: at(0))
            let v2 = Deployment(service: "api", id: "api-v2", version: "v2", deployedAt: at(10))
            let w1 = Deployment(service: "worker", id: "worker-v1", version: "v1", deployedAt: at(5))
            try await store.recordDeployment(v1, makeLive: true)
            try await store.recordDeployment(w1, makeLive: true)
            try await store.recordDeployment(v2, makeLive: true)
            let live = try await listing.liveDeployments()
            #expect(live.keys.sorted() == ["api", "worker"])
            #expect(live["api"]?.deployment.id == "api-v2")
            #expect(live["api"]?.replacedAnother == true)
            #expect(live["worker"] == LiveDeploymentRow(deployment: w1, liveSince: at(5), replacedAnother: false))
            // A rollback makes v1 live again.
            try await store.setLive(service: "api", deploymentID: "api-v1")
            #expect(try await listing.liveDeployments()["api"]?.deployment.id == "api-v1")
        }
    }
}
