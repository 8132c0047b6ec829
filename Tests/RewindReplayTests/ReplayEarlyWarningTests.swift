import RewindCore
import RewindPorts
import RewindReplay
import Testing

/// Replay's early warnings: the same detector as the engine's, fed each evaluation of a suspect deployment's
/// signal against the baseline fetched for that deployment.
@Suite("Replay: early warnings")
struct ReplayEarlyWarningTests {
    /// backend with a latency signal every 30 s (> 1 s twice in a row fires); deployments bake in 10 minutes.
    static func policy() -> Policy {
        var policy = World.policy()
        policy.services[0].checks = []
        policy.services[1].checks = []
        var signal = MetricSignalPolicy.guideDefaults(
            name: "latency_p95", measure: .latencyP95, source: .prometheus(query: "q"), serviceClass: .backend)!
        signal.interval = .seconds(30)
        policy.services[0].signals = [signal]
        return policy
    }

    /// The backend's latency every 30 s from 30 s to 1200 s: `value(second)`.
    static func evaluations(_ value: (Double) -> Double?) -> [MetricEvaluation] {
        stride(from: 30.0, to: 1200, by: 30).map { second in
            MetricEvaluation(
                service: World.backend, signal: "latency_p95", at: World.at(second),
                outcome: value(second).map { .value($0, samples: 1) } ?? .noData("empty"), query: "q")
        }
    }

    static func baseline(for id: String) -> [ReplayHistory.BaselineKey: BaselineSample] {
        [
            ReplayHistory.BaselineKey(service: World.backend, signal: "latency_p95", deploymentID: id):
                BaselineSample(values: (0..<40).map { 0.2 + Double($0 % 5 - 2) * 0.005 }, origin: .pastWeeks)
        ]
    }

    @Test("v2's latency climbs: warned at +90 s, rolled back at +150 s; one warning only")
    func warnsBeforeTheThreshold() throws {
        // v2 at 600 s: 0.4 s from 630 s, 0.6 from 660, 1.5 from 720 on.
        let evaluations = Self.evaluations { second in
            second < 630 ? 0.2 : second < 660 ? 0.4 : second < 720 ? 0.6 : 1.5
        }
        let history = ReplayHistory(
            deployments: [
                World.deployment(World.backend, "v1", at: -4000), World.deployment(World.backend, "v2", at: 600),
            ],
            probes: [], evaluations: evaluations, baselines: Self.baseline(for: "backend-v2"))
        let result = Replay.run(policy: Self.policy(), history: history, from: World.t0, to: World.at(1200))

        let warning = try #require(result.earlyWarnings.first)
        #expect(result.earlyWarnings.count == 1)
        #expect(warning.at == World.at(690))  // 630, 660, 690: three in a row
        #expect(warning.median == 0.2)
        #expect(abs(warning.mad - 0.005) < 1e-12)
        #expect(result.decisions.map(\.at) == [World.at(750)])  // 720 and 750 over 1 s
        let v2 = try #require(result.deployments.first { $0.deployment.id == "backend-v2" })
        #expect(v2.warnedAt == World.at(690))
        #expect(v2.timeToWarning == .seconds(90))
        #expect(v2.warningLead == .seconds(60))

        // Scored against labels: warned 70 s after the fault, the decision came 130 s after it.
        let score = ReplayScore(
            result: result,
            labels: [
                DeploymentLabel(service: World.backend, deployment: "backend-v2", bad: true, faultAt: World.at(620))
            ])
        #expect(score.warned == 1)
        #expect(score.falseWarnings == 0)
        #expect(score.warningDelays == [.seconds(70)])
        #expect(score.delays == [.seconds(130)])
    }

    @Test("no baseline for the deployment, or a known-good deployment: no warning")
    func noWarningWithoutBaselineOrSuspect() {
        let climbing = Self.evaluations { $0 < 630 ? 0.2 : 0.6 }
        let noBaseline = ReplayHistory(
            deployments: [World.deployment(World.backend, "v2", at: 600)], probes: [], evaluations: climbing)
        #expect(
            Replay.run(policy: Self.policy(), history: noBaseline, from: World.t0, to: World.at(1200))
                .earlyWarnings.isEmpty)
        // v1 went live at 0 and baked at 600 s: the climb after it is known good is not its early warning.
        let baked = ReplayHistory(
            deployments: [World.deployment(World.backend, "v1", at: 0)], probes: [],
            evaluations: Self.evaluations { $0 < 660 ? 0.2 : 0.6 }, baselines: Self.baseline(for: "backend-v1"))
        #expect(
            Replay.run(policy: Self.policy(), history: baked, from: World.t0, to: World.at(1200))
                .earlyWarnings.isEmpty)
    }
}
