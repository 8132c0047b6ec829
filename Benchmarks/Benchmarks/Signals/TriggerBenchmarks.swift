import Benchmark
import RewindCore

/// `RewindCore.MetricTriggerState`, the per-signal trigger fed one evaluation every 30 s: the cost
/// of one `observe(_:suspectSince:)` with a full history, and the bytes that history holds.
///
/// With the guide's defaults a signal keeps `retention` (the 1 h bake period) + its 1 h rolling
/// baseline period of values: 240 values at one evaluation per 30 s. Each observation computes the
/// rolling baseline over that history (every guide default has one, absolute thresholds included)
/// and trims the values that left it.
enum TriggerBenchmarks {
    static func register() {
        registerObserve(.requestRate)
        registerObserve(.latencyP95)
        registerFootprint(.requestRate)
    }

    /// Evaluations that fill the history to its steady state (3 h at 30 s: more than the 2 h kept).
    static let fillEvaluations = 360

    // MARK: - Observe

    private static func registerObserve(_ signal: BenchSignal) {
        let feed = TriggerFeed(signal)
        Benchmark(
            "MetricTriggerState.observe, \(signal.name), 2 h of history",
            configuration: .init(
                metrics: [.throughput, .wallClock, .mallocCountTotal],
                scalingFactor: .kilo,
                maxDuration: .seconds(3),
                maxIterations: 1_000_000
            )
        ) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(feed.observeNext())
            }
        }
    }

    // MARK: - Memory

    /// Creates the state and feeds it 3 h of evaluations inside the measured region, keeping it past
    /// the end: `memoryLeakedBytes` is what one signal's trigger state holds in steady state.
    private static func registerFootprint(_ signal: BenchSignal) {
        Benchmark(
            "MetricTriggerState bytes, \(signal.name), 2 h of history",
            configuration: .init(
                metrics: [.memoryLeakedBytes, HistoryMetric.values, HistoryMetric.bytes],
                units: [HistoryMetric.values: .count, HistoryMetric.bytes: .count],
                warmupIterations: 1,
                scalingFactor: .one,
                maxDuration: .seconds(10),
                maxIterations: 10
            )
        ) { benchmark in
            benchmark.startMeasurement()
            let feed = TriggerFeed(signal)
            benchmark.stopMeasurement()
            let history = feed.state.history
            benchmark.measurement(HistoryMetric.values, history.count)
            benchmark.measurement(
                HistoryMetric.bytes, history.capacity * MemoryLayout<MetricTriggerState.TimedValue>.stride)
            blackHole(feed)
        }
    }
}

/// One service's metric signal with the guide's defaults for a backend, as the config would build it.
struct BenchSignal: Sendable {
    let name: String
    let policy: MetricSignalPolicy
    /// The evaluation template: service, signal and rendered query.
    let evaluation: MetricEvaluation
    /// A healthy value for the `n`th evaluation.
    let value: @Sendable (Int) -> Double

    /// Request rate: a drop of more than 30 % from the rolling 1 h baseline violates.
    static let requestRate = BenchSignal(
        measure: .requestRate,
        query: #"sum(rate(http_requests_total{service="backend"}[5m]))"#,
        value: { 100 + Double(($0 * 7919) % 21) - 10 })

    /// P95 latency: above 1 s violates (an absolute threshold; the baseline is still kept).
    static let latencyP95 = BenchSignal(
        measure: .latencyP95,
        query: PrometheusRounds.p95Query(service: "backend"),
        value: { 0.2 + Double(($0 * 7919) % 21) / 200 })

    init(measure: Measure, query: String, value: @escaping @Sendable (Int) -> Double) {
        name = measure.rawValue
        // Every built-in measure has guide defaults; a nil here is a bug in this file.
        policy = MetricSignalPolicy.guideDefaults(
            name: measure.rawValue, measure: measure, source: .prometheus(query: query), serviceClass: .backend)!
        evaluation = MetricEvaluation(
            service: ServiceName("backend"), signal: measure.rawValue, at: .benchmarkEpoch,
            outcome: .noData("not evaluated yet"), query: query)
        self.value = value
    }
}

/// A trigger state fed one healthy evaluation per interval, starting with a full history. A class
/// so that the feed goes on across the benchmark's iterations; used by one closure at a time.
final class TriggerFeed {
    private(set) var state: MetricTriggerState
    private let signal: BenchSignal
    private var evaluation: MetricEvaluation
    private var n = 0

    init(_ signal: BenchSignal) {
        self.signal = signal
        state = MetricTriggerState(service: signal.evaluation.service, signal: signal.policy)
        evaluation = signal.evaluation
        for _ in 0..<TriggerBenchmarks.fillEvaluations { _ = observeNext() }
    }

    func observeNext() -> MetricTriggerState.Event {
        evaluation.at = Timestamp.benchmarkEpoch + signal.policy.interval * n
        evaluation.outcome = .value(signal.value(n), samples: 1)
        n += 1
        return state.observe(evaluation, suspectSince: nil)
    }
}

enum HistoryMetric {
    /// Values the state keeps for its baseline.
    static var values: BenchmarkMetric { .custom("history values", useScalingFactor: false) }
    /// The history array's storage: capacity × 16 bytes (a timestamp and a value).
    static var bytes: BenchmarkMetric { .custom("history storage bytes", useScalingFactor: false) }
}
