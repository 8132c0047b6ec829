import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// The writer lease, as the engine holds it: one writer, fenced, and never acting past its lease.
@Suite("Engine: the fenced writer lease", .timeLimit(.minutes(3)))
struct WriterLeaseTests {
    struct DatabaseRefuses: Error {}

    @Test("renewals that keep failing: the engine stops acting before its lease could run out, and does nothing after")
    func stopsBeforeTheLeaseRunsOut() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run { run in
                try await run.advance(by: .seconds(2))
                let grant = try #require(try await h.sqlite.currentLease())
                h.activity.failRenewals(with: DatabaseRefuses())
                try await run.advance(until: "the engine stops") { run.stopped != nil }
                #expect(run.stopped?.contains("Rewind stopped acting on this state") == true, "\(run.stopped ?? "")")
                // It stopped with at least the margin left: nobody could have taken the lease over yet.
                #expect(h.clock.now < grant.until)
                #expect(grant.until - h.clock.now >= .seconds(2))
                // A bad deployment now is not acted on by this engine.
                h.world.deploy(
                    Deployment(
                        service: Fixture.backend, id: Fixture.id(Fixture.backend, "v2"), version: "v2",
                        deployedAt: h.clock.now),
                    health: .failing(status: 503))
                for _ in 0..<10 {
                    h.clock.advance(by: .seconds(1))
                    await run.settle()
                }
                #expect(h.world.rollbackCalls.isEmpty)
                #expect(try await h.incidents().isEmpty)
            }
        }
    }

    @Test("another instance takes the lease over: the old engine's writes are refused and it stops at its next renewal")
    func takenOverIsFenced() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run { run in
                try await run.advance(by: .seconds(1))
                let mine = try #require(try await h.sqlite.currentLease())
                // An operator's tool releases it, and another instance takes it at once.
                try await h.sqlite.releaseLease(mine)
                let theirs = try #require(
                    try await h.sqlite.acquireLease(
                        instance: "successor", now: h.clock.now, until: h.clock.now + .seconds(60)))
                #expect(theirs.epoch > mine.epoch)

                // The old engine's next write is refused by the fence: nothing is stored.
                let freeze = Freeze(
                    until: h.clock.now + .seconds(600), reason: "from the old engine", setAt: h.clock.now)
                await #expect(throws: EngineRefusal.self) { try await run.engine.setFreeze(freeze) }
                #expect(try await h.sqlite.currentFreeze() == nil)

                try await run.advance(until: "the old engine stops") { run.stopped != nil }
                #expect(run.stopped?.contains("Rewind stopped acting on this state") == true, "\(run.stopped ?? "")")
                // The successor keeps the lease: the old engine did not release it on its way out.
                #expect(try await h.sqlite.currentLease()?.holder == "successor")
            }
        }
    }

    // MARK: Replicas

    @Test(
        "replicas: an instance that finds the lease held stands by, acting on nothing, and takes over when it is free")
    func standbyTakesOver() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            var leader = try #require(
                try await h.sqlite.acquireLease(
                    instance: "replica-a", now: h.clock.now, until: h.clock.now + LeaseTiming.replicas.ttl))
            let engine = h.makeEngine(holder: "replica-b", lease: .replicas)
            try await h.run(engine, policy: Fixture.policy(), baseline: 1) { run in
                // A bad deployment while replica-a leads is not this replica's to act on.
                try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
                // Far past one lifetime (where a single writer gives up), the standby waits and says who leads.
                for _ in 0..<20 {
                    leader = try await h.sqlite.renewLease(leader, until: h.clock.now + LeaseTiming.replicas.ttl)
                    try await run.advance(by: .seconds(1))
                }
                #expect(run.stopped == nil)
                let standby = run.engine.health
                #expect(standby.standby && !standby.leader && standby.ready)
                #expect(standby.leaderInstance == "replica-a")
                #expect(h.world.rollbackCalls.isEmpty)
                #expect(try await h.incidents().isEmpty)

                // replica-a dies: it stops renewing. Within its lease's lifetime and one retry, replica-b leads.
                let lastRenewal = h.clock.now
                try await run.advance(until: "the standby leads") { run.engine.health.leader }
                #expect(h.clock.now - lastRenewal <= LeaseTiming.replicas.ttl + LeaseTiming.replicas.retryEvery)
                let mine = try #require(try await h.sqlite.currentLease())
                #expect(mine.holder == "replica-b")
                #expect(mine.epoch > leader.epoch)
                #expect(!run.engine.health.standby)
                // Now it acts: the bad deployment is rolled back.
                try await run.advance(until: "the rollback") { !h.world.rollbackCalls.isEmpty }
            }
        }
    }

    @Test("replicas: a renewal the database never answers is abandoned; the engine stops before its lease runs out")
    func hangingRenewalStopsTheEngine() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let engine = h.makeEngine(lease: .replicas)
            try await h.run(engine, policy: Fixture.policy()) { run in
                try await run.advance(by: .seconds(1))
                let grant = try #require(try await h.sqlite.currentLease())
                h.activity.holdRenewals()
                try await run.advance(until: "the engine stops") { run.stopped != nil }
                #expect(run.stopped?.contains("took too long") == true, "\(run.stopped ?? "")")
                // It stopped with the margin left, without waiting for the database to answer.
                #expect(grant.until - h.clock.now >= LeaseTiming.replicas.margin)
                #expect(run.engine.health.stopped)
                h.activity.answerRenewals()
            }
        }
    }
}
