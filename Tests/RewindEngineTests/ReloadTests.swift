import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// `RewindEngine.reload(_:)`, what `rewind serve` calls on SIGHUP once the file is valid.
@Suite("Engine: reloading the policy", .timeLimit(.minutes(3)))
struct EngineReloadTests {
    static let frontend: ServiceName = "frontend"

    static func withFrontend() -> Policy {
        var policy = Fixture.policy()
        policy.services.append(ServicePolicy(name: frontend, checks: [Fixture.check(frontend, .nonCritical)]))
        return policy
    }

    @Test("a reload in the middle of a rollback adds a service; the incident, the lease and the outbox carry on")
    func reloadDuringARollback() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let now = h.clock.now
            let frontendV1 = Deployment(
                service: Self.frontend, id: Fixture.id(Self.frontend, "v1"), version: "v1",
                deployedAt: now - .seconds(7200), trust: .knownGood, knownGoodAt: now - .seconds(3600))
            try await h.sqlite.recordDeployment(frontendV1, makeLive: true)
            h.world.deploy(frontendV1)
            h.world.setRollbackBehaviour(.operation(polls: 8))
            try await h.run { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                try await run.advance(until: "the rollback is under way") { !h.world.rollbackCalls.isEmpty }
                let open = try await h.sqlite.openIncidents()
                #expect(open.count == 1)
                #expect(!run.engine.checkStatuses.contains { $0.service == Self.frontend })

                let outcome = await run.engine.reload(h.makeDependencies(policy: Self.withFrontend()))
                #expect((try? outcome.get()) != nil, "\(outcome)")
                #expect(run.engine.policy.services.map(\.name) == [Fixture.backend, Fixture.worker, Self.frontend])

                // The incident opened before the reload finishes as planned: one call, verified, announced.
                let closed = try await run.untilClosed()
                #expect(closed.id == open.first?.id)
                #expect(closed.status == .completed)
                #expect(h.world.rollbackCalls.count == 1)
                #expect(h.world.live(Fixture.backend) == v1.id)
                #expect(h.notifier.incidentKinds == [.initiated, .completed])

                // The new service is watched, and the supervisor knows it: a manual rollback is not refused
                // as an unknown service (there is nothing older to go back to).
                try await run.advance(until: "frontend's check has run") {
                    run.engine.checkStatuses.contains { $0.service == Self.frontend && $0.lastAt != nil }
                }
                let manual = await run.engine.requestRollback(
                    ManualRollbackRequest(service: Self.frontend, to: nil, reason: "try", actor: "test"))
                if case .failure(let refusal) = manual { #expect(refusal.code != "unknown_service", "\(refusal)") }
                #expect(run.stopped == nil, "the engine kept its writer lease and runs")
            }
        }
    }

    @Test("a reload that removes a service stops watching it; decisions follow the new policy")
    func reloadRemovesAService() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run { run in
                try await run.advance(until: "both checks have run") { run.engine.checkStatuses.count == 2 }
                var policy = Fixture.policy()
                policy.services.removeAll { $0.name == Fixture.worker }
                let outcome = await run.engine.reload(h.makeDependencies(policy: policy))
                #expect((try? outcome.get()) != nil, "\(outcome)")
                #expect(run.engine.checkStatuses.map(\.service) == [Fixture.backend])
                let manual = await run.engine.requestRollback(
                    ManualRollbackRequest(service: Fixture.worker, to: nil, reason: "gone", actor: "test"))
                guard case .failure(let refusal) = manual else {
                    Issue.record("a rollback of a service no longer watched was accepted")
                    return
                }
                #expect(refusal.code == "unknown_service", "\(refusal)")
                try await run.advance(by: .seconds(5))
                #expect(!run.engine.checkStatuses.contains { $0.service == Fixture.worker })
            }
        }
    }
}
