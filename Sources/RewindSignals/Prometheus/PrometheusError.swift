import RewindCore

/// Why a Prometheus query gave no result.
///
/// | kind | from | transient |
/// |---|---|---|
/// | `timeout` | the client's deadline passed, or `errorType: timeout` (HTTP 503) | yes |
/// | `unavailable` | connection refused/reset, HTTP 429 or 5xx, `errorType` `unavailable`/`internal`/`canceled` | yes |
/// | `badQuery` | HTTP 400 `bad_data` (a syntax error, a bad parameter), or a result of the wrong shape | no |
/// | `execution` | HTTP 422 `execution` (the query parsed but failed to run, e.g. too many samples) | no |
/// | `badResponse` | not a Prometheus API answer: malformed JSON, an unexpected status (401/404 from a proxy) | no |
///
/// The message names the host (without user info or query string) and the query, truncated; never a
/// configured header.
public struct PrometheusError: RewindError, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case timeout
        case unavailable
        case badQuery = "bad_query"
        case execution
        case badResponse = "bad_response"
    }

    public var kind: Kind
    /// The envelope's `errorType` (`bad_data`, `execution`, `timeout`, …) when Prometheus sent one.
    public var errorType: String?
    public var message: String
    /// The HTTP status, when there was an answer.
    public var httpStatus: Int?

    public init(_ kind: Kind, _ message: String, errorType: String? = nil, httpStatus: Int? = nil) {
        self.kind = kind
        self.message = message
        self.errorType = errorType
        self.httpStatus = httpStatus
    }

    /// `prometheus_timeout`, `prometheus_unavailable`, `prometheus_bad_query`, … (a bounded metric label).
    public var code: String { "prometheus_\(kind.rawValue)" }

    public var isTransient: Bool {
        switch kind {
        case .timeout, .unavailable: true
        case .badQuery, .execution, .badResponse: false
        }
    }
}

extension PrometheusError.Kind {
    /// The kind for an envelope's `errorType`, nil when the type says nothing more than the HTTP status.
    init?(errorType: String) {
        switch errorType {
        case "bad_data": self = .badQuery
        case "execution": self = .execution
        case "timeout": self = .timeout
        case "canceled", "internal", "unavailable": self = .unavailable
        case "not_found", "not_acceptable": self = .badResponse
        default: return nil
        }
    }

    /// The kind for an HTTP status without a usable `errorType`.
    init(httpStatus: Int) {
        switch httpStatus {
        case 400: self = .badQuery
        case 422: self = .execution
        case 429, 500...599: self = .unavailable
        default: self = .badResponse
        }
    }
}
