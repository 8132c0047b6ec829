import Benchmark
import Foundation
import Synchronization

/// The benchmark of Rewind's detection speed: fault → rollback call on a loopback sandbox.
///
/// One benchmark iteration runs every trial (25 by default; `REWIND_BENCH_TRIALS` overrides it)
/// with the rule's `min_duration` at the shipped 2s (`REWIND_BENCH_MIN_DURATION=0s`: the count alone):
/// each trial is one fault, one detection, one rollback and one recovery, and adds one sample to
/// each custom metric. The sandbox and the engine stay up between trials, the way a daemon does.
///
/// The benchmark tool silences a benchmark's output while it runs, so the per-trial breakdown and
/// the exact summary are also written to `REWIND_BENCH_REPORT` (default:
/// `$TMPDIR/rewind-detection-trials.txt`).
let benchmarks: @Sendable () -> Void = {
    let environment = ProcessInfo.processInfo.environment
    let trials = environment["REWIND_BENCH_TRIALS"].flatMap(Int.init) ?? 25
    let minDuration = environment["REWIND_BENCH_MIN_DURATION"] ?? "2s"
    let reportPath =
        environment["REWIND_BENCH_REPORT"]
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("rewind-detection-trials.txt").path

    Benchmark(
        "Fault to rollback call",
        configuration: .init(
            metrics: DetectionMetric.all,
            units: Dictionary(uniqueKeysWithValues: DetectionMetric.all.map { ($0, .count) }),
            warmupIterations: 0,
            maxDuration: .seconds(3600),
            maxIterations: 1
        )
    ) { benchmark in
        let report = DetectionReport()
        defer { report.save(to: reportPath) }
        do {
            let results = try await DetectionRig.run(trials: trials, minDuration: minDuration, log: report.line)
            for trial in results {
                benchmark.measurement(DetectionMetric.faultToRollbackCall, trial.faultToRollbackCall.wholeMilliseconds)
                benchmark.measurement(DetectionMetric.faultToFirstFailure, trial.faultToFirstFailure.wholeMilliseconds)
                benchmark.measurement(DetectionMetric.confirmation, trial.confirmation.wholeMilliseconds)
                benchmark.measurement(DetectionMetric.decisionOverhead, trial.decisionOverhead.wholeMicroseconds)
            }
            report.line(DetectionReport.summary(results))
        } catch {
            report.line("the detection benchmark stopped: \(error)")
            benchmark.error("the detection benchmark stopped: \(error)")
        }
    }
}

/// The custom metrics, one sample per trial. Names are ASCII: they end up in baseline file names.
enum DetectionMetric {
    /// Fault on (the young deployment starts failing) → the engine calls the platform's rollback API.
    static var faultToRollbackCall: BenchmarkMetric { .custom("fault to rollback call (ms)", useScalingFactor: false) }
    /// Fault on → the first failing health check: the wait for the next scheduled check.
    static var faultToFirstFailure: BenchmarkMetric {
        .custom("fault to first failing check (ms)", useScalingFactor: false)
    }
    /// First failing check → the trigger fires: the confirmation checks.
    static var confirmation: BenchmarkMetric { .custom("first failure to trigger (ms)", useScalingFactor: false) }
    /// The trigger fires (the last failing observation) → the rollback call: decide, record, plan, act.
    static var decisionOverhead: BenchmarkMetric { .custom("decision overhead (us)", useScalingFactor: false) }

    static var all: [BenchmarkMetric] { [faultToRollbackCall, faultToFirstFailure, confirmation, decisionOverhead] }
}

/// Human-readable lines: on stderr as they come (stdout and the pipes belong to the benchmark
/// tool), and in a file at the end.
final class DetectionReport: Sendable {
    private let lines = Mutex<[String]>([])

    func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
        lines.withLock { $0.append(text) }
    }

    func save(to path: String) {
        let text = lines.withLock { $0.joined(separator: "\n") } + "\n"
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Exact min / median / p90 / p99 / max of every metric, from the raw samples (the benchmark's own
    /// table rounds through a histogram).
    static func summary(_ results: [TrialTimes]) -> String {
        func row(_ name: String, _ values: [Double], unit: String) -> String {
            let stats = Distribution(values)
            let label = name.padding(toLength: 30, withPad: " ", startingAt: 0)
            let figures = String(
                format: "min %7.1f  median %7.1f  p90 %7.1f  p99 %7.1f  max %7.1f  ",
                stats.min, stats.median, stats.p90, stats.p99, stats.max)
            return "  \(label)\(figures)\(unit)"
        }
        return [
            "Detection summary over \(results.count) trials (exact, from the raw samples):",
            row("fault to rollback call", results.map { $0.faultToRollbackCall.doubleMilliseconds }, unit: "ms"),
            row("fault to first failing check", results.map { $0.faultToFirstFailure.doubleMilliseconds }, unit: "ms"),
            row("first failure to trigger", results.map { $0.confirmation.doubleMilliseconds }, unit: "ms"),
            row("decision overhead", results.map { $0.decisionOverhead.doubleMilliseconds }, unit: "ms"),
            row("fault to verified recovery", results.map { $0.faultToIncidentClosed.doubleMilliseconds }, unit: "ms"),
        ].joined(separator: "\n")
    }
}

/// Order statistics of a small sample. Percentiles use the nearest-rank method.
struct Distribution {
    let min: Double
    let median: Double
    let p90: Double
    /// With fewer than 100 samples, the nearest rank is the maximum.
    let p99: Double
    let max: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        func rank(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let index = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
        }
        min = sorted.first ?? .nan
        max = sorted.last ?? .nan
        p90 = rank(0.9)
        p99 = rank(0.99)
        if sorted.isEmpty {
            median = .nan
        } else if sorted.count % 2 == 1 {
            median = sorted[sorted.count / 2]
        } else {
            median = (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
    }
}

extension Duration {
    var doubleMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }

    var wholeMilliseconds: Int { Int(doubleMilliseconds.rounded()) }
    var wholeMicroseconds: Int { Int((doubleMilliseconds * 1_000).rounded()) }
}
