import RewindCore
import Testing

/// The canary judge's decisions: one metric at one look, the canary score, and the judge fed look by look.
@Suite("Canary judge: per-metric verdicts, the canary score and looks with α-spending")
struct CanaryJudgeTests {
    /// 40 stable values around 100 ms with some spread, and the same values scaled.
    static let stable: [Double] = (0..<40).map { 0.080 + 0.001 * Double(($0 * 17) % 40) }
    static func scaled(_ factor: Double) -> [Double] { stable.map { $0 * factor } }

    static let latency = CanaryJudgePolicy(
        direction: .increase, minEffect: 0.05, alpha: 0.05, maxLooks: 1, minSamples: 10)

    @Test("a canary 30 % slower fails at its one planned look, with U, z, p, the level and the effect")
    func clearlyWorseFails() throws {
        let verdict = CanaryJudge.judge(canary: Self.scaled(1.3), stable: Self.stable, policy: Self.latency, look: 1)
        guard case .fail(let comparison) = verdict else {
            Issue.record("expected a failure, got \(verdict)")
            return
        }
        #expect(comparison.look == 1)
        #expect(comparison.level == 0.05)
        #expect(comparison.p < 1e-6)
        #expect(comparison.z > 4)
        #expect(abs(comparison.effect - 1.3) < 1e-9)
        #expect(comparison.canaryCount == 40 && comparison.stableCount == 40)
        let reference = try #require(MannWhitneyU.test(Self.scaled(1.3), Self.stable, alternative: .greater))
        #expect(comparison.u == reference.u && comparison.p == reference.p)
    }

    @Test("a significant change smaller than the minimum effect passes")
    func smallEffectPasses() throws {
        // 8 % slower: significant with 40 values each (p ≈ 0.004), below a minimum effect of 10 %.
        let canary = Self.scaled(1.08)
        #expect(try #require(MannWhitneyU.test(canary, Self.stable, alternative: .greater)).p < 0.01)
        #expect(CanaryJudge.judge(canary: canary, stable: Self.stable, policy: Self.latency, look: 1).isFailure)
        var tolerant = Self.latency
        tolerant.minEffect = 0.10
        #expect(!CanaryJudge.judge(canary: canary, stable: Self.stable, policy: tolerant, look: 1).isFailure)
    }

    @Test("the direction says which way is bad: a faster canary never fails `increase`, a lower rate fails `decrease`")
    func direction() {
        #expect(
            !CanaryJudge.judge(canary: Self.scaled(0.7), stable: Self.stable, policy: Self.latency, look: 1).isFailure)
        var throughput = Self.latency
        throughput.direction = .decrease
        #expect(CanaryJudge.judge(canary: Self.scaled(0.7), stable: Self.stable, policy: throughput, look: 1).isFailure)
        #expect(
            !CanaryJudge.judge(canary: Self.scaled(1.3), stable: Self.stable, policy: throughput, look: 1).isFailure)
    }

    @Test("fewer values than min_samples in either cohort is inconclusive, and says how many")
    func tooFewSamples() {
        let verdict = CanaryJudge.judge(
            canary: Array(Self.scaled(2).prefix(9)), stable: Self.stable, policy: Self.latency, look: 1)
        #expect(verdict == .inconclusive("too few samples: canary 9, stable 40; 10 per cohort needed"))
    }

    @Test("α-spending: the evidence that fails a fixed-α look (Kayenta) does not fail the first of 30 looks")
    func earlyLookNeedsStrongEvidence() throws {
        let canary = Self.scaled(1.08)
        let p = try #require(MannWhitneyU.test(canary, Self.stable, alternative: .greater)).p
        #expect(p < 0.05)
        var planned = Self.latency
        planned.maxLooks = 30
        #expect(!CanaryJudge.judge(canary: canary, stable: Self.stable, policy: planned, look: 1).isFailure)
        // After the planned looks α is spent: the canary passed its analysis and can no longer fail.
        #expect(!CanaryJudge.judge(canary: Self.scaled(2), stable: Self.stable, policy: planned, look: 31).isFailure)
        #expect(CanaryJudge.judge(canary: Self.scaled(2), stable: Self.stable, policy: planned, look: 30).isFailure)
    }

    @Test(
        "the score weighs passing metrics over judged ones; Kayenta's 95 / 75 thresholds",
        arguments: [
            ([(true, 1.0)], 100.0, CanaryOutcome.pass),
            ([(false, 1.0)], 0, .fail),
            ([(true, 3.0), (false, 1.0)], 75, .marginal),
            ([(true, 1.0), (false, 1.0)], 50, .fail),
            ([(true, 19.0), (false, 1.0)], 95, .pass),
        ])
    func score(_ metrics: [(Bool, Double)], expected: Double, outcome: CanaryOutcome) {
        let comparison = CanaryComparison(
            look: 1, u: 0, z: 0, p: 1, level: 0.05, effect: 1, canaryMedian: 1, stableMedian: 1, canaryCount: 10,
            stableCount: 10)
        let verdicts =
            metrics.map { ($0.0 ? CanaryMetricVerdict.pass(comparison) : .fail(comparison), $0.1) }
            + [(.inconclusive("no data"), 5)]
        let score = CanaryJudge.score(verdicts)
        #expect(score == expected)
        #expect(CanaryJudge.outcome(score: score, thresholds: .init()) == outcome)
        #expect(
            CanaryJudge.outcome(score: CanaryJudge.score([(.inconclusive("x"), 1)]), thresholds: .init())
                == .inconclusive)
    }

    @Test("the median of an even count is the mean of the middle two; the effect of 0 over 0 is no change")
    func medians() {
        #expect(CanaryJudge.median([4, 1, 3, 2]) == 2.5)
        #expect(CanaryJudge.median([5, 1, 3]) == 3)
        let zeros = [Double](repeating: 0, count: 12)
        let verdict = CanaryJudge.judge(canary: zeros, stable: zeros, policy: Self.latency, look: 1)
        #expect(verdict.comparison?.effect == 1)
        #expect(!verdict.isFailure)
    }
}

/// The judge fed look by look, the way the engine's canary watcher and replay feed it.
@Suite("CanaryJudgeState: samples from the canary's start, looks, firing, evidence and reset")
struct CanaryJudgeStateTests {
    static func signal(_ name: String, weight: Double = 1, maxLooks: Int = 3) -> CanarySignalPolicy {
        CanarySignalPolicy(
            name: name, measure: .latencyP95, category: .performance, unit: .seconds,
            cohorts: CohortQueries(template: "q{service=\"{{service}}\", track=\"{{track}}\"}"),
            judge: CanaryJudgePolicy(
                direction: .increase, minEffect: 0.05, weight: weight, alpha: 0.05,
                maxLooks: maxLooks, minSamples: 10))
    }

    /// Six values per cohort in the minute before `minute` (10 s apart), stable around 100 ms, canary × `factor`.
    static func look(
        _ minute: Int64, factor: Double, signals: [String] = ["latency"], since: Timestamp? = Fixture.base
    ) -> CanaryLook {
        let end = Fixture.minutes(minute)
        func cohort(_ scale: Double) -> [CohortSample] {
            (0..<6).map { index in
                let at = end - .seconds(Int64(60 - 10 * index))
                let spread = 0.090 + 0.004 * Double((Int(minute) * 7 + index * 3) % 6)
                return CohortSample(at: at, value: spread * scale)
            }
        }
        let readings = signals.map {
            CohortReading(
                signal: $0, outcome: .samples(canary: cohort(factor), stable: cohort(1)),
                queries: CohortQueries(canary: "q{track=\"canary\"}", stable: "q{track=\"stable\"}"))
        }
        return CanaryLook(at: end, suspectSince: since, readings: readings)
    }

    static func kind(_ event: TriggerEvent) -> String {
        switch event {
        case .none: "none"
        case .building: "building"
        case .inconclusive: "inconclusive"
        case .fired: "fired"
        case .recovered: "recovered"
        }
    }

    @Test("inconclusive until each cohort has 10 values, then fails a 40 % slower canary once, with the evidence")
    func firesWithEvidence() throws {
        var state = CanaryJudgeState(service: "web", signals: [Self.signal("latency")])
        let events = (1...4).map { state.observe(Self.look($0, factor: 1.4)) }
        #expect(events.map(Self.kind) == ["inconclusive", "fired", "none", "none"])
        #expect(state.looks["latency"] == 3)
        guard case .fired(let violation) = events[1] else { return }
        #expect(violation.trigger == .performance)
        #expect(violation.requestedStrategy == .fast)
        #expect(violation.rule.hasPrefix("canary judge: score 0 < 75 (latency worse than stable"))
        let evidence = try #require(violation.evidence.first)
        #expect(evidence.check == "latency")
        #expect(evidence.result.contains("n 12/12"))
        #expect(evidence.result.contains("at look 1: fail"))
        #expect(evidence.result.contains("U 144,"))
        #expect(evidence.baseline.map { abs($0 - 0.098) < 0.01 } == true)
        #expect(violation.signal?.query == "q{track=\"canary\"}")
        #expect(violation.signal?.threshold.contains("×1.05") == true)
        guard case .inconclusive(let why) = events[0] else { return }
        #expect(why == "canary judge: latency: too few samples: canary 6, stable 6; 10 per cohort needed")
    }

    @Test("values from before the canary went live are not part of its sample")
    func samplesStartWithTheCanary() {
        var state = CanaryJudgeState(service: "web", signals: [Self.signal("latency")])
        _ = state.observe(Self.look(1, factor: 1.4, since: Fixture.minutes(1) - .seconds(30)))
        #expect(state.canary["latency"]?.count == 3)
    }

    @Test("an A/A canary passes every look; a known-good deployment is not judged; a source error never fails")
    func goodCanaryAndErrors() {
        var state = CanaryJudgeState(service: "web", signals: [Self.signal("latency")])
        let events = (1...5).map { state.observe(Self.look($0, factor: 1)) }
        #expect(events.map(Self.kind) == ["inconclusive", "none", "none", "none", "none"])
        #expect(state.lastOutcome == .pass)
        #expect(state.observe(Self.look(6, factor: 3, since: nil)) == .none)
        let failed = CanaryLook(
            at: Fixture.minutes(7), suspectSince: Fixture.base,
            readings: [
                CohortReading(signal: "latency", outcome: .error("Prometheus is down"), queries: .init(template: "q"))
            ])
        #expect(state.observe(failed) == .inconclusive("canary judge: latency: source failed: Prometheus is down"))
    }

    @Test("after the planned looks α is spent: a canary that turns bad late passes its analysis")
    func spentAfterPlannedLooks() {
        var state = CanaryJudgeState(service: "web", signals: [Self.signal("latency", maxLooks: 2)])
        let good = (1...3).map { state.observe(Self.look($0, factor: 1)) }
        let bad = (4...8).map { state.observe(Self.look($0, factor: 3)) }
        #expect((good + bad).allSatisfy { Self.kind($0) != "fired" })
    }

    @Test("the score weighs signals: a failing light metric beside a passing heavy one is marginal, not a rollback")
    func weightedScore() {
        let signals = [Self.signal("latency", weight: 1), Self.signal("errors", weight: 3)]
        var state = CanaryJudgeState(service: "web", signals: signals)
        for minute in Int64(1)...4 {
            var look = Self.look(minute, factor: 1, signals: ["errors"])
            look.readings += Self.look(minute, factor: 1.4, signals: ["latency"]).readings
            #expect(Self.kind(state.observe(look)) != "fired")
        }
        #expect(state.lastScore == 75)
        #expect(state.lastOutcome == .marginal)
        #expect(state.runLength == 1)
    }

    @Test("a new deployment starts the canary's samples and looks afresh; a fired judge recovers on a passing look")
    func resetAndRecovery() {
        var state = CanaryJudgeState(service: "web", signals: [Self.signal("latency", maxLooks: 3)])
        _ = (1...3).map { state.observe(Self.look($0, factor: 1.4)) }
        #expect(state.isFiring)
        state.reset()
        #expect(state.canary.isEmpty && state.looks.isEmpty && !state.isFiring)
        var firing = CanaryJudgeState(service: "web", signals: [Self.signal("latency", maxLooks: 3)])
        _ = (1...3).map { firing.observe(Self.look($0, factor: 1.4)) }
        // Once α is spent (look 4 of 3 planned) a look passes, and the fired judge recovers.
        let later = (4...6).map { firing.observe(Self.look($0, factor: 1)) }
        #expect(later.map(Self.kind).contains("recovered"))
    }
}

extension CanaryMetricVerdict {
    var isFailure: Bool {
        if case .fail = self { return true }
        return false
    }
}
