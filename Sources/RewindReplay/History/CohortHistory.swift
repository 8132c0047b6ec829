import RewindCore
import RewindPorts
import RewindSignals

/// The canary judge's cohorts over a replayed period: for every canary signal (`judge:`) of every service, each
/// track's query as Prometheus' `query_range` answered it over the union of the ranges the daemon's looks ask
/// for, so that replay answers each look exactly as the live ``PrometheusCohortReader`` would have.
///
/// A live look at `now` asks `query_range` for `[s, now]` every `step`, where `s` is the first multiple of the
/// step (from the Unix epoch) after `now − window` (``PrometheusCohortReader/rangeStart(of:at:)``). Replay fetches
/// once, on the same epoch-aligned grid, from the first look's `s` to the last look, and slices that answer per
/// look (``reading(of:service:at:)``). The slice equals the live answer because
///
/// - Prometheus evaluates a range query at each step independently, as an instant query at that step's time:
///   a step's value depends on its time alone, never on the range's start or end;
/// - every live look's steps are multiples of the step, so they are steps of the fetched grid too;
/// - a range answer holds only the series with a point in the range: a look sees the series that have a point
///   in its slice, so "several series for one track" is an error at exactly the looks where it was live.
///
/// The slices then go through the live reader's own rules (``PrometheusCohortReader/samples(_:)``): non-finite
/// points dropped, several series an error. What replay cannot reproduce is a look at which Prometheus was down
/// live (an inconclusive look): the history has what Prometheus holds now.
public struct CohortHistory: Sendable {
    /// One track of one canary signal of a service.
    public struct Key: Sendable, Hashable {
        public var service: ServiceName
        public var signal: String
        public var track: CanaryTrack

        public init(service: ServiceName, signal: String, track: CanaryTrack) {
            self.service = service
            self.signal = signal
            self.track = track
        }
    }

    /// Each cohort's series as fetched, every series' points in time order.
    public private(set) var series: [Key: [PrometheusSeries]]

    public init(series: [Key: [PrometheusSeries]] = [:]) {
        self.series = series.mapValues { cohort in
            cohort.map { PrometheusSeries(labels: $0.labels, points: $0.points.sortedStably(by: \.at)) }
        }
    }

    /// Whether any cohort was fetched.
    public var isEmpty: Bool { series.isEmpty }

    /// What the live ``PrometheusCohortReader`` would have answered for `signal` of `service` at `now`.
    public func reading(of signal: CanarySignalPolicy, service: ServiceName, at now: Timestamp) -> CohortReading {
        let start = PrometheusCohortReader.rangeStart(of: signal, at: now)
        func cohort(_ track: CanaryTrack) -> Result<[CohortSample], PrometheusCohortFailure> {
            guard start <= now else { return .success([]) }
            let slices = (series[Key(service: service, signal: signal.name, track: track)] ?? []).compactMap {
                one -> PrometheusSeries? in
                let points = Self.points(of: one, from: start, through: now)
                return points.isEmpty ? nil : PrometheusSeries(labels: one.labels, points: points)
            }
            return PrometheusCohortReader.samples(.matrix(slices))
        }
        return CohortReading(
            signal: signal.name,
            outcome: PrometheusCohortReader.outcome(canary: cohort(.canary), stable: cohort(.stable)),
            queries: PrometheusCohortReader.queries(of: signal, service: service))
    }

    /// The points of `series` in `[from, through]` (binary search: the points are in time order).
    static func points(of series: PrometheusSeries, from: Timestamp, through: Timestamp) -> [PrometheusPoint] {
        let points = series.points
        func firstIndex(atOrAfter time: Timestamp, after: Bool) -> Int {
            var low = 0
            var high = points.count
            while low < high {
                let middle = (low + high) / 2
                if points[middle].at < time || (after && points[middle].at == time) {
                    low = middle + 1
                } else {
                    high = middle
                }
            }
            return low
        }
        let lower = firstIndex(atOrAfter: from, after: false)
        let upper = firstIndex(atOrAfter: through, after: true)
        return lower < upper ? Array(points[lower..<upper]) : []
    }
}

extension SignalHistory {
    /// The cohorts of every canary signal of `policy` for looks in (`from`, `to`): each service looks every
    /// shortest `interval` of its canary signals, the first at `from + interval`, as the live watcher started
    /// at `from` does; each signal's tracks are fetched over the union of its looks' ranges, at its `step`,
    /// chunked like the evaluations (at most ``maxEvaluationsPerSignal`` steps per cohort).
    public func cohorts(policy: Policy, from: Timestamp, to: Timestamp) async throws -> CohortHistory {
        var fetched: [CohortHistory.Key: [PrometheusSeries]] = [:]
        for service in policy.services where !service.canarySignals.isEmpty {
            guard let looks = CanaryLooks.schedule(of: service.canarySignals, from: from, to: to) else { continue }
            for signal in service.canarySignals {
                let queries = PrometheusCohortReader.queries(of: signal, service: service.name)
                let step = max(signal.step.milliseconds, 1)
                let first = PrometheusCohortReader.rangeStart(of: signal, at: looks.first)
                let last = looks.last.millisecondsSinceEpoch / step * step
                guard last >= first.millisecondsSinceEpoch else { continue }
                let count = (last - first.millisecondsSinceEpoch) / step + 1
                let name = "\(service.name)/\(signal.name)"
                guard count <= Self.maxEvaluationsPerSignal else {
                    throw FetchError(
                        message: "\(name): \(count) cohort values every \(signal.step.rewindDescription) over the "
                            + "period is more than \(Self.maxEvaluationsPerSignal); replay a shorter period")
                }
                for track in CanaryTrack.allCases {
                    var byLabels: [[String: String]: [PrometheusPoint]] = [:]
                    var order: [[String: String]] = []
                    try await chunks(
                        queries.template(for: track), first: first, count: count, step: .milliseconds(step),
                        name: "\(name) (\(track.rawValue))"
                    ) { _, _, series in
                        for one in series {
                            if byLabels[one.labels] == nil { order.append(one.labels) }
                            byLabels[one.labels, default: []] += one.points
                        }
                    }
                    fetched[CohortHistory.Key(service: service.name, signal: signal.name, track: track)] = order.map {
                        PrometheusSeries(labels: $0, points: byLabels[$0] ?? [])
                    }
                }
            }
        }
        return CohortHistory(series: fetched)
    }
}
