import RewindCore
import RewindEngine
import RewindPorts
import Testing

/// Deployment freezes are enforced, not only advisory.
@Suite("Engine: deployment freezes", .timeLimit(.minutes(3)))
struct FreezeTests {
    @Test(
        "a deployment recorded while frozen is an incident (deployed during the freeze) and people hear of it; it stays by default"
    )
    func deployedDuringFreezeNotifies() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run { run in
                let now = h.clock.now
                try await run.engine.setFreeze(
                    Freeze(until: now + .seconds(3600), reason: "release review", setAt: now))
                let v2 = try await run.deploy(Fixture.backend, "v2", health: .healthy)
                let incident = try await run.untilClosed()
                #expect(incident.trigger == .deployedDuringFreeze)
                #expect(incident.status == .escalated)
                #expect(h.notifier.incidentKinds == [.escalated])
                #expect(h.notifier.incidentNotices.first?.error?.contains("while deployments are frozen") == true)
                #expect(h.world.rollbackCalls.isEmpty)
                #expect(try await h.liveID(Fixture.backend) == v2.id)
                #expect(try await h.deployment(Fixture.backend, "v2")?.trust == .suspect)
            }
        }
    }

    @Test("freeze.enforce: rollback rolls a deployment made during the freeze back to the newest known good")
    func deployedDuringFreezeRollsBack() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            var policy = Fixture.policy()
            policy.freezeEnforcement = .rollback
            try await h.run(policy: policy) { run in
                let now = h.clock.now
                try await run.engine.setFreeze(
                    Freeze(until: now + .seconds(3600), reason: "release review", setAt: now))
                try await run.deploy(Fixture.backend, "v2", health: .healthy)
                let incident = try await run.untilClosed()
                #expect(incident.trigger == .deployedDuringFreeze)
                #expect(incident.strategy == .fast)
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
                #expect(try await h.deployment(Fixture.backend, "v2")?.trust == .bad)
            }
        }
    }
}
