/// The Prometheus API's JSON, written by hand so that numbers look exactly as Prometheus writes them
/// (`util/jsonutil/marshal.go`): times as JSON numbers of seconds with up to three decimals, sample values as
/// strings in Go's `strconv` format with `NaN`, `+Inf`, `-Inf`.
enum PrometheusEmulatorJSON {
    static func success(resultType: String, result: String, warnings: [String]) -> String {
        var body = #"{"status":"success","data":{"resultType":"\#(resultType)","result":\#(result)}"#
        if !warnings.isEmpty { body += #","warnings":[\#(warnings.map(string).joined(separator: ","))]"# }
        return body + "}"
    }

    static func error(type: String, message: String) -> String {
        #"{"status":"error","errorType":\#(string(type)),"error":\#(string(message))}"#
    }

    /// `[<time>, "<value>"]`.
    static func point(at seconds: Double, _ value: Double) -> String {
        "[\(time(seconds)),\"\(goFloat(value))\"]"
    }

    static func vector(_ samples: [PrometheusEmulator.Sample], at evaluation: Double) -> String {
        let entries = samples.map { sample in
            #"{"metric":\#(labels(sample.labels)),"value":\#(point(at: sample.at ?? evaluation, sample.value))}"#
        }
        return "[" + entries.joined(separator: ",") + "]"
    }

    static func matrix(_ series: [(labels: [String: String], points: [PrometheusEmulator.Point])]) -> String {
        let entries = series.map { series in
            let values = series.points.map { point(at: $0.at, $0.value) }.joined(separator: ",")
            return #"{"metric":\#(labels(series.labels)),"values":[\#(values)]}"#
        }
        return "[" + entries.joined(separator: ",") + "]"
    }

    static func labels(_ labels: [String: String]) -> String {
        let fields = labels.sorted { $0.key < $1.key }.map { "\(string($0.key)):\(string($0.value))" }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// A JSON string literal.
    static func string(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }

    /// Seconds with up to three decimals, as a JSON number: `1767265200`, `1767265200.123`.
    static func time(_ seconds: Double) -> String {
        let milliseconds = Int64((seconds * 1000).rounded())
        let sign = milliseconds < 0 ? "-" : ""
        let whole = milliseconds.magnitude / 1000
        let fraction = milliseconds.magnitude % 1000
        guard fraction != 0 else { return "\(sign)\(whole)" }
        var decimals = String(fraction)
        decimals = String(repeating: "0", count: 3 - decimals.count) + decimals
        while decimals.hasSuffix("0") { decimals.removeLast() }
        return "\(sign)\(whole).\(decimals)"
    }

    /// Go's `strconv.FormatFloat(v, 'f' or 'e', -1, 64)` as Prometheus uses it: the shortest digits that
    /// round-trip, in exponent form when |v| < 1e-6 or |v| >= 1e21 (`0.25`, `1`, `1e-07`, `1e+21`).
    static func goFloat(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let sign = value < 0 ? "-" : ""
        let magnitude = value.magnitude
        // Swift's description already has the shortest round-tripping digits; only their layout differs.
        let (digits, point) = decimalDigits(of: magnitude.description)
        if magnitude < 1e-6 || magnitude >= 1e21 {
            let exponent = point - 1
            let mantissa = digits.count > 1 ? "\(digits.first!).\(digits.dropFirst())" : digits
            let exponentDigits = String(abs(exponent))
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+")
                + (exponentDigits.count < 2 ? "0" + exponentDigits : exponentDigits)
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) }
        let split = digits.index(digits.startIndex, offsetBy: point)
        return sign + digits[..<split] + "." + digits[split...]
    }

    /// `1.25e-07` → ("125", -6): the significant digits and where the decimal point goes before them
    /// (value = 0.digits × 10^point).
    private static func decimalDigits(of description: String) -> (digits: String, point: Int) {
        let parts = description.lowercased().split(separator: "e", maxSplits: 1)
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integer = String(mantissa[0])
        let fraction = mantissa.count > 1 ? String(mantissa[1]) : ""
        var digits = integer + fraction
        var point = integer.count + exponent
        while digits.count > 1, digits.hasPrefix("0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.count > 1, digits.hasSuffix("0") { digits.removeLast() }
        return (digits, point)
    }
}
