import Foundation
import RewindCore
import RewindSignals

/// One evaluation round of Prometheus signals: one instant query per service, read with
/// `PrometheusSignalReader` — all at once (a task group, as the daemon's one watcher per signal
/// does) or one after the other.
struct PrometheusRounds: Sendable {
    let reader: PrometheusSignalReader
    let queries: [String]

    /// The guide's P95 latency signal for service `name`, as a user would write it.
    static func p95Query(service name: String) -> String {
        #"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service=""#
            + name + #""}[5m])))"#
    }

    /// `svc-000`, `svc-001`, … (as many digits as the count needs, at least three).
    static func serviceNames(_ count: Int) -> [String] {
        let digits = max(3, String(max(0, count - 1)).count)
        return (0..<count).map { number in
            let text = String(number)
            return "svc-" + String(repeating: "0", count: max(0, digits - text.count)) + text
        }
    }

    /// What the rounds measured.
    struct Figures: Sendable {
        var concurrentRounds: [Duration] = []
        /// Each query's own time within a concurrent round (waiting for a pooled connection included).
        var concurrentQueries: [Duration] = []
        var sequentialRounds: [Duration] = []
        var sequentialQueries: [Duration] = []
        /// CPU time (user + system) of this whole process during each round: the client, and the
        /// emulator too when it is the server.
        var concurrentCPU: [Duration] = []
        var sequentialCPU: [Duration] = []
        var values = 0
        var noData = 0
        var errors = 0
        /// The first error's message (it names the host and the query, never a header).
        var firstError: String?
        var firstNoData: String?

        mutating func count(_ reading: PrometheusReading) {
            switch reading {
            case .value: values += 1
            case .noData(let reason):
                noData += 1
                if firstNoData == nil { firstNoData = reason }
            case .error(let error):
                errors += 1
                if firstError == nil { firstError = error.message }
            }
        }
    }

    /// `warmup` concurrent rounds (not recorded: they open the pool's connections), then `rounds`
    /// concurrent and `rounds` sequential rounds, interleaved so that both see the same machine.
    func measure(rounds: Int, warmup: Int) async -> Figures {
        var figures = Figures()
        var discarded = Figures()
        for _ in 0..<warmup { await concurrentRound(into: &discarded) }
        for _ in 0..<rounds {
            await concurrentRound(into: &figures)
            await sequentialRound(into: &figures)
        }
        return figures
    }

    private func concurrentRound(into figures: inout Figures) async {
        let at = Self.now
        let cpu = ProcessCPU.now
        let start = ContinuousClock.now
        let results = await withTaskGroup(of: (Duration, PrometheusReading).self) { group in
            for query in queries {
                group.addTask { [reader] in
                    let begin = ContinuousClock.now
                    let reading = await reader.read(query: query, at: at)
                    return (ContinuousClock.now - begin, reading)
                }
            }
            var results: [(Duration, PrometheusReading)] = []
            results.reserveCapacity(queries.count)
            for await result in group { results.append(result) }
            return results
        }
        figures.concurrentRounds.append(ContinuousClock.now - start)
        figures.concurrentCPU.append(ProcessCPU.now - cpu)
        for (elapsed, reading) in results {
            figures.concurrentQueries.append(elapsed)
            figures.count(reading)
        }
    }

    private func sequentialRound(into figures: inout Figures) async {
        let at = Self.now
        let cpu = ProcessCPU.now
        let start = ContinuousClock.now
        for query in queries {
            let begin = ContinuousClock.now
            let reading = await reader.read(query: query, at: at)
            figures.sequentialQueries.append(ContinuousClock.now - begin)
            figures.count(reading)
        }
        figures.sequentialRounds.append(ContinuousClock.now - start)
        figures.sequentialCPU.append(ProcessCPU.now - cpu)
    }

    /// Wall-clock now: the evaluation time the daemon passes to Prometheus.
    private static var now: Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }
}

extension PrometheusRounds.Figures {
    /// Exact statistics for the report.
    func summary(title: String, services: Int) -> String {
        let perQuery = Distribution(concurrentRounds.map(\.doubleMilliseconds)).median / Double(services)
        return [
            title,
            Distribution.row("round, \(services) concurrent", concurrentRounds),
            Distribution.row("query within a concurrent round", concurrentQueries),
            Distribution.row("round, \(services) sequential", sequentialRounds),
            Distribution.row("query, sequential", sequentialQueries, decimals: 3),
            Distribution.row("process CPU, concurrent round", concurrentCPU),
            Distribution.row("process CPU, sequential round", sequentialCPU),
            String(format: "  per query, concurrent round median / %d: %.3f ms", services, perQuery),
            "  readings: \(values) values, \(noData) no data, \(errors) errors"
                + (firstNoData.map { "; first no data: \($0)" } ?? "")
                + (firstError.map { "; first error: \($0)" } ?? ""),
        ].joined(separator: "\n")
    }
}

/// CPU time (user + system) this process has used so far, from `getrusage`.
enum ProcessCPU {
    static var now: Duration {
        var usage = rusage()
        #if os(Linux)
            getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        func duration(_ time: timeval) -> Duration { .seconds(time.tv_sec) + .microseconds(time.tv_usec) }
        return duration(usage.ru_utime) + duration(usage.ru_stime)
    }
}
