import RewindCore

/// The probe record's format (`health.record`), one probe per line, as `rewind replay --probes` reads it:
///
/// ```
/// timestamp,service,check,ok,status,latency_seconds
/// 2026-12-07T04:10:00.123Z,backend,health,false,503,0.012
/// 2026-12-07T04:10:00.224Z,backend,health,false,,5.000
/// ```
///
/// `timestamp` is when the probe ended (RFC 3339, UTC, milliseconds); `ok` is `true` or `false`; `status` is the
/// HTTP status when the probe got one, empty for a timeout, a refused connection or an answer that was not
/// HTTP; `latency_seconds` has millisecond precision. A field with a comma, a quote or a line break is quoted
/// as RFC 4180 says (service and check names never need it; the rule is there so that no name can break a
/// line).
public enum ProbeCSV {
    public static let header = "timestamp,service,check,ok,status,latency_seconds"

    /// One line, without its line break.
    public static func line(_ observation: Observation) -> String {
        let status: Int? =
            switch observation.result {
            case .success(let status): status
            case .failure(.status(let status)): status
            case .failure: nil
            }
        let latency = max(observation.latencyMs, 0)
        let seconds = "\(latency / 1000).\(String(String(latency % 1000 + 1000).dropFirst()))"
        return [
            observation.at.iso8601, field(observation.service.rawValue), field(observation.check),
            observation.result.isSuccess ? "true" : "false", status.map(String.init) ?? "", seconds,
        ].joined(separator: ",")
    }

    /// `text` as a CSV field: as it is, or quoted with its quotes doubled when it holds a comma, a quote or a
    /// line break.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + String(text.flatMap { $0 == "\"" ? ["\"", "\""] : [$0] }) + "\""
    }
}
