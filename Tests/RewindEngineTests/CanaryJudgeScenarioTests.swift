import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// The canary judge in the engine, on the manual clock: cohorts from ``RecordedCohorts``, a look a minute.
@Suite("Engine: the canary judge compares canary with stable", .timeLimit(.minutes(3)))
struct CanaryJudgeScenarioTests {
    static let signal = CanarySignalPolicy(
        name: "latency_p95", measure: .latencyP95, category: .performance, unit: .seconds,
        cohorts: CohortQueries(template: #"latency_p95{service="{{service}}", track="{{track}}"}"#),
        judge: CanaryJudgePolicy(direction: .increase, minEffect: 0.05, alpha: 0.05, maxLooks: 10, minSamples: 10))

    static func policy() -> Policy {
        var policy = Fixture.metricPolicy([])
        policy.services[0].canarySignals = [signal]
        return policy
    }

    /// Values every 10 s for `minutes` from `start`: stable around 100 ms, the canary × `factor`.
    static func record(
        _ cohorts: RecordedCohorts, from start: Timestamp, minutes: Int, factor: Double
    ) {
        func values(_ scale: Double) -> [CohortSample] {
            (0..<(minutes * 6)).map { index in
                CohortSample(
                    at: start + .seconds(Int64(10 * index)), value: (0.090 + 0.004 * Double(index % 6)) * scale)
            }
        }
        cohorts.record(values(factor), service: Fixture.backend, signal: signal.name, track: .canary)
        cohorts.record(values(1), service: Fixture.backend, signal: signal.name, track: .stable)
    }

    func run(
        _ h: Harness, cohorts: RecordedCohorts, _ body: (EngineRun) async throws -> Void
    ) async throws {
        let policy = Self.policy()
        var dependencies = h.makeDependencies(policy: policy)
        dependencies.cohortSource = cohorts
        try await h.run(RewindEngine(dependencies), policy: policy, body)
    }

    @Test("a canary 40 % slower than stable is rolled back; the evidence has U, p, the effect and the sample sizes")
    func slowerCanaryRollsBack() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let cohorts = RecordedCohorts()
            try await run(h, cohorts: cohorts) { run in
                Self.record(cohorts, from: h.clock.now, minutes: 30, factor: 1.4)
                let v2 = try await run.deploy(Fixture.backend, "v2", health: .healthy)
                let incident = try await run.untilClosed()
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
                let stored = try #require(try await h.sqlite.incident(id: incident.id))
                #expect(stored.trigger == .performance)
                #expect(stored.strategy == .fast)
                let violation = try #require(stored.violation)
                #expect(violation.signal?.name == CanaryJudgeState.sourceName)
                #expect(violation.rule.hasPrefix("canary judge: score 0 < 75 (latency_p95 worse than stable"))
                let evidence = try #require(violation.evidence.first)
                #expect(evidence.check == "latency_p95")
                #expect(evidence.result.contains("×1.4;"), "\(evidence.result)")
                #expect(evidence.result.contains(", U "))
                #expect(evidence.result.contains(": fail"))
                #expect(evidence.baseline.map { abs($0 - 0.1) < 0.02 } == true)
                // Looks a minute apart from the deploy; α-spending needs a few looks of clear evidence.
                let waited = violation.at - v2.deployedAt
                #expect(waited >= .seconds(120) && waited <= .seconds(600), "\(waited)")
                #expect(try await h.deployment(Fixture.backend, "v2")?.trust == .bad)
            }
        }
    }

    @Test("a canary like stable is never failed, and an unreadable cohort is inconclusive: no rollback in 15 looks")
    func goodCanaryAndOutageKeep() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let cohorts = RecordedCohorts()
            try await run(h, cohorts: cohorts) { run in
                Self.record(cohorts, from: h.clock.now, minutes: 30, factor: 1.0)
                try await run.deploy(Fixture.backend, "v2", health: .healthy)
                try await run.advance(by: .seconds(600))
                #expect(h.world.rollbackCount() == 0)
                let status = try #require(run.engine.signalStatuses.first { $0.signal == "latency_p95" })
                #expect(status.lastValue?.contains(": pass") == true, "\(status.lastValue ?? "")")
                #expect(!status.firing)
                cohorts.fail("Prometheus answered 503")
                try await run.advance(by: .seconds(300))
                #expect(h.world.rollbackCount() == 0)
                #expect(run.events.closedIncidents.allSatisfy { $0.trigger == .monitoring })
            }
        }
    }
}
