import Foundation
import RewindSandbox

extension SinkKind {
    /// An OpenTelemetry collector's OTLP/HTTP traces receiver (``OTLPTraceSink``).
    public static let otlpTraces = SinkKind(rawValue: "otlp_traces")
}

/// An OpenTelemetry collector's OTLP/HTTP receiver for traces, as the OTLP specification (1.x,
/// "OTLP/HTTP") documents it: `POST /v1/traces` with an `ExportTraceServiceRequest`, either
/// `application/x-protobuf` or `application/json` (the JSON mapping of protobuf: `resourceSpans` →
/// `scopeSpans` → `spans`); the answer is `200` with an `ExportTraceServiceResponse` in the same
/// encoding (empty: every span accepted). Another content type is `415`; a JSON body without
/// `resourceSpans` is `400`. Served by a ``NotificationSinksServer`` given ``routes``; the spans of
/// JSON requests are read back with ``spans(in:)``.
public enum OTLPTraceSink {
    public static var routes: [SinkRoute] { [SinkRoute("v1/traces", .otlpTraces, answer)] }

    static func answer(_ request: SinkRequest) -> SinkAnswer {
        let contentType = request.header("content-type")?.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        switch contentType {
        case "application/x-protobuf":
            return .empty(status: 200, contentType: "application/x-protobuf")
        case "application/json":
            guard request.json?["resourceSpans"]?.array != nil else {
                return .text("Bad Request: an ExportTraceServiceRequest has resourceSpans", status: 400)
            }
            return .json([String: Any](), status: 200)
        default:
            return .text("Unsupported Media Type: send application/x-protobuf or application/json", status: 415)
        }
    }

    /// One span of an OTLP/JSON export, with its resource's attributes.
    public struct Span: Sendable, Equatable {
        public var name: String
        public var traceID: String
        public var spanID: String
        /// Empty for a root span.
        public var parentSpanID: String
        /// `SPAN_KIND_…` as a number (1 internal, 2 server).
        public var kind: Int
        /// Attribute values as text (`intValue` is a string in OTLP/JSON; arrays joined with `,`).
        public var attributes: [String: String]
        /// `STATUS_CODE_…` as a number (0 unset, 1 ok, 2 error).
        public var statusCode: Int
        public var resource: [String: String]
    }

    /// The spans of every OTLP/JSON export in `messages`, in the order they arrived.
    public static func spans(in messages: [ReceivedMessage]) -> [Span] {
        messages.compactMap(\.json).flatMap { request in
            (request["resourceSpans"]?.array ?? []).flatMap { resourceSpans in
                let resource = attributes(resourceSpans["resource"]?["attributes"])
                return (resourceSpans["scopeSpans"]?.array ?? []).flatMap { scope in
                    (scope["spans"]?.array ?? []).map { span in
                        Span(
                            name: span["name"]?.string ?? "", traceID: span["traceId"]?.string ?? "",
                            spanID: span["spanId"]?.string ?? "", parentSpanID: span["parentSpanId"]?.string ?? "",
                            kind: number(span["kind"]), attributes: attributes(span["attributes"]),
                            statusCode: number(span["status"]?["code"]), resource: resource)
                    }
                }
            }
        }
    }

    /// OTLP/JSON enums may be written as numbers or as their names.
    private static func number(_ value: SinkJSON?) -> Int {
        if let number = value?.number { return Int(number) }
        switch value?.string {
        case "SPAN_KIND_INTERNAL": return 1
        case "SPAN_KIND_SERVER": return 2
        case "SPAN_KIND_CLIENT": return 3
        case "STATUS_CODE_OK": return 1
        case "STATUS_CODE_ERROR": return 2
        default: return 0
        }
    }

    private static func attributes(_ list: SinkJSON?) -> [String: String] {
        var attributes: [String: String] = [:]
        for attribute in list?.array ?? [] {
            guard let key = attribute["key"]?.string, let value = attribute["value"] else { continue }
            attributes[key] = text(value)
        }
        return attributes
    }

    private static func text(_ value: SinkJSON) -> String {
        if let string = value["stringValue"]?.string { return string }
        if let int = value["intValue"] { return int.string ?? int.number.map { String(Int($0)) } ?? "" }
        if let bool = value["boolValue"]?.bool { return String(bool) }
        if let double = value["doubleValue"]?.number { return String(double) }
        if let values = value["arrayValue"]?["values"]?.array { return values.map(text).joined(separator: ",") }
        return ""
    }
}
