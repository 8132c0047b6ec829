import Logging
import RewindCore
import RewindPorts

/// The watchers of a policy's services: one per health check and metric signal, each signal's early-warning
/// baseline reader, the canary judge and the platform's own workload health. They read what they watch against
/// (live deployments, trigger generations) from `board` and send what fired or recovered to `sink`: the
/// supervisor's inbox, or with `ha.shards` their shard's relay to the coordinator.
struct WatcherSet: Sendable {
    let deps: EngineDependencies
    let board: StatusBoard
    let sink: any CommandSink
    let metrics: RewindMetrics
    let logger: Logger

    /// The loops watching `services` (every service of the policy when nil). A monitoring source's health is
    /// reported with every service of the policy whose signals depend on it, watched here or not.
    func loops(for services: Set<ServiceName>? = nil) -> [@Sendable () async throws -> Void] {
        var loops: [@Sendable () async throws -> Void] = []
        let sources = monitoringSources()
        let canaryServices = sources["prometheus"] ?? []
        for service in deps.policy.services where services?.contains(service.name) ?? true {
            for check in service.checks {
                let subject = HealthCheckSubject(
                    service: service.name, check: check, rules: deps.policy.health, prober: deps.prober,
                    metricSource: deps.metricSource, probeLog: deps.probeLog,
                    clock: deps.clock, board: board, metrics: metrics, observer: deps.observer, logger: logger)
                loops.append(watcher(subject).run)
            }
            for signal in service.signals {
                let source = deps.metricSource.monitoringSource(of: signal).map { ($0, sources[$0] ?? [service.name]) }
                let earlyWarning = EarlyWarningWatch(service: service.name, signal: signal, source: deps.baselineSource)
                let subject = SignalSubject(
                    service: service.name, signal: signal, retention: deps.policy.bake, metricSource: deps.metricSource,
                    monitoringSource: source, board: board, inbox: sink, metrics: metrics,
                    earlyWarning: earlyWarning, observer: deps.observer, logger: logger)
                loops.append(watcher(subject).run)
                if earlyWarning.enabled { loops.append { await earlyWarning.run() } }
            }
            if !service.canarySignals.isEmpty {
                let subject = CanarySubject(
                    service: service.name, signals: service.canarySignals, thresholds: service.canaryScore,
                    cohortSource: deps.cohortSource, monitoredServices: canaryServices, board: board,
                    inbox: sink, metrics: metrics, logger: logger)
                loops.append(watcher(subject).run)
            }
            if let reporter = deps.providers[service.name] as? any WorkloadHealthReporting,
                reporter.reportsWorkloadHealth
            {
                let subject = WorkloadHealthSubject(
                    service: service.name, reporter: reporter, board: board, logger: logger)
                loops.append(watcher(subject).run)
            }
        }
        return loops
    }

    /// Each monitoring source, with the services whose signals (or canary judges: they read Prometheus) depend on it.
    private func monitoringSources() -> [String: [ServiceName]] {
        var sources: [String: [ServiceName]] = [:]
        for service in deps.policy.services {
            for signal in service.signals {
                if let source = deps.metricSource.monitoringSource(of: signal),
                    !(sources[source]?.contains(service.name) ?? false)
                {
                    sources[source, default: []].append(service.name)
                }
            }
        }
        for service in deps.policy.services
        where !service.canarySignals.isEmpty && !(sources["prometheus"]?.contains(service.name) ?? false) {
            sources["prometheus", default: []].append(service.name)
        }
        return sources
    }

    private func watcher<Subject: WatchSubject>(_ subject: Subject) -> Watcher<Subject> {
        Watcher(
            subject: subject, clock: deps.clock, board: board, inbox: sink, metrics: metrics, observer: deps.observer,
            logger: logger)
    }
}
