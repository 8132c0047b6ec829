import RewindCore
import RewindPorts
import Testing

@testable import RewindEngine

/// Replicas sharing the watching (`ha.shards`): two engines over one shared state, on the manual clock. backend
/// belongs to shard 1 and worker to shard 0, so that once the replicas share, the coordinator (replica-a, first to
/// start) watches worker and replica-b watches backend.
@Suite("Engine: replicas share the watching (ha.shards)", .serialized, .timeLimit(.minutes(3)))
struct ShardWatchScenarioTests {
    static let shards = ShardAssignment(count: 2, overrides: [Fixture.backend: 1, Fixture.worker: 0])

    /// The replicas' timing with a lease ten times longer: looks every 250 ms as shipped, but a renewal has 20 s of
    /// the manual clock to finish, so that a loaded test machine starting the renewal's task late never makes a
    /// replica give up its lease (what this suite tests is the watching, not the lease deadline).
    static let timing = LeaseTiming(
        ttl: .seconds(30), renewEvery: .milliseconds(7500), margin: .seconds(10), retryEvery: .milliseconds(250),
        waitsAsStandby: true)

    /// A replica over `state`, as `rewind serve` builds one with `ha.shards: 2` on PostgreSQL.
    private static func replica(
        _ h: Harness, _ state: MemoryStore, _ holder: String, policy: Policy = Fixture.policy()
    ) -> RewindEngine {
        var deps = h.makeDependencies(policy: policy, holder: holder, lease: Self.timing)
        deps.store = ObservedStore(base: state, activity: h.activity)
        deps.shards = shards
        return RewindEngine(deps)
    }

    /// Known-good v1 of both services, live on the platform and in `state`; then `suspects` (v2, healthy for now).
    @discardableResult
    private static func seed(
        _ h: Harness, _ state: MemoryStore, suspects: [ServiceName] = []
    ) async throws -> [ServiceName: Deployment] {
        let now = h.clock.now
        var live: [ServiceName: Deployment] = [:]
        for service in [Fixture.backend, Fixture.worker] {
            let v1 = Deployment(
                service: service, id: Fixture.id(service, "v1"), version: "v1", deployedAt: now - .seconds(7200),
                trust: .knownGood, knownGoodAt: now - .seconds(3600))
            try await state.recordDeployment(v1, makeLive: true)
            h.world.deploy(v1)
            live[service] = v1
        }
        for service in suspects {
            let v2 = Deployment(service: service, id: Fixture.id(service, "v2"), version: "v2", deployedAt: now)
            try await state.recordDeployment(v2, makeLive: true)
            h.world.deploy(v2)
        }
        return live
    }

    /// A bad backend v2 goes live through the coordinator `a` (as `POST /api/v1/deployments` does).
    private static func deployBadBackend(_ h: Harness, through a: RewindEngine) async throws {
        let v2 = Deployment(
            service: Fixture.backend, id: Fixture.id(Fixture.backend, "v2"), version: "v2", deployedAt: h.clock.now)
        h.world.deploy(v2, health: .failing(status: 503))
        _ = try await a.recordDeployment(v2)
    }

    /// Starts replica-a, lets it take the writer lease and both shards, then starts replica-b and lets them share:
    /// `body` runs once replica-b watches backend and replica-a worker.
    private static func shared(
        _ h: Harness, _ state: MemoryStore, policy: Policy = Fixture.policy(),
        _ body: (_ a: RewindEngine, _ b: RewindEngine, _ run: EngineRun) async throws -> Void
    ) async throws {
        let a = replica(h, state, "replica-a", policy: policy)
        let b = replica(h, state, "replica-b", policy: policy)
        try await h.run(a, policy: policy, baseline: 1) { runA in
            try await runA.advance(until: "replica-a coordinates and holds both shards") {
                a.health.leader && a.shardHoldings?.held.count == 2
            }
            try await h.run(b, policy: policy, baseline: 1) { run in
                try await run.advance(until: "the replicas share the shards, each watching its own") {
                    a.shardHoldings?.held.keys.sorted() == [0] && b.shardHoldings?.held.keys.sorted() == [1]
                        && b.checkStatuses.map(\.service) == [Fixture.backend]
                        && a.checkStatuses.map(\.service) == [Fixture.worker]
                }
                try await body(a, b, run)
            }
        }
    }

    @Test(
        "a check failing on the shard another replica holds: it forwards the violation, the coordinator rolls back once"
    )
    func holderForwardsCoordinatorActs() async throws {
        try await Harness.with { h in
            let state = MemoryStore()
            let v1 = try await Self.seed(h, state)
            try await Self.shared(h, state) { a, b, run in
                #expect(!b.health.leader)
                // Each replica's status shows every check: its own, and those the other published.
                try await run.advance(until: "each replica shows the other's checks") {
                    let (fromA, fromB) = (await a.watchStatuses().checks, await b.watchStatuses().checks)
                    return Set(fromA.map(\.service)) == [Fixture.backend, Fixture.worker]
                        && Set(fromB.map(\.service)) == [Fixture.backend, Fixture.worker]
                }
                try await Self.deployBadBackend(h, through: a)
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCalls.map(\.target) == [v1[Fixture.backend]?.id])
                #expect(h.world.live(Fixture.backend) == v1[Fixture.backend]?.id)
                // replica-b saw the check fail (it alone watches backend); replica-a decided and acted.
                #expect(b.checkStatuses.first?.consecutiveFailures ?? 0 > 0 || b.checkStatuses.first?.firing == true)
                #expect(!a.checkStatuses.contains { $0.service == Fixture.backend })
                // What was forwarded is settled once decided on.
                try await run.advance(until: "the relay is empty") {
                    try await state.forwardedTriggers(after: 0, limit: 100).isEmpty
                }
                try await run.advance(by: .seconds(10))
                #expect(h.world.rollbackCalls.count == 1)
                #expect(try await state.incidents(limit: 10).count == 1)
            }
        }
    }

    @Test(
        "an immediate plan across shards: backend fails on replica-b's shard, its suspect dependent on replica-a's is rolled back in the same incident"
    )
    func crossShardPlan() async throws {
        try await Harness.with { h in
            let state = MemoryStore()
            let v1 = try await Self.seed(h, state, suspects: [Fixture.backend, Fixture.worker])
            let policy = Fixture.policy(workerDependsOnBackend: true)
            try await Self.shared(h, state, policy: policy) { a, b, run in
                h.world.setHealth(Fixture.id(Fixture.backend, "v2"), .failing(status: 502))
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(Set(incident.services) == [Fixture.backend, Fixture.worker])
                #expect(
                    Set(h.world.rollbackCalls.map(\.target)) == [v1[Fixture.backend]!.id, v1[Fixture.worker]!.id])
                #expect(Set(h.world.rollbackCalls.map(\.incidentID)) == [incident.id])
                #expect(try await state.incidents(limit: 10).count == 1)
            }
        }
    }

    @Test("a replica that stops hands its shard over: the coordinator watches backend and acts on it")
    func handOver() async throws {
        try await Harness.with { h in
            let state = MemoryStore()
            let v1 = try await Self.seed(h, state)
            let a = Self.replica(h, state, "replica-a")
            try await h.run(a, policy: Fixture.policy(), baseline: 1) { run in
                try await run.advance(until: "replica-a holds both shards") { a.shardHoldings?.held.count == 2 }
                let b = Self.replica(h, state, "replica-b")
                try await h.run(b, policy: Fixture.policy(), baseline: 1) { runB in
                    try await runB.advance(until: "replica-b watches backend") {
                        b.checkStatuses.map(\.service) == [Fixture.backend]
                    }
                }
                // replica-b stopped (and released its shard): replica-a takes it back and watches backend again.
                let stoppedAt = h.clock.now
                try await run.advance(until: "replica-a watches backend again") {
                    a.shardHoldings?.held.count == 2 && a.checkStatuses.contains { $0.service == Fixture.backend }
                }
                // At its next look: the stopped replica released its shard and withdrew its announcement.
                #expect(h.clock.now - stoppedAt <= Self.timing.retryEvery * 2)
                try await Self.deployBadBackend(h, through: a)
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCalls.map(\.target) == [v1[Fixture.backend]?.id])
            }
        }
    }

    @Test("a holder whose shard was taken over is fenced: it stops watching the shard and forwards nothing more")
    func fencedHolderStops() async throws {
        try await Harness.with { h in
            let state = MemoryStore()
            try await Self.seed(h, state)
            try await Self.shared(h, state) { a, b, run in
                // Another replica takes shard 1 over while replica-b still believes it holds it (a pause past its
                // lease, as SIGSTOP does): forwarding under the old grant is refused, and replica-b stops the shard.
                let held = try #require(b.shardHoldings?.held[1])
                try await state.releaseShardLease(1, held)
                let successor = try #require(
                    try await state.acquireShardLease(
                        1, instance: "replica-c", advertising: nil, now: h.clock.now, until: h.clock.now + .seconds(60))
                )
                h.world.setHealth(Fixture.id(Fixture.backend, "v1"), .failing(status: 500))
                try await run.advance(until: "replica-b stops holding shard 1") { b.shardHoldings?.held[1] == nil }
                // Nobody watches shard 1 for real now (replica-c is not running): nothing replica-b saw reaches the
                // coordinator, so nothing is decided on backend.
                try await run.advance(by: .seconds(10))
                #expect(try await state.shardLeases()[1] == successor)
                #expect(try await state.forwardedTriggers(after: 0, limit: 100).allSatisfy { $0.epoch != held.epoch })
                #expect(try await state.incidents(limit: 10).isEmpty)
                #expect(h.world.rollbackCalls.isEmpty)
            }
        }
    }
}
