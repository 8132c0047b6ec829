import RewindCore

/// `tracing:` — OpenTelemetry spans of incidents, their steps and verifications, and API requests,
/// exported over OTLP/HTTP. Off unless `otlp_endpoint` is set; nothing else leaves the process.
public struct TracingSettings: Sendable, Equatable {
    /// How spans are encoded on the wire (OTLP/HTTP's two encodings).
    public enum Encoding: String, Sendable, CaseIterable {
        case protobuf = "http/protobuf"
        case json = "http/json"
    }

    /// The OTLP/HTTP traces endpoint (`…/v1/traces`, appended to a base URL that lacks it); nil
    /// exports nothing.
    public var endpoint: String?
    public var encoding: Encoding = .protobuf
    /// Request headers, such as a vendor's API key (`${…}`: secrets, redacted everywhere).
    public var headers: [String: ConfigText] = [:]
    /// Which share of incidents and requests is traced, 0 < ratio ≤ 1 (a parent's choice wins).
    public var sampleRatio: Double = 1
    /// `service.name` of the spans.
    public var serviceName = "rewind"
    /// How long one export may take before it is abandoned (spans are dropped, never waited for).
    public var timeout: Duration = .seconds(10)

    public init() {}

    /// The traces endpoint for a receiver's base URL, as OpenTelemetry's `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// is read: `/v1/traces` is appended unless the path already ends with it.
    public static func tracesEndpoint(_ base: String) -> String {
        var trimmed = Substring(base)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return trimmed.hasSuffix("/v1/traces") ? String(trimmed) : trimmed + "/v1/traces"
    }
}
