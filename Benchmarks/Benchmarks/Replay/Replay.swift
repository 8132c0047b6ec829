import Benchmark
import RewindReplay

/// `rewind replay` is pure computation once the history is fetched: these benchmarks replay one week of synthetic
/// history (``ReplayWorkload``: 5 services, 1 s probes, 20 signals at their default intervals) in memory, once,
/// and as a 27-combination sweep over the same data. See ../../../BENCHMARKS.md ("Replaying a week").
let benchmarks: @Sendable () -> Void = {
    let workload = ReplayWorkload()
    Benchmark(
        "Replay one week: 5 services, 1 s probes, 20 signals",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .peakMemoryResident], scalingFactor: .one, maxDuration: .seconds(60),
            maxIterations: 5)
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(
                Replay.run(
                    policy: workload.policy, history: workload.history, from: ReplayWorkload.from, to: ReplayWorkload.to
                ))
        }
    }
    let candidates = workload.sweep()
    Benchmark(
        "Sweep of 27 combinations over the same week",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal], scalingFactor: .one, maxDuration: .seconds(600), maxIterations: 1)
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(
                Sweep.run(
                    candidates, history: workload.history, labels: workload.labels, from: ReplayWorkload.from,
                    to: ReplayWorkload.to))
        }
    }
}
