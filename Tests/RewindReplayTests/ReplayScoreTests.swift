import RewindCore
import RewindReplay
import Testing

/// Scoring a replay against the team's labels, and sweeping settings over the same history.
@Suite("Replay: scoring and sweeps")
struct ReplayScoreTests {
    /// backend v2 hard down from 705 s (bad, fault at 704 s); worker v2 flaps at 800 s (good); worker v3 bad but
    /// silent (missed).
    static func history() -> ReplayHistory {
        let backendDown = World.confirmedFailures(World.backend, from: 705, lasting: 30)
        let workerBlip = World.confirmedFailures(World.worker, from: 805, lasting: 3)
        let downTimes = Set((backendDown + workerBlip).map { "\($0.service)\($0.at)" })
        let healthy = (World.probes(World.backend, from: 0, to: 1200) + World.probes(World.worker, from: 0, to: 1200))
            .filter { !downTimes.contains("\($0.service)\($0.at)") }
            .filter { !($0.service == World.backend && $0.at >= World.at(705) && $0.at <= World.at(735)) }
            .filter { !($0.service == World.worker && $0.at >= World.at(805) && $0.at <= World.at(808)) }
        return ReplayHistory(
            deployments: [
                World.deployment(World.backend, "v1", at: 0), World.deployment(World.worker, "v1", at: 0),
                World.deployment(World.backend, "v2", at: 700), World.deployment(World.worker, "v2", at: 800),
                World.deployment(World.worker, "v3", at: 1000),
            ],
            probes: healthy + backendDown + workerBlip, evaluations: [])
    }

    static let labels = [
        DeploymentLabel(service: World.backend, deployment: "backend-v2", bad: true, faultAt: World.at(704)),
        DeploymentLabel(service: World.worker, deployment: "worker-v2", bad: false),
        DeploymentLabel(service: World.worker, deployment: "worker-v3", bad: true),
    ]

    @Test("false rollbacks, missed bad deployments, wrong service blamed and the delay after the fault")
    func scores() {
        let result = Replay.run(policy: World.policy(), history: Self.history(), from: World.t0, to: World.at(1200))
        let score = ReplayScore(result: result, labels: Self.labels)

        #expect(score.labelled == 3)
        #expect(score.bad == 2)
        #expect(score.caught == 1)
        #expect(score.missed == 1)
        // worker v2's 3 s blip fires under the shipped rule and is rolled back: a false rollback, while backend v2
        // (bad) was still live: the wrong service was blamed.
        #expect(score.falseRollbacks == 1)
        #expect(score.wrongServiceBlamed == 1)
        #expect(score.delays == [.seconds(3)])
        #expect(score.medianDelay == .seconds(3))
        #expect(score.p90Delay == .seconds(3))
        #expect(score.maxDelay == .seconds(3))
    }

    @Test("the nearest-rank percentiles of the delays")
    func percentiles() {
        let delays = (1...10).map { Duration.seconds($0) }
        #expect(ReplayScore.percentile(delays, 0.5) == .seconds(5))
        #expect(ReplayScore.percentile(delays, 0.9) == .seconds(9))
    }

    @Test("a sweep replays every combination over the same history, best first")
    func sweep() throws {
        let axes = [
            try Sweep.Axis(parsing: "health.critical.min_duration=2s,5s"),
            try Sweep.Axis(parsing: "health.critical.failures=3,50"),
        ]
        let combinations = try Sweep.combinations(axes)
        #expect(combinations.count == 4)
        #expect(combinations.map { $0.map(\.value) } == [["2s", "3"], ["2s", "50"], ["5s", "3"], ["5s", "50"]])

        // The policies the app builds from the combinations (here by hand): 5 s lets the worker's 3 s blip pass.
        var candidates: [(settings: [String], policy: Policy)] = []
        for combination in combinations {
            var policy = World.policy()
            policy.health.critical.minDuration = combination[0].value == "2s" ? .seconds(2) : .seconds(5)
            policy.health.critical.count = Int(combination[1].value)!
            candidates.append((combination.map { "\($0.key)=\($0.value)" }, policy))
        }
        let rows = Sweep.run(
            candidates, history: Self.history(), labels: Self.labels, from: World.t0, to: World.at(1200))
        // 50 failures in a row take 4.9 s at the confirmation cadence: the 3 s blip never fires, the hard down does
        // 5.9 s after its fault; a 5 s minimum catches it at 6 s; the shipped rule also rolls the good worker back.
        #expect(
            rows.map { $0.settings.map { $0.split(separator: "=").last.map(String.init) ?? "" } } == [
                ["2s", "50"], ["5s", "3"], ["5s", "50"], ["2s", "3"],
            ])
        #expect(rows.map(\.score.mistakes) == [1, 1, 1, 2])
        #expect(rows.map(\.score.falseRollbacks) == [0, 0, 0, 1])
        #expect(rows.first?.score.medianDelay == .milliseconds(5900))
    }

    @Test(
        "a bad sweep option says what to write",
        arguments: ["health.critical.failures", "=1,2", "health.critical.failures=", "k=1,,2", "k=1,1"])
    func rejectsBadAxis(text: String) {
        #expect(throws: Sweep.SweepError.self) { try Sweep.Axis(parsing: text) }
    }

    @Test("too many combinations, or a key twice, is refused")
    func limits() throws {
        let wide = try Sweep.Axis(parsing: "a=" + (1...40).map(String.init).joined(separator: ","))
        #expect(throws: Sweep.SweepError.self) { try Sweep.combinations([wide, wide]) }
        let other = try Sweep.Axis(parsing: "b=" + (1...40).map(String.init).joined(separator: ","))
        #expect(throws: Sweep.SweepError.self) { try Sweep.combinations([wide, other]) }
    }
}
