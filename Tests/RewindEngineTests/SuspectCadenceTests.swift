import RewindCore
import RewindEngine
import RewindPorts
import Testing

/// Watching hardest when the risk is highest: a young suspect deployment is checked every
/// `suspect_interval` (250 ms) for `suspect_window`, then every `interval` again.
@Suite("Engine: the suspect cadence", .timeLimit(.minutes(3)))
struct SuspectCadenceTests {
    /// Backend and worker checked every 10 s while they pass; the backend's new deployments 4 times a second
    /// for `window`.
    static func policy(window: Duration = Defaults.suspectWindow) -> Policy {
        var policy = Fixture.policy()
        for index in policy.services.indices {
            policy.services[index].checks[0].interval = .seconds(10)
            policy.services[index].checks[0].suspectWindow = window
        }
        return policy
    }

    @Test("a new deployment is checked at once, then every 250 ms for its window, then every interval again")
    func youngDeploymentsAreWatchedHarder() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.run(policy: Self.policy(window: .seconds(60))) { run in
                try await run.advance(by: .seconds(30))
                // Known good: every 10 s (at 0, 10, 20 and 30 s).
                #expect(h.world.probeCount(v1.id) == 4)

                let v2 = try await run.deploy(Fixture.backend, "v2", health: .healthy)
                await run.settle()
                // The watcher did not wait out its 10 s: the deployment was checked the moment it went live.
                #expect(h.world.probeCount(v2.id) == 1)

                try await run.advance(by: .seconds(10))
                #expect(h.world.probeCount(v2.id) == 1 + 40)

                // The window (60 s) ends: back to every 10 s.
                try await run.advance(by: .seconds(50))
                let atWindowEnd = h.world.probeCount(v2.id)
                #expect(atWindowEnd == 1 + 240)
                try await run.advance(by: .seconds(60))
                #expect(h.world.probeCount(v2.id) - atWindowEnd == 6)

                // The worker had no new deployment: its cadence never changed (at 0, 10, …, 150 s).
                #expect(h.world.probeCount(Fixture.id(Fixture.worker, "v1")) == 16)
            }
        }
    }

    @Test("a deployment that breaks minutes after going live is caught within min_duration plus a quarter second")
    func lateBreakageIsCaughtFast() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.run(policy: Self.policy()) { run in
                let v2 = try await run.deploy(Fixture.backend, "v2", health: .healthy)
                // Five minutes in, plus a phase that falls between two checks.
                try await run.advance(by: .seconds(300) + .milliseconds(130))
                let fault = h.clock.now
                h.world.setHealth(v2.id, .failing(status: 503))
                try await run.advance(until: "the rule fires") { !run.events.violations.isEmpty }

                let violation = try #require(run.events.violations.first)
                // The first failing check comes 120 ms later (every 250 ms), the rule needs 2 s of failure,
                // re-checks every 100 ms: at every 10 s alone it could have taken 12 s.
                #expect(violation.at - fault == .milliseconds(2_120))
                _ = try await run.untilClosed()
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
            }
        }
    }

    @Test("the first deployment Rewind knows of a service (live when it starts) is not new: every interval")
    func firstKnownDeploymentIsNotYoung() async throws {
        try await Harness.with { h in
            let only = try await h.deploySuspect(Fixture.backend, "v1", health: .healthy)
            try await h.run(policy: Self.policy()) { run in
                try await run.advance(by: .seconds(30))
                #expect(h.world.probeCount(only.id) == 4)
            }
        }
    }

    @Test("suspect_window 0s: a new deployment waits for the check's interval like any other")
    func windowZeroTurnsItOff() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run(policy: Self.policy(window: .zero)) { run in
                try await run.advance(by: .seconds(5))
                let v2 = try await run.deploy(Fixture.backend, "v2", health: .healthy)
                await run.settle()
                #expect(h.world.probeCount(v2.id) == 0)
                try await run.advance(by: .seconds(30))
                #expect(h.world.probeCount(v2.id) == 3)
            }
        }
    }
}
