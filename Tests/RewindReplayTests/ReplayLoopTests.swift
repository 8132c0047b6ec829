import RewindCore
import RewindReplay
import Testing

/// The replay loop: the supervisor and trigger machines fed recorded history on a virtual clock.
@Suite("Replay: decisions over recorded history")
struct ReplayLoopTests {
    /// v1 of both services at t0 (baked after 10 minutes), healthy probes every second until `end`, except `backend`
    /// whose probes come from `backendProbes` after `from`.
    private func history(
        deployments extra: [ReplayDeployment], backend backendProbes: [Observation], from: Double = 0,
        end: Double = 1200, evaluations: [MetricEvaluation] = []
    ) -> ReplayHistory {
        // The backend's regular probes, except while the given ones cover.
        let covered = backendProbes.first.map { first in first.at...(backendProbes.last?.at ?? first.at) }
        let healthyBackend = World.probes(World.backend, from: 0, to: end).filter { probe in
            !(covered?.contains(probe.at) ?? false)
        }
        return ReplayHistory(
            deployments: [World.deployment(World.backend, "v1", at: 0), World.deployment(World.worker, "v1", at: 0)]
                + extra,
            probes: healthyBackend + backendProbes + World.probes(World.worker, from: 0, to: end),
            evaluations: evaluations)
    }

    @Test("a drain blip (1.5 s of failures) does not fire under the shipped min_duration; v2 is kept")
    func drainBlipDoesNotFire() {
        let history = history(
            deployments: [World.deployment(World.backend, "v2", at: 700)],
            backend: World.confirmedFailures(World.backend, from: 705, lasting: 1.5))
        let result = Replay.run(policy: World.policy(), history: history, from: World.t0, to: World.at(1200))

        #expect(result.decisions.isEmpty)
        let v2 = try? #require(result.deployments.first { $0.deployment.id == "backend-v2" })
        #expect(v2?.outcome == .kept)
        #expect(v2?.detectedAt == nil)
    }

    @Test("a hard down fires once it has failed for min_duration: immediate rollback to the known-good v1")
    func hardDownRollsBack() throws {
        let history = history(
            deployments: [World.deployment(World.backend, "v2", at: 700)],
            backend: World.confirmedFailures(World.backend, from: 705, lasting: 60))
        let result = Replay.run(policy: World.policy(), history: history, from: World.t0, to: World.at(1200))

        let decision = try #require(result.decisions.first)
        #expect(result.decisions.count == 1)
        #expect(decision.at == World.at(707))
        #expect(decision.violation.trigger == .healthCritical)
        #expect(decision.violation.evidence.count == 3)
        #expect(decision.strategy == .immediate)
        #expect(decision.targets.map { "\($0.service) \($0.from.id)→\($0.to.id)" } == ["backend backend-v2→backend-v1"])
        let v2 = try #require(result.deployments.first { $0.deployment.id == "backend-v2" })
        #expect(v2.outcome == .rolledBack)
        #expect(v2.detectedAt == World.at(707))
        #expect(v2.timeToDecision == .seconds(7))
        #expect(v2.trigger == .healthCritical)
        #expect(result.deployments.first { $0.deployment.id == "worker-v1" }?.outcome == .kept)
    }

    @Test("a deployment during the freeze is reported; its failure inside the cooldown escalates: why not is cooldown")
    func cooldownEscalates() throws {
        let down =
            World.confirmedFailures(World.backend, from: 705, lasting: 10)
            + World.confirmedFailures(World.backend, from: 905, lasting: 10)
        let history = history(
            deployments: [
                World.deployment(World.backend, "v2", at: 700), World.deployment(World.backend, "v3", at: 900),
            ],
            backend: down)
        let result = Replay.run(policy: World.policy(), history: history, from: World.t0, to: World.at(1200))

        // The immediate rollback froze deployments for an hour: v3 going live is reported (freeze.enforce: notify),
        // then its failure inside the cooldown is escalated, not rolled back.
        #expect(result.decisions.map(\.whyNot) == [nil, "deployed_during_freeze", "cooldown"])
        #expect(result.decisions.map(\.at) == [World.at(707), World.at(900), World.at(907)])
        #expect(result.deployments.first { $0.deployment.id == "backend-v3" }?.outcome == .kept)
        #expect(result.deployments.first { $0.deployment.id == "backend-v3" }?.detectedAt == World.at(907))
    }

    @Test("a failure before anything baked has no target; a failure of a known-good deployment is not a rollback")
    func noTargetAndNotSuspect() {
        let early = history(deployments: [], backend: World.confirmedFailures(World.backend, from: 100, lasting: 5))
        let result = Replay.run(policy: World.policy(), history: early, from: World.t0, to: World.at(1200))
        #expect(result.decisions.map(\.whyNot) == ["no_known_good_target"])

        let late = history(deployments: [], backend: World.confirmedFailures(World.backend, from: 1000, lasting: 5))
        let later = Replay.run(policy: World.policy(), history: late, from: World.t0, to: World.at(1200))
        #expect(later.decisions.map(\.whyNot) == ["not_caused_by_deployment"])
    }

    @Test("deployments before the period build the book but get no verdict; probes outside the period are not read")
    func periodBounds() {
        let history = history(
            deployments: [World.deployment(World.backend, "v2", at: 700)],
            backend: World.confirmedFailures(World.backend, from: 705, lasting: 60))
        let result = Replay.run(policy: World.policy(), history: history, from: World.at(650), to: World.at(706))

        #expect(result.deployments.map(\.deployment.id) == ["backend-v2"])
        let unwatched = history.deployments + [World.deployment("billing", "v9", at: 660)]
        let withOthers = ReplayHistory(
            deployments: unwatched, probes: history.probes, evaluations: history.evaluations)
        #expect(
            Replay.run(policy: World.policy(), history: withOthers, from: World.at(650), to: World.at(706)).deployments
                .map(\.deployment.id) == ["backend-v2"])
        #expect(result.decisions.isEmpty)
        #expect(result.probes == history.probes.filter { $0.at >= World.at(650) && $0.at < World.at(706) }.count)
    }

    @Test("a metric signal judged against the suspect deployment: two violating evaluations roll back fast")
    func metricSignalRollsBackFast() throws {
        var policy = World.policy()
        let signal = try #require(
            MetricSignalPolicy.guideDefaults(
                name: "error_rate", measure: .errorRate, source: .prometheus(query: "errors"), serviceClass: .backend))
        policy.services[0].signals = [signal]
        let evaluations = stride(from: 30.0, to: 1200, by: 30).map { second in
            MetricEvaluation(
                service: World.backend, signal: "error_rate", at: World.at(second),
                outcome: .value(second >= 730 && second < 800 ? 0.4 : 0.01, samples: 1), query: "errors")
        }
        let history = history(
            deployments: [World.deployment(World.backend, "v2", at: 700)], backend: [], evaluations: evaluations)
        let result = Replay.run(policy: policy, history: history, from: World.t0, to: World.at(1200))

        let decision = try #require(result.decisions.first)
        #expect(result.decisions.count == 1)
        #expect(decision.at == World.at(780))
        #expect(decision.violation.trigger == .performance || decision.violation.trigger == .throughput)
        #expect(decision.strategy == .fast)
        #expect(decision.violation.evidence.map(\.value) == [0.4, 0.4])
        #expect(result.evaluations == evaluations.count)
    }

    @Test("the same history replays to the same result (pure)")
    func deterministic() {
        let history = history(
            deployments: [World.deployment(World.backend, "v2", at: 700)],
            backend: World.confirmedFailures(World.backend, from: 705, lasting: 60))
        let first = Replay.run(policy: World.policy(), history: history, from: World.t0, to: World.at(1200))
        let second = Replay.run(policy: World.policy(), history: history, from: World.t0, to: World.at(1200))
        #expect(first == second)
    }
}
