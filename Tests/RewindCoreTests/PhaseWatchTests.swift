import RewindCore
import Testing

@Suite("PhaseWatch: a validation phase watched throughout")
struct PhaseWatchTests {
    static let latency: MetricSignalPolicy = {
        var signal = MetricSignalPolicy.guideDefaults(
            name: "latency_p95", measure: .latencyP95, source: .prometheus(query: "q"), serviceClass: .backend)!
        signal.consecutive = 2
        return signal
    }()

    static func result(_ outcomes: [(String, PhaseCheck.Outcome)]) -> PhaseResult {
        PhaseResult(
            kind: .performance, checks: outcomes.map { PhaseCheck(name: $0.0, outcome: $0.1, detail: "\($0.0) detail") }
        )
    }

    @Test(
        "a criterion failing its count of looks in a row fails the phase; a passing look starts it over; improvement criteria wait for the end"
    )
    func consecutiveLooks() {
        let late = Self.latency.window
        var watch = PhaseWatch(signals: [Self.latency])
        #expect(watch.observe(Self.result([("latency_p95", .failed)]), elapsed: late) == nil)
        #expect(watch.observe(Self.result([("latency_p95", .passed)]), elapsed: late) == nil)
        #expect(
            watch.observe(Self.result([("latency_p95", .failed), ("latency_p95 improvement", .failed)]), elapsed: late)
                == nil)
        let failed = watch.observe(
            Self.result([("latency_p95", .failed), ("latency_p95 improvement", .failed)]), elapsed: late)
        #expect(failed?.name == "latency_p95")
        #expect(failed?.detail == "latency_p95 detail, 2 looks in a row during the phase")
        var improvementOnly = PhaseWatch(signals: [Self.latency])
        for _ in 0..<5 {
            #expect(improvementOnly.observe(Self.result([("latency_p95 improvement", .failed)]), elapsed: late) == nil)
        }
    }

    @Test("looks whose window still reaches back before the phase do not count: they read the replaced version")
    func looksBeforeTheWindowFillsDoNotCount() {
        var watch = PhaseWatch(signals: [Self.latency])
        let window = Self.latency.window
        for elapsed in [Duration.seconds(1), .seconds(30), window - .seconds(1)] {
            #expect(watch.observe(Self.result([("latency_p95", .failed)]), elapsed: elapsed) == nil)
        }
        #expect(watch.runs["latency_p95", default: 0] == 0)
        #expect(watch.observe(Self.result([("latency_p95", .failed)]), elapsed: window) == nil)
        #expect(
            watch.observe(Self.result([("latency_p95", .failed)]), elapsed: window + .seconds(30))?.name
                == "latency_p95")
    }
}
