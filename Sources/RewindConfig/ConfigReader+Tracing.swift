import Foundation
import RewindCore

/// `tracing:` (``TracingSettings``).
extension ConfigReader {
    static let tracingKeys = ["otlp_endpoint", "protocol", "headers", "sample_ratio", "service_name", "timeout"]

    mutating func tracingSettings(_ at: Located) -> TracingSettings {
        var settings = TracingSettings()
        guard let fields = mapping(at, allowed: Self.tracingKeys) else { return settings }
        if let at = fields["otlp_endpoint"], let url = text(at) {
            let example = "http://127.0.0.1:4318 (an OpenTelemetry collector's OTLP/HTTP port)"
            if isHTTPURL(url.value, shown: Self.shown(url), at: at, example: example) {
                if URLComponents(string: url.value)?.user != nil {
                    report(
                        at,
                        "otlp_endpoint must not hold credentials; send them as a header instead, e.g. "
                            + "headers: { authorization: \"Bearer ${OTLP_TOKEN}\" }")
                } else {
                    settings.endpoint = TracingSettings.tracesEndpoint(url.value)
                }
            }
        }
        if let at = fields["protocol"],
            let encoding = choice(at, TracingSettings.Encoding.allCases.map { ($0.rawValue, $0) })
        {
            settings.encoding = encoding
        }
        if let at = fields["headers"] { settings.headers = headers(at) }
        if let at = fields["sample_ratio"], let ratio = sampleRatio(at) { settings.sampleRatio = ratio }
        if let at = fields["service_name"], let name = word(at, expected: "a name such as rewind") {
            if name.isEmpty || name.count > 128 {
                report(at, "service_name must be 1 to 128 characters")
            } else {
                settings.serviceName = name
            }
        }
        if let at = fields["timeout"], let timeout = duration(at, .timeout) { settings.timeout = timeout }
        if fields["otlp_endpoint"] == nil, !fields.entries.isEmpty {
            warn(at, "tracing exports nothing without otlp_endpoint; add e.g. otlp_endpoint: http://127.0.0.1:4318")
        }
        return settings
    }

    /// A share of what is traced: `10%` or `0.1`, more than 0 and at most 1.
    private mutating func sampleRatio(_ at: Located) -> Double? {
        guard let text = word(at, expected: "a ratio such as 0.1 or 10%") else { return nil }
        let value =
            text.hasSuffix("%")
            ? Double(text.dropLast().trimmingCharacters(in: .whitespaces)).map { $0 / 100 } : Double(text)
        guard let value, value.isFinite, value > 0, value <= 1 else {
            report(at, "sample_ratio '\(text)' must be above 0 and at most 1 (or 100%); 1 traces every incident")
            return nil
        }
        return value
    }
}
