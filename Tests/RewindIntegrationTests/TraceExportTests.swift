import Logging
import OTel
import RewindConfig
import RewindCore
import Testing

@testable import RewindApp

/// What swift-otel is configured with for `tracing:` (the daemon's export is tested end to end in
/// ``TracingDaemonTests``).
@Suite("Trace export: swift-otel's configuration")
struct TraceExportTests {
    static let logger = Logger(label: "rewind.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("only traces, to the configured endpoint, in the configured encoding, with the headers and the ratio")
    func configuration() {
        var settings = TracingSettings()
        settings.endpoint = "http://collector:4318/v1/traces"
        settings.encoding = .json
        settings.headers = ["x-api-key": ConfigText("key-0123", isSecret: true)]
        settings.sampleRatio = 0.25
        settings.serviceName = "rewind-eu"
        settings.timeout = .seconds(3)
        let configuration = TraceExport.configuration(
            settings, endpoint: settings.endpoint!, instance: "host:1:abcd", logger: Self.logger)
        #expect(configuration.logs.enabled == false)
        #expect(configuration.metrics.enabled == false)
        #expect(configuration.traces.enabled == true)
        #expect(configuration.serviceName == "rewind-eu")
        #expect(configuration.resourceAttributes["service.instance.id"] == "host:1:abcd")
        #expect(configuration.resourceAttributes["service.version"] == RewindVersion.current)
        let exporter = configuration.traces.otlpExporter
        #expect(exporter.endpoint == "http://collector:4318/v1/traces")
        #expect("\(exporter.protocol)".contains("httpJSON"))
        #expect(exporter.headers.map(\.0) == ["x-api-key"] && exporter.headers.map(\.1) == ["key-0123"])
        #expect(exporter.timeout == .seconds(3))
        #expect("\(configuration.traces.sampler)".contains("0.25"))
    }

    @Test("without an endpoint, or with OTEL_SDK_DISABLED=true, nothing starts")
    func off() throws {
        let unset = try TraceExport.start(TracingSettings(), instance: "i", redactor: Redactor(), logger: Self.logger)
        #expect(unset == nil)
        var settings = TracingSettings()
        settings.endpoint = "http://127.0.0.1:4318/v1/traces"
        let disabled = try TraceExport.start(
            settings, instance: "i", redactor: Redactor(), logger: Self.logger,
            environment: ["OTEL_SDK_DISABLED": "TRUE"])
        #expect(disabled == nil)
    }
}
