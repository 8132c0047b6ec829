import RewindCore
import Testing

@Suite("GradualWatch: improvement at the reduced share")
struct GradualWatchTests {
    static func conversion() -> MetricSignalPolicy {
        MetricSignalPolicy.guideDefaults(
            name: "conversion_rate", measure: .conversionRate, source: .pushed(signal: "conversion_rate"),
            serviceClass: .frontend)!
    }

    static func value(_ value: Double, at seconds: Int64) -> MetricEvaluation {
        MetricEvaluation(
            service: "frontend", signal: "conversion_rate", at: Fixture.t(seconds),
            outcome: .value(value, samples: 100), query: "")
    }

    @Test("the last `consecutive` evaluations must be healthy; no data or a violation starts over")
    func consecutiveHealthy() {
        var watch = GradualWatch(signal: Self.conversion(), baseline: 0.04)
        #expect(watch.observe(Self.value(0.0355, at: 60)) == .healthy(0.0355))
        #expect(watch.observe(Self.value(0.031, at: 120)) == .violating(0.031))
        #expect(!watch.improved)
        for (index, value) in [0.036, 0.037].enumerated() {
            watch.observe(Self.value(value, at: Int64(180 + 60 * index)))
        }
        #expect(!watch.improved && watch.healthyRun == 2)
        watch.observe(
            MetricEvaluation(
                service: "frontend", signal: "conversion_rate", at: Fixture.t(300), outcome: .noData("none"), query: "")
        )
        #expect(watch.healthyRun == 0)
        for seconds in [360, 420, 480] as [Int64] { watch.observe(Self.value(0.038, at: seconds)) }
        #expect(watch.improved)
    }

    @Test("a watch that cannot fit `consecutive` evaluations can never see improvement")
    func feasibility() {
        let signal = Self.conversion()
        #expect(signal.consecutive == 3)
        #expect(GradualWatch.canSeeImprovement(signal, watch: .seconds(600), interval: .seconds(60)))
        #expect(GradualWatch.canSeeImprovement(signal, watch: .seconds(180), interval: .seconds(60)))
        #expect(!GradualWatch.canSeeImprovement(signal, watch: .seconds(600), interval: .seconds(900)))
    }
}
