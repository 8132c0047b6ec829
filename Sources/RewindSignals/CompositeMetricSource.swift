import AsyncHTTPClient
import RewindCore
import RewindPorts
import Synchronization

/// The metric source the daemon runs with: Prometheus queries (with the service's labels filled in
/// and escaped), Rewind's own probe latencies in sliding HDR-histogram windows, values pushed by
/// applications in sliding value windows, and command probes.
public final class CompositeMetricSource: MetricSource {
    private let prometheus: PrometheusSignalReader?
    private let redactor: Redactor
    /// Windows keyed by `service/check` (probe latencies) and `service/signal` (pushed values).
    private let latencies = Mutex<[String: LatencyWindow]>([:])
    private let values = Mutex<[String: ValueWindow]>([:])
    /// The longest window any signal asks of each key, so a window keeps what its slowest reader needs.
    private let latencyWindows: [String: (window: Duration, minSamples: Int)]
    private let valueWindows: [String: Duration]

    public init(policy: Policy, client: HTTPClient, redactor: Redactor) {
        self.redactor = redactor
        prometheus = policy.monitoring.prometheus.map { source in
            PrometheusSignalReader(
                client: PrometheusClient(
                    baseURL: source.url.value, client: client, headers: source.headers, timeout: source.timeout))
        }
        var latencyWindows: [String: (Duration, Int)] = [:]
        var valueWindows: [String: Duration] = [:]
        for service in policy.services {
            for signal in service.signals {
                switch signal.source {
                case .probeLatency(let check, _):
                    for name in check.map({ [$0] }) ?? service.checks.map(\.name) {
                        let key = "\(service.name)/\(name)"
                        let current = latencyWindows[key] ?? (.zero, 1)
                        latencyWindows[key] = (max(current.0, signal.window), max(current.1, signal.minSamples))
                    }
                case .pushed(let name):
                    let key = "\(service.name)/\(name)"
                    valueWindows[key] = max(valueWindows[key] ?? .zero, signal.window)
                case .prometheus, .command:
                    break
                }
            }
        }
        self.latencyWindows = latencyWindows
        self.valueWindows = valueWindows
    }

    public func evaluate(
        _ signal: MetricSignalPolicy, service: ServiceName, at now: Timestamp
    ) async -> MetricEvaluation {
        func evaluation(_ outcome: MetricEvaluation.Outcome, query: String, baseline: Double? = nil) -> MetricEvaluation
        {
            MetricEvaluation(
                service: service, signal: signal.name, at: now, outcome: outcome, query: query,
                externalBaseline: baseline)
        }
        switch signal.source {
        case .prometheus(let template):
            let query = PromQLTemplate.render(template, ["service": service.rawValue])
            guard let prometheus else {
                return evaluation(.error("no Prometheus is configured (monitoring.prometheus.url)"), query: query)
            }
            let outcome = Self.outcome(await prometheus.read(query: query, at: now), redactor: redactor)
            var baseline: Double?
            if case .sameHourLastWeek = signal.baseline,
                case .value(let lastWeek, _) = await prometheus.read(query: query, at: now - .seconds(7 * 86_400))
            {
                baseline = lastWeek
            }
            return evaluation(outcome, query: query, baseline: baseline)
        case .probeLatency(let check, let quantile):
            let names = check.map { [$0] } ?? []
            let key = "\(service)/\(names.first ?? "")"
            let reading = latencies.withLock { windows -> (Double?, Int) in
                guard let window = windows[key] else { return (nil, 0) }
                return (window.quantile(quantile, at: now), window.count(at: now))
            }
            let query = signal.source.summary
            guard let milliseconds = reading.0 else {
                return evaluation(.noData("\(reading.1) probes in the window"), query: query)
            }
            return evaluation(.value(milliseconds / 1000, samples: reading.1), query: query)
        case .pushed(let name):
            let key = "\(service)/\(name)"
            let reading = values.withLock { windows -> (Double?, Int) in
                guard let window = windows[key] else { return (nil, 0) }
                return (window.mean(at: now), window.count(at: now))
            }
            guard let mean = reading.0 else {
                return evaluation(
                    .noData("no values pushed in the last \(signal.window.rewindDescription)"),
                    query: signal.source.summary)
            }
            return evaluation(.value(mean, samples: reading.1), query: signal.source.summary)
        case .command(let arguments):
            let probe = CommandMetricProbe(command: arguments, timeout: signal.timeout, redactor: redactor)
            let outcome: MetricEvaluation.Outcome =
                switch await probe.read() {
                case .value(let value): .value(value, samples: 1)
                case .noData(let reason): .noData(reason)
                case .error(let reason): .error(reason)
                }
            return evaluation(outcome, query: signal.source.summary)
        }
    }

    public static func outcome(_ reading: PrometheusReading, redactor: Redactor) -> MetricEvaluation.Outcome {
        switch reading {
        case .value(let value, let series): .value(value, samples: series)
        case .noData(let reason): .noData(reason)
        case .error(let error): .error(redactor.redact(error.message))
        }
    }

    public func recordProbe(_ observation: Observation) {
        let key = "\(observation.service)/\(observation.check)"
        guard let (window, minSamples) = latencyWindows[key] else { return }
        // Recorded in place: copying the window out and back would copy its slot histograms.
        latencies.withLock { windows in
            windows[key, default: LatencyWindow(window: window, minSamples: minSamples)].record(
                Double(observation.latencyMs), at: observation.at)
        }
    }

    public func recordPushed(_ metric: PushedValue) {
        let key = "\(metric.service)/\(metric.signal)"
        guard let window = valueWindows[key] else { return }
        values.withLock { windows in
            _ = windows[key, default: ValueWindow(window: window)].record(metric.value, at: metric.at)
        }
    }

    public func monitoringSource(of signal: MetricSignalPolicy) -> String? {
        switch signal.source {
        case .prometheus: "prometheus"
        case .command(let arguments): "command \(arguments.first ?? "")"
        case .probeLatency, .pushed: nil
        }
    }

    /// Whether a pushed signal name is watched for the service (unwatched values are counted, not kept).
    public func watches(service: ServiceName, pushed signal: String) -> Bool {
        valueWindows["\(service)/\(signal)"] != nil
    }
}
