import Logging
import RewindCore
import RewindPorts

/// A health check, probed every `interval` while it passes (every `suspect_interval` while a young
/// deployment is suspect) and confirmed after `confirm_interval` when it fails (``ProbeSchedule``).
struct HealthCheckSubject: WatchSubject {
    let service: ServiceName
    let check: HealthCheckPolicy
    let rules: HealthRules
    let prober: any HealthProber
    let metricSource: any MetricSource
    let probeLog: any ProbeLog
    let clock: any RewindClock
    let board: StatusBoard
    let metrics: RewindMetrics
    let observer: @Sendable (EngineEvent) -> Void
    let logger: Logger

    var source: TriggerSource { TriggerSource(.check, check.name) }
    var kind: String { "check" }

    func makeState() -> HealthCheckState {
        HealthCheckState(
            service: service, check: check.name, severity: check.severity,
            failureRule: rules.failureRule(for: check.severity),
            recoveryRule: rules.recovery)
    }

    func firstReading(now: Timestamp) -> Timestamp { now }

    var readsOnNewDeployment: Bool { check.suspectWindow > .zero && check.suspectInterval < check.interval }

    func read(at now: Timestamp) async -> Observation {
        let probe = await prober.check(check)
        let observation = Observation(
            service: service, check: check.name, at: clock.now, result: probe.result, latencyMs: probe.latencyMs)
        metrics.checkRan(service, passed: probe.result.isSuccess, latencyMs: probe.latencyMs)
        board.remember(observation)
        metricSource.recordProbe(observation)
        probeLog.record(observation)
        return observation
    }

    func after(_ observation: Observation, event: TriggerEvent, state: HealthCheckState, now: Timestamp) -> Timestamp {
        switch event {
        case .building(let count, let of):
            observer(.checkFailed(observation, count: count, of: of))
            logger.info(
                "check failed",
                metadata: [
                    "rewind.service": "\(service)", "rewind.check": "\(check.name)",
                    "rewind.result": "\(observation.result.summary)", "rewind.count": "\(count)/\(of)",
                ])
        case .fired(let violation):
            observer(.checkFailed(observation, count: violation.evidence.count, of: state.failureRule.count))
        case .recovered:
            observer(.checkRecovered(service: service, check: check.name))
        case .none, .inconclusive:
            break
        }
        board.update(
            CheckStatus(
                service: service, check: check.name, severity: check.severity, lastResult: observation.result.summary,
                lastAt: observation.at, consecutiveFailures: state.runLength, firing: state.isFiring),
            latencyMs: observation.latencyMs, passed: observation.result.isSuccess)
        return ProbeSchedule.nextCheck(
            of: check, after: observation.result, at: observation.at, live: board.liveForSchedule(service),
            isFiring: state.isFiring)
    }
}

/// A metric signal, evaluated every `interval` (Prometheus, probe latencies, pushed values, command
/// probes). A source error never violates: it is reported to the supervisor as monitoring health,
/// which raises one "monitoring failure" after `monitoring.failure_after`.
///
/// While the live deployment is suspect, each evaluation also feeds the signal's early-warning detector
/// (``EarlyWarningWatch``); a warning is counted, shown on the event stream and sent to the loop, which
/// queues its notice. It never reaches the supervisor: no incident, no rollback.
struct SignalSubject: WatchSubject {
    let service: ServiceName
    let signal: MetricSignalPolicy
    let retention: Duration
    let metricSource: any MetricSource
    /// The monitoring source the signal depends on, and the services whose signals depend on it.
    let monitoringSource: (name: String, services: [ServiceName])?
    let board: StatusBoard
    let inbox: any CommandSink
    let metrics: RewindMetrics
    let earlyWarning: EarlyWarningWatch
    let observer: @Sendable (EngineEvent) -> Void
    let logger: Logger

    var source: TriggerSource { TriggerSource(.signal, signal.name) }
    var kind: String { "signal" }

    func makeState() -> MetricTriggerState {
        MetricTriggerState(service: service, signal: signal, retention: retention)
    }

    func firstReading(now: Timestamp) -> Timestamp { now + signal.interval }

    var readsOnNewDeployment: Bool { false }

    func read(at now: Timestamp) async -> SignalReading {
        earlyWarning.prepare(for: board.live(service))
        let evaluation = await metricSource.evaluate(signal, service: service, at: now)
        let live = board.live(service)
        metrics.signalEvaluated(service, outcome: evaluation.outcome.label)
        if let monitoringSource {
            let (ok, detail): (Bool, String) =
                switch evaluation.outcome {
                case .error(let reason): (false, reason)
                case .value, .noData: (true, "")
                }
            inbox.send(
                .event(
                    .monitoring(
                        source: monitoringSource.name, ok: ok, at: evaluation.at, detail: detail,
                        services: monitoringSource.services)))
        }
        return SignalReading(
            evaluation: evaluation, suspectSince: live.flatMap { $0.trust == .knownGood ? nil : $0.deployedAt })
    }

    func after(_ reading: SignalReading, event: TriggerEvent, state: MetricTriggerState, now: Timestamp) -> Timestamp {
        switch event {
        case .building(let count, let of):
            logger.info(
                "signal violates",
                metadata: [
                    "rewind.service": "\(service)", "rewind.signal": "\(signal.name)", "rewind.count": "\(count)/\(of)",
                ])
        case .none, .inconclusive, .fired, .recovered:
            break
        }
        let evaluation = reading.evaluation
        let live = board.live(service)
        if let warning = earlyWarning.observe(evaluation, live: live, triggerFiring: state.isFiring) {
            metrics.earlyWarning(warning)
            observer(.earlyWarning(warning))
            logger.warning(
                "early warning",
                metadata: [
                    "rewind.service": "\(service)", "rewind.signal": "\(signal.name)",
                    "rewind.deployment": "\(warning.deploymentID)", "rewind.z": "\(warning.z)",
                ])
            inbox.send(
                .earlyWarning(warning, severity: signal.severity, query: evaluation.query))
        }
        board.update(
            SignalStatus(
                service: service, signal: signal.name, category: signal.category,
                lastValue: evaluation.outcome.shown(signal.unit), lastAt: now,
                threshold: signal.threshold.describe(signal.unit),
                baseline: state.rollingBaseline(now: now, suspectSince: reading.suspectSince).map {
                    signal.unit.format($0)
                },
                violations: state.runLength, firing: state.isFiring,
                inconclusive: { if case .inconclusive(let why) = event { return why } else { return nil } }(),
                earlyWarning: earlyWarning.warning(on: live)),
            state: state, value: { if case .value(let value, _) = evaluation.outcome { value } else { nil } }())
        return now + signal.interval
    }
}

extension MetricEvaluation.Outcome {
    var label: String {
        switch self {
        case .value: "value"
        case .noData: "no_data"
        case .error: "error"
        }
    }

    func shown(_ unit: MetricUnit) -> String {
        switch self {
        case .value(let value, _): unit.format(value)
        case .noData(let reason): "no data (\(reason))"
        case .error(let reason): "error: \(reason)"
        }
    }
}
