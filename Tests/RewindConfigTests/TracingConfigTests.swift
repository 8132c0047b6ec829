import RewindConfig
import RewindCore
import Testing

@Suite("tracing: where the daemon exports its spans (OTLP/HTTP), off by default")
struct TracingConfigTests {
    @Test("no tracing section: nothing is exported")
    func offByDefault() throws {
        let tracing = try #require(parse(minimalServices).configuration).tracing
        #expect(tracing.endpoint == nil)
        #expect(tracing == TracingSettings())
    }

    @Test("a collector's base URL gets /v1/traces; headers from ${…} are secrets the redactor knows")
    func endpointAndHeaders() throws {
        let yaml = """
            tracing:
              otlp_endpoint: http://otel-collector.monitoring:4318/
              protocol: http/json
              headers: { x-honeycomb-team: "${HONEYCOMB_API_KEY}" }
              sample_ratio: 10%
              service_name: rewind-prod
              timeout: 5s

            """ + minimalServices
        let configuration = try #require(
            parse(yaml, environment: ["HONEYCOMB_API_KEY": "hc-key-0123456789"]).configuration)
        let tracing = configuration.tracing
        #expect(tracing.endpoint == "http://otel-collector.monitoring:4318/v1/traces")
        #expect(tracing.encoding == .json)
        #expect(tracing.headers["x-honeycomb-team"]?.value == "hc-key-0123456789")
        #expect(tracing.headers["x-honeycomb-team"]?.isSecret == true)
        #expect(tracing.sampleRatio == 0.1)
        #expect(tracing.serviceName == "rewind-prod")
        #expect(tracing.timeout == .seconds(5))
        #expect(!configuration.redactor.redact("key hc-key-0123456789").contains("hc-key-0123456789"))
    }

    @Test("an endpoint that already names the traces path is used as written")
    func tracesPath() {
        #expect(
            TracingSettings.tracesEndpoint("https://otlp.example.com/v1/traces") == "https://otlp.example.com/v1/traces"
        )
        #expect(
            TracingSettings.tracesEndpoint("https://otlp.example.com/otlp") == "https://otlp.example.com/otlp/v1/traces"
        )
    }

    @Test(
        "a wrong value names its line and the fix",
        arguments: [
            ("otlp_endpoint: otel-collector:4318", "2 tracing.otlp_endpoint", "http"),
            ("otlp_endpoint: \"http://user:pass@collector:4318\"", "2 tracing.otlp_endpoint", "header"),
            ("protocol: grpc", "2 tracing.protocol", "http/protobuf"),
            ("sample_ratio: 0", "2 tracing.sample_ratio", "above 0"),
            ("sample_ratio: 1.5", "2 tracing.sample_ratio", "at most 1"),
            ("sample_ratio: nan", "2 tracing.sample_ratio", "above 0"),
            ("timeout: 2h", "2 tracing.timeout", "1h"),
            ("endpoint: http://collector:4318", "2 tracing.endpoint", "otlp_endpoint"),
        ])
    func wrongValue(line: String, at: String, fix: String) {
        let found = problems("tracing:\n  \(line)\n" + minimalServices).map {
            "\($0.line) \($0.path): \($0.message)"
        }
        #expect(found.contains { $0.hasPrefix(at) && $0.contains(fix) }, "\(found)")
    }

    @Test("settings without otlp_endpoint export nothing, and validate says so")
    func endpointMissing() throws {
        let result = parse("tracing:\n  sample_ratio: 0.5\n" + minimalServices)
        let configuration = try #require(result.configuration)
        #expect(configuration.tracing.endpoint == nil)
        #expect(configuration.warnings.contains { $0.path == "tracing" && $0.message.contains("otlp_endpoint") })
    }
}
