import RewindCore

/// What one read of a metric signal gave.
public enum PrometheusReading: Sendable, Equatable {
    /// The value (±Inf included) and how many series the query returned (always 1 for a value).
    case value(Double, series: Int)
    /// Nothing to judge, and why: no series (e.g. no traffic), or NaN (e.g. a quantile over no observations).
    /// Its own outcome, with its own policy: never "healthy".
    case noData(String)
    case error(PrometheusError)
}

/// Reads one number for a signal with an instant query:
///
/// | the query returns | reading |
/// |---|---|
/// | one series, or a scalar | `.value` (±Inf is a value) |
/// | one series or a scalar that is NaN | `.noData` |
/// | no series | `.noData` |
/// | several series | `.error(badQuery)`: "the query returned N series; aggregate it (e.g. sum by () or max) …" |
/// | a range vector or a string | `.error(badQuery)` |
/// | a failed query | `.error` with the client's ``PrometheusError`` |
public struct PrometheusSignalReader: Sendable {
    public let client: PrometheusClient

    public init(client: PrometheusClient) {
        self.client = client
    }

    /// Never throws; a cancelled read is an `unavailable` error.
    public func read(query: String, at: Timestamp?) async -> PrometheusReading {
        let result: PrometheusResult
        do {
            result = try await client.instant(query, at: at)
        } catch let error as PrometheusError {
            return .error(error)
        } catch {
            return .error(messages.failure(.unavailable, query: query, detail: "the read was cancelled"))
        }
        return reading(of: result, query: query)
    }

    /// The reading for a result, by the table above.
    public func reading(of result: PrometheusResult, query: String) -> PrometheusReading {
        switch result {
        case .vector(let samples):
            guard let sample = samples.first else { return .noData("the query returned no series") }
            guard samples.count == 1 else {
                return .error(
                    messages.failure(
                        .badQuery,
                        query: query,
                        detail: "the query returned \(samples.count) series; aggregate it (e.g. sum by () or max) "
                            + "so that it returns one"
                    )
                )
            }
            return value(sample.point.value)
        case .scalar(let point):
            return value(point.value)
        case .matrix:
            return .error(
                messages.failure(
                    .badQuery,
                    query: query,
                    detail: "the query returned a range vector; wrap it in a function such as rate() or "
                        + "avg_over_time() so that it returns one value"
                )
            )
        case .string:
            return .error(
                messages.failure(.badQuery, query: query, detail: "the query returned a string, not a number")
            )
        }
    }

    private func value(_ value: Double) -> PrometheusReading {
        if value.isNaN {
            return .noData("the query returned NaN (no observations in its window?)")
        }
        if !value.isFinite {
            // +Inf: a histogram_quantile whose answer is above the highest bucket, or a division by zero.
            return .noData("the query returned \(value > 0 ? "+Inf" : "-Inf"), not a number Rewind can judge")
        }
        return .value(value, series: 1)
    }

    private var messages: PrometheusMessages {
        PrometheusMessages(host: client.host, redactor: client.redactor)
    }
}
