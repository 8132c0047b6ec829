import RewindCore
import RewindPorts
import RewindSignals

/// Every Prometheus signal of a policy over a period, as the evaluations the daemon would have made: each
/// signal's query (with `{{service}}` filled in and escaped, as the daemon does) evaluated with `query_range`,
/// one point per evaluation interval, and — for `baseline: last_week` — the same query over the week before.
///
/// Each step's answer is judged by the daemon's own reader (``PrometheusSignalReader/reading(of:query:)``): no
/// series or NaN is no data, several series is an error, one finite value is the value. Requests are chunked
/// below Prometheus' 11,000 points per series; every answered point must be on the requested grid (its time is
/// range-checked), and a signal may have at most ``maxEvaluationsPerSignal`` evaluations.
public struct SignalHistory: Sendable {
    /// Points per `query_range` request (Prometheus refuses more than 11,000 per series).
    public static let pointsPerRequest: Int64 = 10_000
    /// The most evaluations replay fetches for one signal: a year at 30 s, or a week at 1 s.
    public static let maxEvaluationsPerSignal: Int64 = 1_100_000
    /// The most series one answer may hold (a query that forgot to aggregate).
    public static let maxSeriesPerAnswer = 1_000
    static let week = Duration.seconds(7 * 86_400)

    public let client: PrometheusClient

    public init(client: PrometheusClient) {
        self.client = client
    }

    /// What a fetch could not do: the signal and query, and Prometheus' answer.
    public struct FetchError: RewindError, Equatable {
        public var message: String
        public var code: String { "replay_fetch" }
    }

    /// The evaluations of every `prometheus:` signal of `policy` in (`from`, `to`): the first at
    /// `from + interval`, as a daemon started at `from` evaluates first.
    public func evaluations(policy: Policy, from: Timestamp, to: Timestamp) async throws -> [MetricEvaluation] {
        var evaluations: [MetricEvaluation] = []
        for service in policy.services {
            for signal in service.signals {
                guard case .prometheus(let template) = signal.source else { continue }
                let query = PromQLTemplate.render(template, ["service": service.name.rawValue])
                evaluations += try await self.evaluations(
                    of: signal, service: service.name, query: query, from: from, to: to)
            }
        }
        return evaluations
    }

    /// The early-warning baseline of every `prometheus:` signal with early warnings on, for every deployment of
    /// its service in `deployments`: read by the daemon's own reader (``PrometheusBaselineReader``), as the
    /// daemon reads it when the deployment goes live.
    public func earlyWarningBaselines(
        policy: Policy, deployments: [ReplayDeployment]
    ) async -> [ReplayHistory.BaselineKey: BaselineSample] {
        let reader = PrometheusBaselineReader(client: client, redactor: Redactor())
        var baselines: [ReplayHistory.BaselineKey: BaselineSample] = [:]
        for service in policy.services {
            for signal in service.signals where signal.earlyWarning.enabled {
                guard case .prometheus = signal.source else { continue }
                for deployment in deployments where deployment.service == service.name {
                    baselines[.init(service: service.name, signal: signal.name, deploymentID: deployment.id)] =
                        await reader.baseline(of: signal, service: service.name, liveAt: deployment.at)
                }
            }
        }
        return baselines
    }

    func evaluations(
        of signal: MetricSignalPolicy, service: ServiceName, query: String, from: Timestamp, to: Timestamp
    ) async throws -> [MetricEvaluation] {
        let step = signal.interval
        guard step.milliseconds > 0, to > from else { return [] }
        // Steps strictly inside the period: from + step, from + 2·step, … before `to`.
        let count = ((to - from).milliseconds - 1) / step.milliseconds
        guard count <= Self.maxEvaluationsPerSignal else {
            throw FetchError(
                message:
                    "\(service)/\(signal.name): \(count) evaluations every \(step.rewindDescription) over the period "
                    + "is more than \(Self.maxEvaluationsPerSignal); replay a shorter period")
        }
        guard count > 0 else { return [] }
        let first = from + step
        let readings = try await fetch(query, first: first, count: count, step: step, signal: signal, service: service)
        var lastWeek: [PrometheusReading]?
        if case .sameHourLastWeek = signal.baseline {
            lastWeek = try await fetch(
                query, first: first - Self.week, count: count, step: step, signal: signal, service: service)
        }
        var evaluations: [MetricEvaluation] = []
        evaluations.reserveCapacity(readings.count)
        for (index, reading) in readings.enumerated() {
            var baseline: Double?
            if case .value(let value, _)? = lastWeek?[index] { baseline = value }
            evaluations.append(
                MetricEvaluation(
                    service: service, signal: signal.name, at: first + step * Int64(index),
                    outcome: CompositeMetricSource.outcome(reading, redactor: Redactor()), query: query,
                    externalBaseline: baseline))
        }
        return evaluations
    }

    /// One reading per step from `first`, `count` steps, fetched in chunks.
    private func fetch(
        _ query: String, first: Timestamp, count: Int64, step: Duration, signal: MetricSignalPolicy,
        service: ServiceName
    ) async throws -> [PrometheusReading] {
        let reader = PrometheusSignalReader(client: client)
        var readings: [PrometheusReading] = []
        readings.reserveCapacity(Int(count))
        try await chunks(query, first: first, count: count, step: step, name: "\(service)/\(signal.name)") {
            start, points, series in
            // Each step's vector: the series that have a point at that step.
            var vectors = [[PrometheusSample]](repeating: [], count: Int(points))
            for one in series {
                for point in one.points {
                    let offset = point.at.millisecondsSinceEpoch - start.millisecondsSinceEpoch
                    vectors[Int(offset / step.milliseconds)].append(PrometheusSample(labels: one.labels, point: point))
                }
            }
            for vector in vectors {
                readings.append(reader.reading(of: .vector(vector), query: query))
            }
        }
        return readings
    }

    /// `query` at `count` steps from `first`, asked with `query_range` in chunks of at most ``pointsPerRequest``
    /// steps: `body` gets each chunk's first step, its number of steps and its series, every point of which is on
    /// one of the chunk's steps (checked). `name` (service/signal) heads every error.
    func chunks(
        _ query: String, first: Timestamp, count: Int64, step: Duration, name: String,
        _ body: (_ start: Timestamp, _ points: Int64, _ series: [PrometheusSeries]) throws -> Void
    ) async throws {
        var done: Int64 = 0
        while done < count {
            let points = min(Self.pointsPerRequest, count - done)
            let start = first + step * done
            let end = start + step * (points - 1)
            let result: PrometheusResult
            do {
                result = try await client.range(query, start: start, end: end, step: step)
            } catch let error as PrometheusError {
                throw FetchError(message: "\(name): \(error.message)")
            }
            guard case .matrix(let series) = result else {
                throw FetchError(message: "\(name): query_range answered a \(result.resultType), not a matrix")
            }
            guard series.count <= Self.maxSeriesPerAnswer else {
                throw FetchError(
                    message: "\(name): the query returned \(series.count) series; aggregate it "
                        + "(e.g. sum by () or max) so that it returns one")
            }
            for one in series {
                for point in one.points {
                    let offset = point.at.millisecondsSinceEpoch - start.millisecondsSinceEpoch
                    guard offset >= 0, offset % step.milliseconds == 0, offset / step.milliseconds < points else {
                        throw FetchError(
                            message: "\(name): Prometheus answered a point at \(point.at), not on the requested "
                                + "steps (\(start) to \(end) every \(step.rewindDescription))")
                    }
                }
            }
            try body(start, points, series)
            done += points
        }
    }
}
