import Foundation
import RewindCore

/// The HTTP API's response envelope (`docs/querying/api.md`):
///
/// ```json
/// { "status": "success", "data": { "resultType": "vector", "result": [ … ] }, "warnings": [ … ] }
/// { "status": "error", "errorType": "bad_data", "error": "…" }
/// ```
///
/// Decoding is lenient about what it does not need (unknown keys, `data` on an error) and strict about the
/// result it returns: a sample without a float value (a native histogram) is a problem, not a silent gap.
struct PrometheusEnvelope: Decodable {
    var status: String
    var result: PrometheusResult?
    var errorType: String?
    var error: String?
    var warnings: [String]
    var infos: [String]

    private enum CodingKeys: String, CodingKey {
        case status, data, errorType, error, warnings, infos
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = try container.decode(String.self, forKey: .status)
        errorType = try? container.decodeIfPresent(String.self, forKey: .errorType)
        error = try? container.decodeIfPresent(String.self, forKey: .error)
        warnings = (try? container.decodeIfPresent([String].self, forKey: .warnings)) ?? []
        infos = (try? container.decodeIfPresent([String].self, forKey: .infos)) ?? []
        // `data` may accompany an error in any shape; only a success's data must be a result.
        if status == "success" {
            result = try container.decode(ResultData.self, forKey: .data).result
        } else {
            result = nil
        }
    }

    /// Decodes `body`, or says in a short fixed phrase what is wrong with it (never echoing the body).
    static func decode(_ body: Data) -> Result<PrometheusEnvelope, EnvelopeProblem> {
        do {
            return .success(try JSONDecoder().decode(PrometheusEnvelope.self, from: body))
        } catch let problem as EnvelopeProblem {
            return .failure(problem)
        } catch let DecodingError.keyNotFound(key, context) {
            return .failure(EnvelopeProblem("JSON without `\(path(context.codingPath + [key]))`"))
        } catch let DecodingError.typeMismatch(_, context) {
            return .failure(EnvelopeProblem("JSON with an unexpected `\(path(context.codingPath))`"))
        } catch let DecodingError.valueNotFound(_, context) {
            return .failure(EnvelopeProblem("JSON with a null `\(path(context.codingPath))`"))
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            return .failure(EnvelopeProblem("a body that is not JSON"))
        } catch let DecodingError.dataCorrupted(context) {
            return .failure(EnvelopeProblem("JSON with an unreadable `\(path(context.codingPath))`"))
        } catch {
            return .failure(EnvelopeProblem("JSON that is not a Prometheus API response"))
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        guard !keys.isEmpty else { return "(root)" }
        let path = keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
        return String(path.drop(while: { $0 == "." }))
    }
}

/// What made a body unusable, in a few fixed words.
struct EnvelopeProblem: Error, Equatable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// `data`: `{"resultType": "...", "result": ...}`.
private struct ResultData: Decodable {
    var result: PrometheusResult

    private enum CodingKeys: String, CodingKey {
        case resultType, result
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .resultType)
        switch type {
        case "vector":
            result = .vector(try container.decode([VectorEntry].self, forKey: .result).map(\.sample))
        case "matrix":
            result = .matrix(try container.decode([MatrixEntry].self, forKey: .result).map(\.series))
        case "scalar":
            result = .scalar(try container.decode(WirePoint.self, forKey: .result).point)
        case "string":
            let pair = try container.decode(WireString.self, forKey: .result)
            result = .string(at: pair.at, pair.text)
        default:
            throw EnvelopeProblem("an unknown resultType")
        }
    }
}

/// `{"metric": {…}, "value": [t, "v"]}` (a native histogram has `histogram` instead of `value`).
private struct VectorEntry: Decodable {
    var sample: PrometheusSample

    private enum CodingKeys: String, CodingKey {
        case metric, value, histogram
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let labels = try container.decodeIfPresent([String: String].self, forKey: .metric) ?? [:]
        guard let value = try container.decodeIfPresent(WirePoint.self, forKey: .value) else {
            if container.contains(.histogram) { throw EnvelopeProblem("native histogram samples, which have no value") }
            throw DecodingError.keyNotFound(
                CodingKeys.value,
                .init(codingPath: container.codingPath, debugDescription: "no value")
            )
        }
        sample = PrometheusSample(labels: labels, point: value.point)
    }
}

/// `{"metric": {…}, "values": [[t, "v"], …]}` (native histograms add `histograms`).
private struct MatrixEntry: Decodable {
    var series: PrometheusSeries

    private enum CodingKeys: String, CodingKey {
        case metric, values, histograms
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let labels = try container.decodeIfPresent([String: String].self, forKey: .metric) ?? [:]
        let values = try container.decodeIfPresent([WirePoint].self, forKey: .values)
        if values == nil, container.contains(.histograms) {
            throw EnvelopeProblem("native histogram samples, which have no value")
        }
        series = PrometheusSeries(labels: labels, points: (values ?? []).map(\.point))
    }
}

/// `[<unix seconds>, "<value>"]`.
private struct WirePoint: Decodable {
    var point: PrometheusPoint

    init(from decoder: any Decoder) throws {
        var pair = try decoder.unkeyedContainer()
        let seconds = try pair.decode(Double.self)
        let at = try PrometheusWire.timestamp(seconds, in: pair)
        let text = try pair.decode(String.self)
        guard let value = PrometheusWire.value(text) else {
            throw DecodingError.dataCorruptedError(in: pair, debugDescription: "not a sample value")
        }
        point = PrometheusPoint(at: at, value: value)
    }
}

/// `[<unix seconds>, "<text>"]` of a string result.
private struct WireString: Decodable {
    var at: Timestamp
    var text: String

    init(from decoder: any Decoder) throws {
        var pair = try decoder.unkeyedContainer()
        let seconds = try pair.decode(Double.self)
        at = try PrometheusWire.timestamp(seconds, in: pair)
        text = try pair.decode(String.self)
    }
}

/// The wire forms of times and values (`util/jsonutil/marshal.go`), both ways.
enum PrometheusWire {
    /// A sample value: Go `strconv` text such as `0.25`, `1e-07`, `NaN`, `+Inf`, `-Inf`.
    /// (Swift's `Double("+Inf")` is nil, so the special values are mapped by hand.)
    static func value(_ text: String) -> Double? {
        switch text.lowercased() {
        case "nan": .nan
        case "+inf", "inf", "+infinity", "infinity": .infinity
        case "-inf", "-infinity": -.infinity
        default: Double(text)
        }
    }

    /// Seconds since the epoch (a JSON number with up to 3 decimals) → a millisecond timestamp.
    static func timestamp(_ seconds: Double, in container: any UnkeyedDecodingContainer) throws -> Timestamp {
        let milliseconds = (seconds * 1000).rounded()
        guard milliseconds.isFinite, abs(milliseconds) < 9.2e18 else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a timestamp")
        }
        return Timestamp(millisecondsSinceEpoch: Int64(milliseconds))
    }

    /// A timestamp as the API's `time`/`start`/`end` parameters take it: Unix seconds with up to three
    /// decimals (`1767265200`, `1767265200.25`).
    static func seconds(_ timestamp: Timestamp) -> String {
        seconds(milliseconds: timestamp.millisecondsSinceEpoch)
    }

    /// A duration as `timeout`/`step` take it: float seconds (`10`, `0.5`, `15`).
    static func seconds(_ duration: Duration) -> String {
        seconds(milliseconds: duration.milliseconds)
    }

    private static func seconds(milliseconds: Int64) -> String {
        let sign = milliseconds < 0 ? "-" : ""
        let magnitude = milliseconds.magnitude
        let whole = magnitude / 1000
        let fraction = magnitude % 1000
        guard fraction != 0 else { return "\(sign)\(whole)" }
        var decimals = String(fraction)
        decimals = String(repeating: "0", count: 3 - decimals.count) + decimals
        while decimals.hasSuffix("0") { decimals.removeLast() }
        return "\(sign)\(whole).\(decimals)"
    }
}
