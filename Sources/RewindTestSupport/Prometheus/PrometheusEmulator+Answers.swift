import Foundation
import Synchronization

/// An HTTP answer of the emulator.
struct PrometheusReply: Sendable, Equatable {
    var status: Int
    var contentType: String
    var body: String

    static func json(_ body: String, status: Int = 200) -> PrometheusReply {
        PrometheusReply(status: status, contentType: "application/json", body: body)
    }

    static func text(_ body: String, status: Int) -> PrometheusReply {
        PrometheusReply(status: status, contentType: "text/plain; charset=utf-8", body: body)
    }

    static func badData(_ message: String) -> PrometheusReply {
        .json(PrometheusEmulatorJSON.error(type: "bad_data", message: message), status: 400)
    }
}

extension PrometheusEmulator {
    /// Prometheus's HTTP status for an `errorType` (`web/api/v1/api.go`, `getDefaultErrorCode`).
    static func httpStatus(forErrorType type: String) -> Int {
        switch type {
        case "bad_data": 400
        case "execution": 422
        case "canceled": 499
        case "timeout": 503
        case "not_found": 404
        case "not_acceptable": 406
        default: 500
        }
    }

    /// The answer to `request`, received at `now` (Unix seconds).
    func reply(to request: Request, now: Double) -> PrometheusReply {
        let (unavailable, ready) = state.withLock { ($0.unavailableStatus, $0.isReady) }
        if let unavailable { return .text("Service Unavailable\n", status: unavailable) }
        switch request.path {
        case "/-/ready":
            return ready
                ? .text("Prometheus Server is Ready.\n", status: 200) : .text("Service Unavailable\n", status: 503)
        case "/-/healthy":
            return .text("Prometheus Server is Healthy.\n", status: 200)
        case "/api/v1/status/buildinfo":
            return .json(#"{"status":"success","data":{"version":"2.53.0","revision":"rewind-emulator"}}"#)
        case "/api/v1/query":
            return instantReply(request.parameters, now: now)
        case "/api/v1/query_range":
            return rangeReply(request.parameters)
        default:
            return .text("404 page not found\n", status: 404)
        }
    }

    private func instantReply(_ parameters: [String: String], now: Double) -> PrometheusReply {
        let query = parameters["query"] ?? ""
        var evaluation = now
        if let time = parameters["time"] {
            guard let parsed = Self.parseTime(time) else {
                return .badData("invalid parameter \"time\": cannot parse \"\(time)\" to a valid timestamp")
            }
            evaluation = parsed
        }
        if let problem = Self.commonProblem(parameters) { return problem }
        let registered = state.withLock { $0.instant[query] }
        guard let registered else { return Self.unregistered(query, resultType: "vector") }
        return Self.encode(registered, at: evaluation, steps: nil)
    }

    private func rangeReply(_ parameters: [String: String]) -> PrometheusReply {
        let query = parameters["query"] ?? ""
        var times: [String: Double] = [:]
        for name in ["start", "end"] {
            let text = parameters[name] ?? ""
            guard let time = Self.parseTime(text) else {
                return .badData("invalid parameter \"\(name)\": cannot parse \"\(text)\" to a valid timestamp")
            }
            times[name] = time
        }
        let start = times["start"]!
        let end = times["end"]!
        guard end >= start else { return .badData("end timestamp must not be before start time") }
        let stepText = parameters["step"] ?? ""
        guard let step = Self.parseDuration(stepText) else {
            return .badData("invalid parameter \"step\": cannot parse \"\(stepText)\" to a valid duration")
        }
        guard step > 0 else {
            return .badData("zero or negative query resolution step widths are not accepted. Try a positive integer")
        }
        guard (end - start) / step <= 11_000 else {
            return .badData(
                "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution "
                    + "(?step=XX)"
            )
        }
        if let problem = Self.commonProblem(parameters) { return problem }
        let registered = state.withLock { $0.range[query] }
        guard let registered else { return Self.unregistered(query, resultType: "matrix") }
        return Self.encode(registered, at: end, steps: Array(stride(from: start, through: end, by: step)))
    }

    /// An empty query or a bad `timeout`.
    private static func commonProblem(_ parameters: [String: String]) -> PrometheusReply? {
        if (parameters["query"] ?? "").allSatisfy(\.isWhitespace) {
            return .badData("invalid parameter \"query\": 1:1: parse error: no expression found in input")
        }
        if let timeout = parameters["timeout"], parseDuration(timeout) == nil {
            return .badData("invalid parameter \"timeout\": cannot parse \"\(timeout)\" to a valid duration")
        }
        return nil
    }

    private static func unregistered(_ query: String, resultType: String) -> PrometheusReply {
        if query.contains("syntax error") {
            return .badData("invalid parameter \"query\": 1:1: parse error: syntax error")
        }
        return .json(PrometheusEmulatorJSON.success(resultType: resultType, result: "[]", warnings: []))
    }

    /// A registered answer; `steps` are the range query's evaluation times (nil for an instant query).
    private static func encode(_ registered: Registered, at evaluation: Double, steps: [Double]?) -> PrometheusReply {
        let warnings = registered.warnings
        switch registered.answer {
        case .vector(let samples):
            let result = PrometheusEmulatorJSON.vector(samples, at: evaluation)
            return .json(PrometheusEmulatorJSON.success(resultType: "vector", result: result, warnings: warnings))
        case .matrix(let series):
            let filled = series.compactMap { series -> (labels: [String: String], points: [Point])? in
                let points = series.valueAtEveryStep.map { value in
                    (steps ?? [evaluation]).map { Point(at: $0, value: value) }
                }
                // A range answer holds only the points between the request's start and end, and only the series
                // with a point there, as Prometheus' does.
                let inRange = steps.map { steps in
                    series.points.filter { (steps.first ?? 0) <= $0.at && $0.at <= (steps.last ?? 0) }
                }
                if let inRange, inRange.isEmpty, points == nil, !series.points.isEmpty { return nil }
                return (labels: series.labels, points: points ?? inRange ?? series.points)
            }
            let result = PrometheusEmulatorJSON.matrix(filled)
            return .json(PrometheusEmulatorJSON.success(resultType: "matrix", result: result, warnings: warnings))
        case .scalar(let value):
            let result = PrometheusEmulatorJSON.point(at: evaluation, value)
            return .json(PrometheusEmulatorJSON.success(resultType: "scalar", result: result, warnings: warnings))
        case .string(let text):
            let result = "[\(PrometheusEmulatorJSON.time(evaluation)),\(PrometheusEmulatorJSON.string(text))]"
            return .json(PrometheusEmulatorJSON.success(resultType: "string", result: result, warnings: warnings))
        case .error(let type, let message, let status):
            return .json(
                PrometheusEmulatorJSON.error(type: type, message: message),
                status: status ?? httpStatus(forErrorType: type)
            )
        case .raw(let status, let body, let contentType):
            return PrometheusReply(status: status, contentType: contentType, body: body)
        }
    }

    // MARK: Parameters

    /// Unix seconds (`1767265200.123`) or RFC 3339 (`2026-01-01T12:00:00Z`), as the API accepts.
    static func parseTime(_ text: String) -> Double? {
        if let seconds = Double(text), seconds.isFinite { return seconds }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)?.timeIntervalSince1970
    }

    /// Float seconds (`15`, `0.5`) or a Prometheus duration (`15s`, `1m30s`, `250ms`, `1h`, `2d`), in seconds.
    static func parseDuration(_ text: String) -> Double? {
        if let seconds = Double(text), seconds.isFinite { return seconds }
        let units: [(String, Double)] = [
            ("y", 365 * 86_400), ("w", 7 * 86_400), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1), ("ms", 0.001),
        ]
        var rest = Substring(text)
        var total = 0.0
        var nextUnit = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, let value = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix(while: { $0.isASCII && $0.isLetter })
            rest = rest.dropFirst(letters.count)
            guard let index = units.firstIndex(where: { $0.0 == letters }), index >= nextUnit else { return nil }
            total += value * units[index].1
            nextUnit = index + 1
        }
        return total
    }

    /// `application/x-www-form-urlencoded` (also a URL query) → parameters; `+` is a space.
    static func parseForm(_ text: String) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            // The first value of a repeated parameter wins, as Go's `FormValue` does.
            if parameters[name] == nil { parameters[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return parameters
    }
}
