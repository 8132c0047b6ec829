import Benchmark
import Foundation

/// Benchmarks of Rewind's metric triggers: sliding P95/P99 windows, the trigger state machine,
/// and one evaluation round of Prometheus queries for 100 services (`REWIND_BENCH_SERVICES`). See
/// ../../../BENCHMARKS.md.
///
/// Environment:
/// - `REWIND_BENCH_ROUNDS` (default 50): Prometheus rounds of each kind (concurrent, sequential).
/// - `REWIND_PROMETHEUS_URL`: also run the rounds against this real Prometheus.
/// - `REWIND_BENCH_SERVICES` (default 100): services per round, one P95 signal each.
/// - `REWIND_SANDBOX_METRICS_PORT`: serve the services' metrics there for that Prometheus to
///   scrape (what `scripts/monitoring/start` configures), for `REWIND_BENCH_FILL_SECONDS` (default
///   330: a full 5-minute rate window) before measuring.
/// - `REWIND_SIGNALS_REPORT_DIR`: where the exact round statistics go (default `$TMPDIR`), in
///   `rewind-signals-emulator.txt` and `rewind-signals-prometheus.txt` (the benchmark tool silences
///   stdout while a benchmark runs, and runs each benchmark in a process of its own).
let benchmarks: @Sendable () -> Void = {
    WindowBenchmarks.register()
    TriggerBenchmarks.register()
    PrometheusBenchmarks.register()
}

enum PrometheusBenchmarks {
    static func register() {
        let environment = ProcessInfo.processInfo.environment
        let rounds = environment["REWIND_BENCH_ROUNDS"].flatMap(Int.init) ?? 50
        let reportDirectory =
            environment["REWIND_SIGNALS_REPORT_DIR"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
        func reportPath(_ name: String) -> String { reportDirectory.appendingPathComponent(name).path }
        register(
            "Prometheus round, \(PrometheusRig.services) services, emulator",
            reportPath: reportPath("rewind-signals-emulator.txt")
        ) { _ in
            let figures = try await PrometheusRig.emulatorRounds(rounds: rounds, warmup: 5)
            return (figures, "Emulator (PrometheusEmulatorServer on 127.0.0.1), \(rounds) rounds of each kind:")
        }

        guard let url = environment["REWIND_PROMETHEUS_URL"], !url.isEmpty else { return }
        let metricsPort = environment["REWIND_SANDBOX_METRICS_PORT"].flatMap(Int.init)
        let fill = Duration.seconds(environment["REWIND_BENCH_FILL_SECONDS"].flatMap(Int.init) ?? 330)
        register(
            "Prometheus round, \(PrometheusRig.services) services, real Prometheus",
            reportPath: reportPath("rewind-signals-prometheus.txt")
        ) { log in
            let figures = try await PrometheusRig.prometheusRounds(
                url: url, metricsPort: metricsPort, fill: fill, rounds: rounds, warmup: 5, log: log)
            return (figures, "Real Prometheus, \(rounds) rounds of each kind:")
        }
    }

    /// One iteration runs every round and adds one sample per round (and per query) to the metrics.
    private static func register(
        _ name: String, reportPath: String,
        _ run:
            @escaping @Sendable (_ log: @escaping @Sendable (String) -> Void) async throws
            -> (PrometheusRounds.Figures, String)
    ) {
        let report = SignalsReport()
        Benchmark(
            name,
            configuration: .init(
                metrics: RoundMetric.all,
                units: Dictionary(uniqueKeysWithValues: RoundMetric.all.map { ($0, .count) }),
                warmupIterations: 0,
                maxDuration: .seconds(3600),
                maxIterations: 1
            )
        ) { benchmark in
            defer { report.save(to: reportPath) }
            do {
                let (figures, title) = try await run(report.line)
                for round in figures.concurrentRounds {
                    benchmark.measurement(RoundMetric.concurrentRound, round.wholeMicroseconds)
                }
                for query in figures.concurrentQueries {
                    benchmark.measurement(RoundMetric.concurrentQuery, query.wholeMicroseconds)
                }
                for round in figures.sequentialRounds {
                    benchmark.measurement(RoundMetric.sequentialRound, round.wholeMicroseconds)
                }
                for query in figures.sequentialQueries {
                    benchmark.measurement(RoundMetric.sequentialQuery, query.wholeMicroseconds)
                }
                for cpu in figures.concurrentCPU {
                    benchmark.measurement(RoundMetric.concurrentCPU, cpu.wholeMicroseconds)
                }
                for cpu in figures.sequentialCPU {
                    benchmark.measurement(RoundMetric.sequentialCPU, cpu.wholeMicroseconds)
                }
                report.line(figures.summary(title: title, services: PrometheusRig.services))
                if figures.errors > 0 || figures.values == 0 {
                    benchmark.error(
                        "\(name): \(figures.errors) errors, \(figures.values) values: \(figures.firstError ?? "-")")
                }
            } catch {
                report.line("\(name) stopped: \(error)")
                benchmark.error("\(name) stopped: \(error)")
            }
        }
    }
}

/// The custom metrics, in microseconds. Names are ASCII: they end up in baseline file names.
enum RoundMetric {
    static var concurrentRound: BenchmarkMetric {
        .custom("round, \(PrometheusRig.services) concurrent (us)", useScalingFactor: false)
    }
    static var concurrentQuery: BenchmarkMetric { .custom("query in a concurrent round (us)", useScalingFactor: false) }
    static var sequentialRound: BenchmarkMetric {
        .custom("round, \(PrometheusRig.services) sequential (us)", useScalingFactor: false)
    }
    static var sequentialQuery: BenchmarkMetric { .custom("query, sequential (us)", useScalingFactor: false) }
    /// CPU time of the whole process (client, and the emulator when it serves) during a round.
    static var concurrentCPU: BenchmarkMetric { .custom("CPU, concurrent round (us)", useScalingFactor: false) }
    static var sequentialCPU: BenchmarkMetric { .custom("CPU, sequential round (us)", useScalingFactor: false) }

    static var all: [BenchmarkMetric] {
        [concurrentRound, concurrentQuery, sequentialRound, sequentialQuery, concurrentCPU, sequentialCPU]
    }
}
