import RewindCore

/// One value at one time, as Prometheus encodes it: `[<unix seconds>, "<value>"]`.
///
/// Two points are equal when their times are equal and their values are equal or both NaN, so that a
/// result holding NaN (what `histogram_quantile` returns without observations) equals itself.
public struct PrometheusPoint: Sendable, Equatable {
    public var at: Timestamp
    /// `.nan`, `.infinity` and `-.infinity` come from `"NaN"`, `"+Inf"` and `"-Inf"`.
    public var value: Double

    public init(at: Timestamp, value: Double) {
        self.at = at
        self.value = value
    }

    public static func == (lhs: PrometheusPoint, rhs: PrometheusPoint) -> Bool {
        lhs.at == rhs.at && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN))
    }
}

/// One series of an instant vector.
public struct PrometheusSample: Sendable, Equatable {
    /// The series' labels; `__name__` only when the expression kept it.
    public var labels: [String: String]
    public var point: PrometheusPoint

    public init(labels: [String: String], point: PrometheusPoint) {
        self.labels = labels
        self.point = point
    }
}

/// One series of a range vector (a matrix).
public struct PrometheusSeries: Sendable, Equatable {
    public var labels: [String: String]
    public var points: [PrometheusPoint]

    public init(labels: [String: String], points: [PrometheusPoint]) {
        self.labels = labels
        self.points = points
    }
}

/// The `data` of a successful query, by `resultType`.
public enum PrometheusResult: Sendable, Equatable {
    case vector([PrometheusSample])
    case matrix([PrometheusSeries])
    case scalar(PrometheusPoint)
    case string(at: Timestamp, String)

    /// The `resultType` Prometheus names it with.
    public var resultType: String {
        switch self {
        case .vector: "vector"
        case .matrix: "matrix"
        case .scalar: "scalar"
        case .string: "string"
        }
    }
}

/// A successful answer with what Prometheus said beside it: `warnings` (e.g. a partial answer from a
/// remote-read source) and `infos` (e.g. a hint that a metric may not be a counter). Both are empty when
/// Prometheus sent none.
public struct PrometheusResponse: Sendable, Equatable {
    public var result: PrometheusResult
    public var warnings: [String]
    public var infos: [String]

    public init(result: PrometheusResult, warnings: [String] = [], infos: [String] = []) {
        self.result = result
        self.warnings = warnings
        self.infos = infos
    }
}
