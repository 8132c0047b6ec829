import Foundation
import Logging
import OTel
import RewindConfig
import RewindCore
import ServiceLifecycle
import Tracing

/// `tracing.otlp_endpoint`: the daemon's spans (incidents, steps, verifications, API requests)
/// exported over OTLP/HTTP by swift-otel, in batches, off the engine's path.
///
/// Only the tracing backend is made: Rewind's logs and metrics stay its own (standard error and
/// `/metrics`). The process-wide tracer is bootstrapped once, by `rewind serve` only; it is
/// never bootstrapped while an HTTP client that calls vendors exists, and those clients carry no
/// tracer anyway (``HTTPHealthProber/makeHTTPClient()``): async-http-client would record each
/// request's full URL, and a Slack or Teams webhook URL is a secret.
///
/// A collector that is down or slow costs spans, never an incident: the batch processor drops
/// what its bounded queue cannot hold, and an export gives up after `tracing.timeout`.
/// OpenTelemetry's `OTEL_*` environment variables override the file, as operators expect.
enum TraceExport {
    /// What swift-otel is configured with; no I/O.
    static func configuration(
        _ settings: TracingSettings, endpoint: String, instance: String, logger: Logger
    )
        -> OTel.Configuration
    {
        var configuration = OTel.Configuration.default
        configuration.serviceName = settings.serviceName
        configuration.resourceAttributes = ["service.version": RewindVersion.current, "service.instance.id": instance]
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.sampler = .parentBasedTraceIDRatio(ratio: settings.sampleRatio) ?? .parentBasedAlwaysOn
        var exporter = configuration.traces.otlpExporter
        exporter.endpoint = endpoint
        exporter.protocol = settings.encoding == .json ? .httpJSON : .httpProtobuf
        exporter.headers = settings.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value.value) }
        exporter.timeout = settings.timeout
        configuration.traces.otlpExporter = exporter
        return configuration
    }

    /// Starts exporting when the configuration says where to, and makes the exporter the process's
    /// tracer; the returned service flushes the spans left when it is shut down (run it first in
    /// the daemon's ServiceGroup, so it stops last). Nil when tracing is off.
    static func start(
        _ settings: TracingSettings, instance: String, redactor: Redactor, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (any Service)? {
        guard let endpoint = settings.endpoint else { return nil }
        // OpenTelemetry's switch for every SDK; swift-otel would refuse to build a disabled backend.
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" {
            logger.notice("traces are not exported: OTEL_SDK_DISABLED is true")
            return nil
        }
        let backend = try OTel.makeTracingBackend(
            configuration: configuration(settings, endpoint: endpoint, instance: instance, logger: logger))
        InstrumentationSystem.bootstrap(backend.factory)
        logger.notice(
            "exporting traces",
            metadata: [
                "rewind.otlp_endpoint": "\(redactor.redact(endpoint))",
                "rewind.otlp_protocol": "\(settings.encoding.rawValue)",
            ])
        return backend.service
    }
}
