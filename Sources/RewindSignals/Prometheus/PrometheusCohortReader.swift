import RewindCore
import RewindPorts

/// The canary judge's cohorts from Prometheus: for each track, the signal's query with `{{service}}` and
/// `{{track}}` filled in (escaped, ``PromQLTemplate``) run as a `query_range` over `[now − window, now]` at
/// the signal's step. The range's start is aligned to the step, so that the points of consecutive looks
/// fall on the same instants and the judge merges them instead of counting them twice.
///
/// | the range query returns | cohort sample |
/// |---|---|
/// | one series | its finite points (NaN and ±Inf points are dropped: no observations at that step) |
/// | no series | empty (no traffic on that track yet: the judge is inconclusive) |
/// | several series | `.error`: aggregate the query so that it returns one series per track |
/// | a failed query | `.error` with the client's message (secrets redacted) |
public struct PrometheusCohortReader: CohortSource {
    public let client: PrometheusClient
    private let redactor: Redactor

    public init(client: PrometheusClient, redactor: Redactor) {
        self.client = client
        self.redactor = redactor
    }

    public func read(_ signal: CanarySignalPolicy, service: ServiceName, at now: Timestamp) async -> CohortReading {
        let queries = Self.queries(of: signal, service: service)
        let start = Self.rangeStart(of: signal, at: now)
        func cohort(_ query: String) async -> Result<[CohortSample], PrometheusCohortFailure> {
            guard start <= now else { return .success([]) }
            do {
                return Self.samples(try await client.range(query, start: start, end: now, step: signal.step))
            } catch let error as PrometheusError {
                return .failure(PrometheusCohortFailure(message: redactor.redact(error.message)))
            } catch {
                return .failure(PrometheusCohortFailure(message: "the read was cancelled"))
            }
        }
        async let canary = cohort(queries.canary)
        async let stable = cohort(queries.stable)
        return CohortReading(
            signal: signal.name, outcome: Self.outcome(canary: await canary, stable: await stable), queries: queries)
    }

    /// Each cohort's query as it runs for `service`.
    public static func queries(of signal: CanarySignalPolicy, service: ServiceName) -> CohortQueries {
        CohortQueries(
            canary: render(signal.cohorts.canary, service: service, track: .canary),
            stable: render(signal.cohorts.stable, service: service, track: .stable))
    }

    /// The first step a look at `now` asks for: the first multiple of the signal's step (from the Unix epoch)
    /// after `now − window`. The look's range is this through `now`, every step.
    public static func rangeStart(of signal: CanarySignalPolicy, at now: Timestamp) -> Timestamp {
        let step = max(signal.step.milliseconds, 1)
        return Timestamp(millisecondsSinceEpoch: (now - signal.window).millisecondsSinceEpoch / step * step + step)
    }

    /// A look's outcome from its two cohorts: the canary's failure first.
    public static func outcome(
        canary: Result<[CohortSample], PrometheusCohortFailure>, stable: Result<[CohortSample], PrometheusCohortFailure>
    ) -> CohortReading.Outcome {
        switch (canary, stable) {
        case (.success(let canary), .success(let stable)): .samples(canary: canary, stable: stable)
        case (.failure(let failure), _): .error("canary: \(failure.message)")
        case (_, .failure(let failure)): .error("stable: \(failure.message)")
        }
    }

    static func render(_ template: String, service: ServiceName, track: CanaryTrack) -> String {
        PromQLTemplate.render(template, ["service": service.rawValue, "track": track.rawValue])
    }

    /// One cohort's values by the table above.
    public static func samples(_ result: PrometheusResult) -> Result<[CohortSample], PrometheusCohortFailure> {
        switch result {
        case .matrix(let series):
            guard series.count <= 1 else {
                return .failure(
                    PrometheusCohortFailure(
                        message: "the query returned \(series.count) series for one track; aggregate it "
                            + "(e.g. sum by () or max) so that it returns one"))
            }
            let points = series.first?.points ?? []
            return .success(points.filter(\.value.isFinite).map { CohortSample(at: $0.at, value: $0.value) })
        case .vector, .scalar, .string:
            return .failure(
                PrometheusCohortFailure(message: "a range query returned a \(result.resultType), not a matrix"))
        }
    }
}

/// Why one cohort could not be read (secrets redacted).
public struct PrometheusCohortFailure: Error, Equatable, Sendable {
    public var message: String

    public init(message: String) {
        self.message = message
    }
}
