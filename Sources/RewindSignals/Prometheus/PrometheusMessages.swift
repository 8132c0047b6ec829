import NIOCore
import RewindCore
import RewindPorts

/// Builds ``PrometheusError``s: each names the host and the query, says what happened and what to check.
/// Text Prometheus sent is cut to one short line and has every configured header value redacted.
struct PrometheusMessages: Sendable {
    static let maxQueryExcerpt = 120
    static let maxDetail = 300

    /// The base URL without user info or query string.
    let host: String
    let redactor: Redactor

    func failure(
        _ kind: PrometheusError.Kind,
        query: String,
        detail: String? = nil,
        errorType: String? = nil,
        status: Int? = nil
    ) -> PrometheusError {
        let what = Self.cause(status: status, errorType: errorType, detail: detail.map(clean))
        let sentence: String
        switch kind {
        case .timeout:
            sentence =
                "timed out running the query \(excerpt(query)) (\(what)); make the query cheaper or raise the timeout"
        case .unavailable:
            sentence = "is unavailable (\(what)) for the query \(excerpt(query)); check that it runs and is reachable"
        case .badQuery:
            sentence = "rejected the query \(excerpt(query)) (\(what)); fix the query in the policy"
        case .execution:
            sentence = "could not run the query \(excerpt(query)) (\(what)); simplify it or narrow its selectors"
        case .badResponse:
            sentence = "answered the query \(excerpt(query)) with \(what)\(Self.hint(status: status))"
        }
        return PrometheusError(kind, "Prometheus at \(host) \(sentence)", errorType: errorType, httpStatus: status)
    }

    /// A thrown transport error: a deadline, a refused connection, a body too large, a peer that is not HTTP.
    func failure(for error: any Error, query: String, timeout: Duration) -> PrometheusError {
        if error is DeadlineExceeded {
            return PrometheusError(
                .timeout,
                "Prometheus at \(host) did not answer the query \(excerpt(query)) within "
                    + "\(timeout.rewindDescription); check its load or raise the timeout"
            )
        }
        if error is NIOTooManyBytesError {
            return failure(
                .badResponse,
                query: query,
                detail: "a body larger than \(PrometheusClient.maxResponseBytes >> 20) MiB"
            )
        }
        switch ProbeFailureClassifier.failure(for: error) {
        case .timeout:
            return failure(for: DeadlineExceeded(timeout: timeout), query: query, timeout: timeout)
        case .connection(let reason):
            return failure(.unavailable, query: query, detail: reason)
        case .invalidResponse(let reason):
            return failure(.badResponse, query: query, detail: reason)
        case .status(let status):
            return failure(PrometheusError.Kind(httpStatus: status), query: query, status: status)
        }
    }

    /// The query on one line, cut to ``maxQueryExcerpt`` characters, in backticks.
    func excerpt(_ query: String) -> String {
        let line = query.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let cut = line.count > Self.maxQueryExcerpt ? line.prefix(Self.maxQueryExcerpt) + "…" : line
        return "`\(redactor.redact(cut))`"
    }

    private func clean(_ detail: String) -> String {
        let line = detail.split(whereSeparator: \.isNewline).joined(separator: " ")
        let cut = line.count > Self.maxDetail ? line.prefix(Self.maxDetail) + "…" : line
        return redactor.redact(cut)
    }

    /// `HTTP 400, bad_data: parse error …`, or the parts that are known.
    private static func cause(status: Int?, errorType: String?, detail: String?) -> String {
        var head = [status.map { "HTTP \($0)" }, errorType].compactMap { $0 }.joined(separator: ", ")
        if let detail, !detail.isEmpty { head = head.isEmpty ? detail : "\(head): \(detail)" }
        return head.isEmpty ? "no detail" : head
    }

    private static func hint(status: Int?) -> String {
        switch status {
        case 401, 403: "; check the headers (credentials) configured for it"
        case 404: "; check its base URL"
        default: ""
        }
    }
}
