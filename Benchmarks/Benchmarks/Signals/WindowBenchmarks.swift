import Benchmark
import RewindCore
import RewindSignals
import Synchronization

/// Sliding P95/P99 windows (`RewindSignals.LatencyWindow`, a ring of 10 + 1 HDR-histogram slots over
/// 5 minutes): the cost of recording, of one P95 + P99 query on a full window, and the bytes one
/// full window holds.
enum WindowBenchmarks {
    static func register() {
        registerRecording(name: "LatencyWindow.record, 1000 latencies/s", step: .milliseconds(1))
        registerRecording(name: "LatencyWindow.record, 1 probe/s", step: .seconds(1))
        registerRecordingThroughDictionary()
        registerQuery(name: "LatencyWindow.quantiles([0.95, 0.99]), full 5 min, 0.5 % at 1-3 s", latencies: .slowTail)
        registerQuery(name: "LatencyWindow.quantiles([0.95, 0.99]), full 5 min, latencies < 2 s", latencies: .typical)
        registerFootprint(name: "LatencyWindow bytes, full 5 min, latencies < 2 s", latencies: .typical)
        registerFootprint(name: "LatencyWindow bytes, full 5 min, 0.5 % at 1-3 s", latencies: .slowTail)
        registerFootprint(name: "LatencyWindow bytes, full 5 min, 0.5 % at 1 s-1 h", latencies: .hourTail)
    }

    /// Latencies per second of signal time in a filled window: a busy service's request latencies.
    static let fillRate = 100

    /// A window holding 5 min 30 s of `latencies` at ``fillRate`` per second, and the time of the last one.
    static func filledWindow(_ latencies: Latencies) -> (window: LatencyWindow, now: Timestamp) {
        var window = LatencyWindow()
        let step = Duration.milliseconds(1000 / fillRate)
        var at = Timestamp.benchmarkEpoch
        for n in 0..<(330 * fillRate) {
            window.record(latencies[n], at: at)
            at = at + step
        }
        return (window, at - step)
    }

    // MARK: - Recording

    /// One window, fed forever with advancing timestamps `step` apart: the ring turns, allocating a
    /// slot histogram every 30 s of signal time and freeing the one that left the window.
    private static func registerRecording(name: String, step: Duration) {
        let latencies = Latencies.slowTail
        let feed = Feed()
        Benchmark(
            name,
            configuration: .init(
                metrics: [.throughput, .wallClock, .mallocCountTotal],
                scalingFactor: .kilo,
                maxDuration: .seconds(3),
                maxIterations: 1_000_000
            )
        ) { benchmark in
            for _ in benchmark.scaledIterations {
                feed.window.record(latencies[feed.next], at: feed.at)
                feed.next &+= 1
                feed.at = feed.at + step
            }
        }
    }

    /// Recording a probe latency into the daemon's dictionary of windows (`CompositeMetricSource`
    /// in RewindApp keeps a `Mutex<[String: LatencyWindow]>`), two ways:
    /// - in place, `windows[key, default: …].record(…)`, as `recordProbe` does since commit 30644e9;
    /// - copied out, recorded into and stored back, as it did before: while both copies are alive,
    ///   the ring's storage and the touched slot's histogram are shared, so the record copies them
    ///   first (copy on write).
    private static func registerRecordingThroughDictionary() {
        for inPlace in [true, false] {
            let latencies = Latencies.slowTail
            let source = DictionaryOfWindows()
            let feed = Feed()
            Benchmark(
                inPlace
                    ? "LatencyWindow.record, 1 probe/s, in place in a dictionary"
                    : "LatencyWindow.record, 1 probe/s, copied out of and back into a dictionary",
                configuration: .init(
                    metrics: [.throughput, .wallClock, .mallocCountTotal],
                    scalingFactor: .kilo,
                    maxDuration: .seconds(3),
                    maxIterations: 1_000_000
                )
            ) { benchmark in
                for _ in benchmark.scaledIterations {
                    let latency = latencies[feed.next]
                    let at = feed.at
                    source.windows.withLock { windows in
                        if inPlace {
                            windows[DictionaryOfWindows.key, default: LatencyWindow()].record(latency, at: at)
                        } else {
                            var window = windows[DictionaryOfWindows.key] ?? LatencyWindow()
                            window.record(latency, at: at)
                            windows[DictionaryOfWindows.key] = window
                        }
                    }
                    feed.next &+= 1
                    feed.at = feed.at + .seconds(1)
                }
            }
        }
    }

    // MARK: - Query

    /// `quantiles([0.95, 0.99], at:)` on a full 5-minute window: merges the 11 slots that overlap it.
    /// With latencies above 2047 ms, the merged histogram grows past its initial size during the merge.
    private static func registerQuery(name: String, latencies: Latencies) {
        let (window, now) = filledWindow(latencies)
        Benchmark(
            name,
            configuration: .init(
                metrics: [.throughput, .wallClock, .mallocCountTotal],
                scalingFactor: .one,
                maxDuration: .seconds(3),
                maxIterations: 1_000_000
            )
        ) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(window.quantiles([0.95, 0.99], at: now))
            }
        }
    }

    // MARK: - Memory

    /// Builds a full window inside the measured region and keeps it past the end of it, so that
    /// `memoryLeakedBytes` (bytes allocated and not freed in the region) is what the window holds.
    private static func registerFootprint(name: String, latencies: Latencies) {
        Benchmark(
            name,
            configuration: .init(
                metrics: [.memoryLeakedBytes, FootprintMetric.estimated],
                units: [FootprintMetric.estimated: .count],
                warmupIterations: 1,
                scalingFactor: .one,
                maxDuration: .seconds(10),
                maxIterations: 10
            )
        ) { benchmark in
            benchmark.startMeasurement()
            let (window, _) = filledWindow(latencies)
            benchmark.stopMeasurement()
            benchmark.measurement(FootprintMetric.estimated, window.estimatedFootprintBytes)
            blackHole(window)
        }
    }
}

/// A window being fed, its next latency and its next time. A class so that the feed goes on across
/// the benchmark's iterations; used by one benchmark closure at a time.
final class Feed {
    var window = LatencyWindow()
    var next = 0
    var at = Timestamp.benchmarkEpoch
}

/// The daemon's windows by `service/check`, as `CompositeMetricSource` keeps them.
final class DictionaryOfWindows: Sendable {
    static let key = "backend/health"
    let windows = Mutex<[String: LatencyWindow]>([key: LatencyWindow()])
}

enum FootprintMetric {
    /// HDR's own estimate of the bytes the slot histograms hold (`estimatedFootprintBytes`).
    static var estimated: BenchmarkMetric { .custom("estimatedFootprintBytes", useScalingFactor: false) }
}
