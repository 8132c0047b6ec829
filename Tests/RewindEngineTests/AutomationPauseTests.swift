import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// `rewind pause [SERVICE]` and `rewind resume`: automation switched to observe without a restart.
@Suite("Engine: pausing automation", .timeLimit(.minutes(3)))
struct AutomationPauseTests {
    @Test(
        "a paused service's violation is observed and people hear 'would roll back'; once resumed, the next bad deployment is rolled back"
    )
    func pausedServiceIsObserved() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.run { run in
                try await run.engine.setAutomation(
                    .pause(AutomationPause(service: Fixture.backend, reason: "vendor maintenance", setAt: h.clock.now)))
                let v2 = try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()
                #expect(incident.status == .observed)
                #expect(incident.mode == .observe)
                #expect(h.notifier.incidentKinds == [.wouldRollBack])
                #expect(h.world.rollbackCalls.isEmpty)
                #expect(h.world.live(Fixture.backend) == v2.id)
                let timeline = try await h.sqlite.timeline(incidentID: incident.id).map(\.message)
                #expect(
                    timeline.contains {
                        $0.contains("automation of backend is paused") && $0.contains("vendor maintenance")
                    })

                // Resumed: the next bad deployment is rolled back to the newest known good.
                try await run.engine.setAutomation(.resume(service: Fixture.backend))
                try await run.deploy(Fixture.backend, "v3", health: .failing(status: 503))
                let second = try await run.untilClosed(2)
                #expect(second.mode == .enforce)
                #expect(second.status == .completed)
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
            }
        }
    }

    @Test("a pause of every service is stored: an engine started later still only observes, until resumed")
    func pauseOutlivesTheEngine() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run { run in
                try await run.engine.setAutomation(
                    .pause(AutomationPause(service: nil, reason: "game day", setAt: h.clock.now, setBy: "token oncall"))
                )
            }
            #expect(try await h.sqlite.automationPauses().map(\.reason) == ["game day"])
            try await h.deploySuspect(Fixture.worker, "v2", health: .failing(status: 503))
            try await h.run { run in
                let incident = try await run.untilClosed()
                #expect(incident.mode == .observe)
                #expect(h.world.rollbackCalls.isEmpty)
                try await run.engine.setAutomation(.resume(service: nil))
            }
            #expect(try await h.sqlite.automationPauses().isEmpty)
        }
    }
}
