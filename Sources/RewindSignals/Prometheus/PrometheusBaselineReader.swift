import RewindCore
import RewindPorts

/// The early-warning baseline of a `prometheus:` signal (``BaselineSource``): its query (placeholders filled
/// and escaped, ``PromQLTemplate``) as `query_range` over the hour before the deployment went live, shifted
/// back 1, 2, … `weeks` weeks; when those answer fewer than `minSamples` finite values, over the `hours`
/// hours before it went live. The step is the signal's interval (coarser when the hours would need more
/// points than Prometheus' 11,000 per series).
///
/// | a range query returns | baseline values |
/// |---|---|
/// | one series | its finite points (NaN and ±Inf are no data) |
/// | no series | none from that range |
/// | several series | an error: aggregate the query so that it returns one series |
/// | a failed query | an error with the client's message (secrets redacted) |
///
/// An error empties the sample ("no baseline"): a signal never warns on a baseline half read. A signal of
/// another source has no baseline.
public struct PrometheusBaselineReader: BaselineSource {
    public let client: PrometheusClient
    private let redactor: Redactor
    static let week = Duration.seconds(7 * 86_400)
    static let hour = Duration.seconds(3600)

    public init(client: PrometheusClient, redactor: Redactor) {
        self.client = client
        self.redactor = redactor
    }

    public func baseline(of signal: MetricSignalPolicy, service: ServiceName, liveAt: Timestamp) async -> BaselineSample
    {
        guard case .prometheus(let template) = signal.source else {
            return BaselineSample(values: [], origin: .lastHours, error: "only prometheus signals have a baseline")
        }
        let query = PromQLTemplate.render(template, ["service": service.rawValue])
        let policy = signal.earlyWarning
        do {
            var weekly: [Double] = []
            if policy.weeks > 0 {
                for week in 1...policy.weeks {
                    let end = liveAt - Self.week * Int64(week)
                    weekly += try await values(query, start: end - Self.hour, end: end, step: signal.interval)
                }
            }
            if weekly.count >= policy.minSamples { return BaselineSample(values: weekly, origin: .pastWeeks) }
            let span = Self.hour * Int64(policy.hours)
            let step = max(signal.interval, .milliseconds(span.milliseconds / 10_000 + 1))
            return BaselineSample(
                values: try await values(query, start: liveAt - span, end: liveAt, step: step), origin: .lastHours)
        } catch let error as PrometheusError {
            return BaselineSample(values: [], origin: .lastHours, error: redactor.redact(error.message))
        } catch let error as PrometheusCohortFailure {
            return BaselineSample(values: [], origin: .lastHours, error: error.message)
        } catch {
            return BaselineSample(values: [], origin: .lastHours, error: "the read was cancelled")
        }
    }

    /// The finite values of one range (the end excluded: the deployment's own first values are not its baseline).
    private func values(_ query: String, start: Timestamp, end: Timestamp, step: Duration) async throws -> [Double] {
        let result = try await client.range(query, start: start, end: end - .milliseconds(1), step: step)
        switch PrometheusCohortReader.samples(result) {
        case .success(let samples): return samples.map(\.value)
        case .failure(let failure): throw failure
        }
    }
}
