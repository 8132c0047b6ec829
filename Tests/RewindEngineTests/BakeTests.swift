import RewindCore
import RewindEngine
import RewindPorts
import Testing

/// A suspect deployment becomes known good after its bake period with no trigger firing.
@Suite("Engine: baking deployments", .timeLimit(.minutes(3)))
struct BakeTests {
    @Test("a healthy suspect deployment becomes known good once its bake period has passed")
    func healthyDeploymentBakes() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let v2 = try await h.deploySuspect(Fixture.backend, "v2", health: .healthy)
            try await h.run(policy: Fixture.policy(bake: .seconds(10)), bakeCheckInterval: .seconds(1)) { run in
                try await run.advance(by: .seconds(5))
                #expect(try await h.deployment(Fixture.backend, "v2")?.trust == .suspect)

                try await run.advance(until: "v2 is known good") { run.events.knownGood.contains { $0.id == v2.id } }
                let baked = try #require(try await h.deployment(Fixture.backend, "v2"))
                #expect(baked.trust == .knownGood)
                let knownGoodAt = try #require(baked.knownGoodAt)
                #expect(knownGoodAt - v2.deployedAt >= .seconds(10))
                #expect(knownGoodAt - v2.deployedAt <= .seconds(15))
                #expect(try await h.incidents().isEmpty)
            }
        }
    }

    @Test("a deployment whose trigger fired is bad and never bakes, even after its bake period")
    func failedDeploymentNeverBakes() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.failNextRollbacks(Int.max, with: ProviderError(.auth, "refused"))
            try await h.run(policy: Fixture.policy(bake: .seconds(10)), bakeCheckInterval: .seconds(1)) { run in
                try await run.untilClosed()
                try await run.advance(by: .seconds(20))
                #expect(try await h.deployment(Fixture.backend, "v2")?.trust == .bad)
                #expect(run.events.knownGood.isEmpty)
            }
        }
    }

    @Test("a deployment learnt from the platform listing is recorded live and suspect, then bakes")
    func deploymentLearntFromPlatformBakes() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let v2 = Deployment(
                service: Fixture.backend, id: Fixture.id(Fixture.backend, "v2"), version: "v2", deployedAt: h.clock.now)
            h.world.deploy(v2)  // deployed behind Rewind's back: only the platform knows
            try await h.run(policy: Fixture.policy(bake: .seconds(10)), bakeCheckInterval: .seconds(1)) { run in
                try await run.advance(until: "v2 is recorded live") { try await h.liveID(Fixture.backend) == v2.id }
                #expect(try await h.deployment(Fixture.backend, "v2")?.trust == .suspect)
                try await run.advance(until: "v2 is known good") { run.events.knownGood.contains { $0.id == v2.id } }
            }
        }
    }

    @Test("a deployment that goes live while its service's trigger is still firing does not bake")
    func deploymentDuringFiringTriggerDoesNotBake() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            h.world.setHealth(v1.id, .failing(status: 500))
            try await h.run(policy: Fixture.policy(bake: .seconds(10)), bakeCheckInterval: .seconds(1)) { run in
                // v1 is known good, so its outage is escalated (not caused by a deployment) ...
                let escalated = try await run.untilClosed()
                #expect(escalated.status == .escalated)
                // ... and a fix that fails just the same goes live while the trigger keeps firing.
                // The new deployment re-arms the trigger: v2's own failures raise its own violation.
                let v2 = try await run.deploy(Fixture.backend, "v2", health: .failing(status: 500))
                try await run.advance(until: "v2 fires its own violation") { run.events.violations.count >= 2 }
                try await run.advance(by: .seconds(20))
                #expect(h.world.probeCount(v2.id) >= 3)
                #expect(run.events.knownGood.isEmpty)
                #expect(try await h.deployment(Fixture.backend, "v2")?.trust == .bad)
            }
        }
    }
}
