import RewindCore
import Testing

/// Tick-by-tick tables for metric triggers. Times are seconds after `Fixture.base`; `nil` values are "no data".
@Suite("MetricTriggerState: thresholds, consecutive evaluations, recovery, baselines and no-data policies")
struct MetricTriggerTests {
    typealias Event = MetricTriggerState.Event

    static func signal(
        _ measure: Measure, class serviceClass: ServiceClass = .frontend, noData: NoDataPolicy? = nil
    )
        -> MetricSignalPolicy
    {
        var signal = MetricSignalPolicy.guideDefaults(
            name: measure.rawValue, measure: measure, source: .prometheus(query: "q{service=\"{{service}}\"}"),
            serviceClass: serviceClass)!
        if let noData { signal.noData = noData }
        return signal
    }

    static func evaluation(
        _ seconds: Int64, _ outcome: MetricEvaluation.Outcome, baseline: Double? = nil
    ) -> MetricEvaluation {
        MetricEvaluation(
            service: "frontend", signal: "s", at: Fixture.t(seconds), outcome: outcome, query: "q",
            externalBaseline: baseline)
    }

    static func value(_ seconds: Int64, _ value: Double, samples: Int = 10) -> MetricEvaluation {
        evaluation(seconds, .value(value, samples: samples))
    }

    static func kinds(_ events: [Event]) -> [String] {
        events.map {
            switch $0 {
            case .none: "none"
            case .violating(let count, let of): "violating \(count)/\(of)"
            case .inconclusive: "inconclusive"
            case .fired: "fired"
            case .recovered: "recovered"
            }
        }
    }

    @Test("performance: P95 above the frontend's 2 s twice in a row fires on the second, with both values as evidence")
    func p95FiresOnSecondViolation() throws {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.latencyP95))
        let events = [1.2, 2.4, 2.6].enumerated().map {
            state.observe(Self.value(Int64($0.offset) * 30, $0.element), suspectSince: nil)
        }
        #expect(Self.kinds(events) == ["none", "violating 1/2", "fired"])
        guard case .fired(let violation) = events[2] else { return }
        #expect(violation.trigger == .performance)
        #expect(violation.requestedStrategy == .fast)
        #expect(violation.evidence.map(\.value) == [2.4, 2.6])
        #expect(violation.evidence.allSatisfy { $0.threshold == 2 })
        #expect(violation.signal?.query == "q")
        #expect(violation.signal?.window == .seconds(300))
        #expect(violation.evidence[0].result == "latency_p95 2.4 s (> 2 s)")
    }

    @Test("service classes carry the guide's limits: backend 1 s / 3 s, api 1.5 s / 4 s")
    func classLimits() {
        #expect(Measure.latencyP95.defaultThreshold(for: .backend) == .above(1))
        #expect(Measure.latencyP99.defaultThreshold(for: .backend) == .above(3))
        #expect(Measure.latencyP95.defaultThreshold(for: .api) == .above(1.5))
        #expect(Measure.latencyP99.defaultThreshold(for: .api) == .above(4))
        #expect(Measure.latencyP99.defaultThreshold(for: .frontend) == .above(5))
    }

    @Test("a healthy evaluation between two violations breaks the run")
    func consecutiveMeansConsecutive() {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.latencyP95))
        let events = [2.5, 1.0, 2.5, 2.5].enumerated().map {
            state.observe(Self.value(Int64($0.offset) * 30, $0.element), suspectSince: nil)
        }
        #expect(Self.kinds(events) == ["violating 1/2", "none", "violating 1/2", "fired"])
    }

    @Test("fires once, then recovers only after one minute of healthy values")
    func recoveryAfterOneMinute() {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.latencyP95))
        let values: [(Int64, Double)] = [(0, 3), (30, 3), (60, 3), (90, 1), (120, 1), (150, 1)]
        let events = values.map { state.observe(Self.value($0.0, $0.1), suspectSince: nil) }
        #expect(Self.kinds(events) == ["violating 1/2", "fired", "none", "none", "none", "recovered"])
        #expect(!state.isFiring)
    }

    @Test("a violation during recovery restarts the recovery clock")
    func recoveryRestarts() {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.latencyP95))
        let values: [(Int64, Double)] = [(0, 3), (30, 3), (60, 1), (90, 3), (120, 1), (150, 1), (180, 1)]
        let events = values.map { state.observe(Self.value($0.0, $0.1), suspectSince: nil) }
        #expect(Self.kinds(events) == ["violating 1/2", "fired", "none", "none", "none", "none", "recovered"])
    }

    @Test("a source error is never a violation: it breaks the run and says why")
    func errorIsInconclusive() {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.latencyP95, noData: .violate))
        let events = [
            state.observe(Self.value(0, 3), suspectSince: nil),
            state.observe(Self.evaluation(30, .error("connection refused")), suspectSince: nil),
            state.observe(Self.evaluation(60, .error("connection refused")), suspectSince: nil),
            state.observe(Self.value(90, 3), suspectSince: nil),
        ]
        #expect(Self.kinds(events) == ["violating 1/2", "inconclusive", "inconclusive", "violating 1/2"])
        #expect(events[1] == .inconclusive("source failed: connection refused"))
    }

    @Test(
        "no data follows the signal's policy",
        arguments: [
            (NoDataPolicy.ignore, ["violating 1/2", "none", "fired"]),
            (.violate, ["violating 1/2", "fired", "none"]),
            (.inconclusive, ["violating 1/2", "inconclusive", "violating 1/2"]),
            (.hold, ["violating 1/2", "fired", "none"]),
        ])
    func noDataPolicies(policy: NoDataPolicy, expected: [String]) {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.latencyP95, noData: policy))
        let events = [
            state.observe(Self.value(0, 3), suspectSince: nil),
            state.observe(Self.evaluation(30, .noData("empty result")), suspectSince: nil),
            state.observe(Self.value(60, 3), suspectSince: nil),
        ]
        #expect(Self.kinds(events) == expected)
    }

    @Test("hold with no previous verdict is inconclusive")
    func holdWithoutHistory() {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.cpuUsage))
        #expect(state.signal.noData == .hold)
        #expect(Self.kinds([state.observe(Self.evaluation(0, .noData("gone")), suspectSince: nil)]) == ["inconclusive"])
    }

    @Test("defaults: a ratio with no traffic is not a violation; a request counter that disappeared is")
    func defaultNoData() {
        #expect(Measure.errorRate.defaultNoData == .ignore)
        #expect(Measure.conversionRate.defaultNoData == .ignore)
        #expect(Measure.requestRate.defaultNoData == .violate)
        #expect(Measure.latencyP95.defaultNoData == .inconclusive)
        #expect(Measure.memoryUsage.defaultNoData == .hold)
    }

    @Test("NaN (histogram_quantile with no traffic) and too few samples count as no data")
    func nanAndMinSamples() {
        var signal = Self.signal(.latencyP95, noData: .inconclusive)
        signal.minSamples = 5
        var state = MetricTriggerState(service: "frontend", signal: signal)
        let events = [
            state.observe(Self.value(0, .nan), suspectSince: nil),
            state.observe(Self.value(30, 9, samples: 4), suspectSince: nil),
            state.observe(Self.value(60, 9, samples: 5), suspectSince: nil),
        ]
        #expect(events[0] == .inconclusive("no data: the value is NaN"))
        #expect(events[1] == .inconclusive("no data: 4 samples in the window; 5 needed"))
        #expect(events[2] == .violating(count: 1, of: 2))
    }

    @Test("±Inf is no data: never a violation, never evidence (JSON cannot carry it), and it breaks a run")
    func infinitiesAreNoData() {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.latencyP95, noData: .inconclusive))
        let events = [
            state.observe(Self.value(0, 9), suspectSince: nil),
            state.observe(Self.value(30, .infinity), suspectSince: nil),
            state.observe(Self.value(60, -.infinity), suspectSince: nil),
        ]
        #expect(events[0] == .violating(count: 1, of: 2))
        #expect(events[1] == .inconclusive("no data: the value is +Inf"))
        #expect(events[2] == .inconclusive("no data: the value is -Inf"))
        #expect(state.run.isEmpty)
        #expect(state.history.allSatisfy { $0.value.isFinite })
    }

    @Test("a signal that stays violating keeps its newest evidence only and counts what it dropped")
    func evidenceStaysBounded() {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.latencyP95))
        var fired: Violation?
        for step in 0..<1000 {
            if case .fired(let violation) = state.observe(Self.value(Int64(step) * 30, 9), suspectSince: nil) {
                fired = violation
            }
        }
        #expect(fired?.evidence.count == 2)
        #expect(state.isFiring)
        #expect(state.run.count == 2)
        #expect(state.runLength == 1000)
        #expect(state.droppedEvidence == 998)
        #expect(state.run.last?.at == Fixture.t(999 * 30))
        _ = state.observe(Self.value(30_000, 0.1), suspectSince: nil)
        #expect(state.run.isEmpty && state.droppedEvidence == 0)
    }

    @Test("throughput: a request rate 30 % under its rolling baseline violates; without a baseline it cannot judge")
    func requestRateAgainstBaseline() {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.requestRate))
        // Two values are not a baseline yet (three needed).
        let early = [
            state.observe(Self.value(0, 100), suspectSince: nil), state.observe(Self.value(30, 100), suspectSince: nil),
        ]
        #expect(Self.kinds(early) == ["inconclusive", "inconclusive"])
        _ = state.observe(Self.value(60, 100), suspectSince: nil)
        #expect(state.rollingBaseline(now: Fixture.t(90), suspectSince: nil) == 100)
        // 69 is more than 30 % under 100; from the first violation on, the baseline stays at 100.
        let later = [
            state.observe(Self.value(90, 69), suspectSince: nil), state.observe(Self.value(120, 60), suspectSince: nil),
        ]
        #expect(Self.kinds(later) == ["violating 1/2", "fired"])
        #expect(state.rollingBaseline(now: Fixture.t(150), suspectSince: nil) == 100)
    }

    @Test("error rate: up by more than 5 points over the baseline")
    func errorRatePoints() {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.errorRate))
        for second in [0, 30, 60] as [Int64] { _ = state.observe(Self.value(second, 0.01), suspectSince: nil) }
        var under = state
        #expect(Self.kinds([under.observe(Self.value(90, 0.059), suspectSince: nil)]) == ["none"])
        #expect(Self.kinds([state.observe(Self.value(90, 0.061), suspectSince: nil)]) == ["violating 1/2"])
    }

    @Test("the baseline stops at the suspect deployment: a regression never becomes its own baseline")
    func baselineStopsAtDeployment() {
        var signal = Self.signal(.conversionRate)
        signal.interval = .seconds(60)
        var state = MetricTriggerState(service: "frontend", signal: signal)
        // An hour of 4 % conversion, then a deploy at t=3600 and 2 % for an hour.
        for minute in 0..<60 { _ = state.observe(Self.value(Int64(minute) * 60, 0.04), suspectSince: nil) }
        let deploy = Fixture.t(3600)
        var events: [Event] = []
        for minute in 60..<120 {
            events.append(state.observe(Self.value(Int64(minute) * 60, 0.02), suspectSince: deploy))
        }
        #expect(abs(state.rollingBaseline(now: Fixture.t(7200), suspectSince: deploy)! - 0.04) < 1e-9)
        #expect(Self.kinds(Array(events.prefix(3))) == ["violating 1/3", "violating 2/3", "fired"])
        #expect(events.dropFirst(3).allSatisfy { $0 == .none })
    }

    @Test("even without a suspect deployment, the baseline ends at the first violation of the episode")
    func baselineEndsAtFirstViolation() {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.sessionDuration))
        for second in stride(from: 0, to: 300, by: 30) as StrideTo<Int64> {
            _ = state.observe(Self.value(second, 100), suspectSince: nil)
        }
        _ = state.observe(Self.value(300, 50), suspectSince: nil)
        _ = state.observe(Self.value(330, 50), suspectSince: nil)
        #expect(state.rollingBaseline(now: Fixture.t(360), suspectSince: nil) == 100)
    }

    @Test("an external baseline (the same hour last week) wins over the rolling one")
    func externalBaseline() {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.userSatisfaction))
        let events = [state.observe(Self.evaluation(0, .value(0.7, samples: 1), baseline: 0.9), suspectSince: nil)]
        #expect(Self.kinds(events) == ["violating 1/3"])
    }

    @Test("business signals ask for gradual; security and critical infrastructure for immediate")
    func strategies() {
        #expect(Self.signal(.conversionRate).requestedStrategy == .gradual)
        #expect(Self.signal(.authFailureRate).requestedStrategy == .immediate)
        var cpu = Self.signal(.cpuUsage)
        #expect(cpu.requestedStrategy == .fast)
        cpu.severity = .critical
        #expect(cpu.requestedStrategy == .immediate)
        #expect(Self.signal(.queueBacklog).requestedStrategy == .fast)
    }

    @Test("the guide's timings per category")
    func timings() {
        let business = Self.signal(.conversionRate)
        #expect((business.interval, business.consecutive) == (.seconds(900), 3))
        let infrastructure = Self.signal(.diskUsage)
        #expect((infrastructure.window, infrastructure.consecutive) == (.seconds(180), 2))
        #expect(infrastructure.threshold == .above(0.8))
        let performance = Self.signal(.latencyP99)
        #expect((performance.window, performance.consecutive, performance.recovery) == (.seconds(300), 2, .seconds(60)))
        #expect(Self.signal(.queueBacklog).threshold == .above(1000))
    }

    @Test("reset forgets the run but keeps the history the baseline needs")
    func resetKeepsHistory() {
        var state = MetricTriggerState(service: "frontend", signal: Self.signal(.requestRate))
        for second in [0, 30, 60] as [Int64] { _ = state.observe(Self.value(second, 100), suspectSince: nil) }
        _ = state.observe(Self.value(90, 10), suspectSince: nil)
        state.reset()
        #expect(state.run.isEmpty)
        #expect(state.rollingBaseline(now: Fixture.t(120), suspectSince: nil) != nil)
    }

    @Test("history is bounded to the baseline period plus the retention")
    func historyBounded() {
        var signal = Self.signal(.requestRate)
        signal.baseline = .rolling(.seconds(600))
        var state = MetricTriggerState(service: "frontend", signal: signal, retention: .seconds(600))
        for second in stride(from: 0, to: 3600, by: 30) as StrideTo<Int64> {
            _ = state.observe(Self.value(second, 100), suspectSince: nil)
        }
        #expect(state.history.count <= 41)
    }
}

@Suite("Values and thresholds in words")
struct MetricWordsTests {
    @Test(arguments: [
        (MetricUnit.seconds, 2.0, "2 s"), (.seconds, 0.25, "250 ms"), (.seconds, 2.41, "2.41 s"),
        (.ratio, 0.052, "5.2 %"),
        (.count, 1234.4, "1234"), (.perSecond, 12.5, "12.5/s"), (.ratio, .infinity, "+Inf"),
    ])
    func format(unit: MetricUnit, value: Double, expected: String) {
        #expect(unit.format(value) == expected)
    }

    @Test func thresholds() {
        #expect(Threshold.above(2).describe(.seconds) == "> 2 s")
        #expect(Threshold.dropFromBaseline(fraction: 0.3).describe(.perSecond) == "drop > 30 % from baseline")
        #expect(Threshold.riseByPoints(0.05).describe(.ratio) == "rise > 5 points over baseline")
        #expect(
            Threshold.riseByPoints(0.05).limit(baseline: 0.01) == 0.060000000000000005
                || Threshold.riseByPoints(0.05).limit(baseline: 0.01)! - 0.06 < 1e-12)
        #expect(Threshold.dropFromBaseline(fraction: 0.3).isViolated(by: 50, baseline: nil) == nil)
    }
}

@Suite("PromQL placeholders stay inside quoted label values")
struct PromQLPlaceholderTests {
    @Test func inside() {
        #expect(PromQLPlaceholders.problems(in: #"rate(x{service="{{service}}"}[5m])"#).isEmpty)
        #expect(PromQLPlaceholders.problems(in: #"rate(x{a="\"", service="{{ service }}"}[5m])"#).isEmpty)
    }

    @Test func outsideOrUnknown() {
        #expect(
            PromQLPlaceholders.problems(in: "rate(x[5m]) > {{service}}").contains {
                $0.contains("inside a quoted label value")
            })
        #expect(
            PromQLPlaceholders.problems(in: #"x{a="{{team}}"}"#) == [
                "unknown placeholder {{team}} in the query; known: {{service}}"
            ])
        #expect(PromQLPlaceholders.problems(in: #"x{a="{{service"}"#).contains { $0.contains("not closed") })
    }
}
