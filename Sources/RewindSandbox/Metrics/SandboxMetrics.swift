import Prometheus

/// The metrics a simulated service exposes to a real Prometheus, in the names and labels a real
/// HTTP service would use:
///
/// | metric | type | labels |
/// |---|---|---|
/// | `http_request_duration_seconds` | histogram, buckets ``latencyBuckets`` | `service` |
/// | `http_requests_total` | counter | `service`, `code` |
/// | `process_cpu_ratio` | gauge, 0…1 | `service` |
/// | `memory_usage_ratio` | gauge, 0…1 | `service` |
///
/// Nothing here measures anything: tests and the demo say what happened
/// (``recordRequest(service:latencySeconds:status:)``, or ``SandboxTraffic`` for a steady stream) and Prometheus
/// scrapes the result from ``SandboxMetricsServer``.
/// A series appears once it is first recorded or set. Thread-safe.
public final class SandboxMetrics: Sendable {
    /// Upper bounds of the latency histogram, in seconds (`+Inf` is implied). They bracket the guide's P95
    /// thresholds (1 s, 1.5 s, 2 s) and P99 thresholds (3 s, 4 s, 5 s) closely enough for `histogram_quantile`.
    public static let latencyBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 3, 5, 10]

    private let registry = PrometheusCollectorRegistry()

    private static var duration: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "http_request_duration",
            unitName: "seconds",
            helpText: "Latency of the requests a sandbox service answered."
        )
    }
    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "http_requests",
            unitName: "total",
            helpText: "Requests a sandbox service answered, by HTTP status code."
        )
    }
    private static var cpu: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "process_cpu",
            unitName: "ratio",
            helpText: "CPU usage of a sandbox service, 0 to 1."
        )
    }
    private static var memory: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "memory_usage",
            unitName: "ratio",
            helpText: "Memory usage of a sandbox service, 0 to 1."
        )
    }

    public init() {}

    /// Records one answered request: its latency in the histogram and its status in the counter.
    public func recordRequest(service: String, latencySeconds: Double, status: Int) {
        let labels = [("service", service)]
        registry.makeValueHistogram(descriptor: Self.duration, labels: labels, buckets: Self.latencyBuckets)
            .record(max(0, latencySeconds))
        registry.makeCounter(descriptor: Self.requests, labels: labels + [("code", String(status))])
            .increment()
    }

    /// Sets `process_cpu_ratio{service}` (0…1; 0.95 is "95 % CPU").
    public func setCPURatio(_ ratio: Double, service: String) {
        registry.makeGauge(descriptor: Self.cpu, labels: [("service", service)]).set(ratio)
    }

    /// Sets `memory_usage_ratio{service}` (0…1).
    public func setMemoryRatio(_ ratio: Double, service: String) {
        registry.makeGauge(descriptor: Self.memory, labels: [("service", service)]).set(ratio)
    }

    /// Every series in the Prometheus text exposition format (version 0.0.4).
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
