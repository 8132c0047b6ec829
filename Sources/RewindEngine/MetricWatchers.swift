import Logging
import Metrics
import RewindCore
import RewindPorts

/// The state of one metric signal, for `rewind status`.
public struct SignalStatus: Sendable, Equatable, Codable {
    public var service: ServiceName
    public var signal: String
    public var category: SignalCategory
    public var lastValue: String?
    public var lastAt: Timestamp?
    public var threshold: String
    public var baseline: String?
    public var violations: Int
    public var firing: Bool
    /// Why the last evaluation could not be judged, if it could not.
    public var inconclusive: String?
}

/// A monitoring source that stopped answering, for `rewind status`.
public struct MonitoringStatus: Sendable, Equatable, Codable {
    public var source: String
    public var failingSince: Timestamp?
    public var lastError: String?
    public var reported: Bool
}

extension RewindEngine {
    /// Evaluates one metric signal of one service every `interval`, forever.
    ///
    /// Each evaluation goes through ``MetricTriggerState``; a violation goes to the supervisor like a
    /// health violation. A source error never violates: it feeds ``MonitoringHealth``, which
    /// raises one "monitoring failure" after `monitoring.failureAfter`.
    func watchSignal(_ service: ServiceName, _ signal: MetricSignalPolicy) async throws {
        var state = MetricTriggerState(service: service, signal: signal, retention: deps.policy.bake)
        let key = "\(service)/\(signal.name)"
        var generation = generations.withLock { $0[service, default: 0] }
        var next = deps.clock.now + signal.interval
        while true {
            try await deps.clock.sleep(until: next)
            let current = generations.withLock { $0[service, default: 0] }
            if current != generation {
                generation = current
                state.reset()
            }
            let now = deps.clock.now
            let evaluation = await deps.metrics.evaluate(signal, service: service, at: now)
            let live = try? await deps.store.liveDeployment(of: service)
            let suspectSince = live.flatMap { $0.trust == .knownGood ? nil : $0.deployedAt }
            let event = state.observe(evaluation, suspectSince: suspectSince)
            Counter(label: "rewind_signal_evaluations_total", dimensions: [("service", service.rawValue), ("outcome", evaluation.outcome.label)]).increment()
            if let source = deps.metrics.monitoringSource(of: signal) {
                reportMonitoring(source: source, evaluation: evaluation)
            }
            switch event {
            case .fired(let violation):
                deps.observer(.violation(violation))
                logger.warning("metric trigger fired", metadata: ["rewind.service": "\(service)", "rewind.signal": "\(signal.name)", "rewind.trigger": "\(violation.trigger.rawValue)"])
                continuationYield(.violation(violation))
            case .violating(let count, let of):
                logger.info("signal violates", metadata: ["rewind.service": "\(service)", "rewind.signal": "\(signal.name)", "rewind.count": "\(count)/\(of)"])
            case .recovered:
                logger.info("signal recovered", metadata: ["rewind.service": "\(service)", "rewind.signal": "\(signal.name)"])
                continuationYield(.recovered(service, check: signal.name))
            case .inconclusive, .none:
                break
            }
            let status = SignalStatus(
                service: service, signal: signal.name, category: signal.category, lastValue: evaluation.outcome.shown(signal.unit),
                lastAt: now, threshold: signal.threshold.describe(signal.unit),
                baseline: state.rollingBaseline(now: now, suspectSince: suspectSince).map { signal.unit.format($0) },
                violations: state.run.count, firing: state.isFiring,
                inconclusive: { if case .inconclusive(let why) = event { return why } else { return nil } }())
            signalStates.withLock {
                $0.statuses[key] = status
                $0.states[key] = state
            }
            next = now + signal.interval
        }
    }

    /// The latest state of every metric signal.
    public var signalStatuses: [SignalStatus] {
        signalStates.withLock { Array($0.statuses.values) }.sorted { ($0.service, $0.signal) < ($1.service, $1.signal) }
    }

    /// Monitoring sources and whether they answer.
    public var monitoringStatuses: [MonitoringStatus] {
        monitoring.withLock { sources in
            sources.values.map {
                MonitoringStatus(source: $0.source, failingSince: $0.failingSince, lastError: $0.lastError, reported: $0.isFailing)
            }
        }.sorted { $0.source < $1.source }
    }

    /// The trigger state of a signal, for the verification phases (its baseline).
    func signalState(_ service: ServiceName, _ signal: String) -> MetricTriggerState? {
        signalStates.withLock { $0.states["\(service)/\(signal)"] }
    }

    private func reportMonitoring(source: String, evaluation: MetricEvaluation) {
        let ok: Bool
        let detail: String
        switch evaluation.outcome {
        case .error(let reason): (ok, detail) = (false, reason)
        case .value, .noData: (ok, detail) = (true, "")
        }
        let event = monitoring.withLock { sources in
            var health = sources[source] ?? MonitoringHealth(source: source, after: deps.policy.monitoring.failureAfter)
            let event = health.observe(ok: ok, at: evaluation.at, detail: detail)
            sources[source] = health
            return event
        }
        switch event {
        case .failed(let since, let detail):
            logger.error("monitoring source is failing", metadata: ["rewind.source": "\(source)", "rewind.error": "\(deps.redactor.redact(detail))"])
            continuationYield(.monitoringFailed(source: source, since: since, detail: deps.redactor.redact(detail)))
        case .recovered(let after):
            logger.notice("monitoring source answers again", metadata: ["rewind.source": "\(source)", "rewind.after": "\(after.rewindDescription)"])
            continuationYield(.monitoringRecovered(source: source, after: after))
        case .none:
            break
        }
    }

    // MARK: - Intake (Alertmanager webhooks and pushed events)

    /// Alerts from Alertmanager or security events pushed by applications. They are queued for the
    /// supervisor, which dedupes repeats (``AlertBook``) and decides.
    public func receive(alerts: [ExternalAlert]) {
        for alert in alerts { continuationYield(.alert(alert)) }
    }

    /// Metric values pushed by applications, kept in the metric source's windows.
    public func receive(pushed metrics: [PushedValue]) {
        for metric in metrics { deps.metrics.recordPushed(metric) }
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

extension RewindEngine {
    /// One alert on the supervisor: a new firing alert is a violation; repeats and resolves are logged.
    func handle(_ alert: ExternalAlert, active: inout Set<ServiceName>, group: inout ThrowingDiscardingTaskGroup<any Error>) async {
        guard deps.policy.service(alert.service) != nil else {
            logger.warning("alert for a service Rewind does not watch", metadata: ["rewind.service": "\(alert.service)", "rewind.alert": "\(alert.name)"])
            Counter(label: "rewind_alerts_total", dimensions: [("outcome", "unknown_service")]).increment()
            return
        }
        let event = alertBook.withLock { $0.receive(alert) }
        switch event {
        case .fired(let violation):
            Counter(label: "rewind_alerts_total", dimensions: [("outcome", "fired")]).increment()
            deps.observer(.violation(violation))
            logger.warning("alert fired", metadata: ["rewind.service": "\(alert.service)", "rewind.alert": "\(alert.name)", "rewind.trigger": "\(violation.trigger.rawValue)"])
            do {
                try await decide(violation, active: &active, group: &group)
            } catch {
                logger.error("could not handle an alert", metadata: ["rewind.service": "\(alert.service)", "rewind.error": "\(deps.redactor.redact(String(describing: error)))"])
            }
        case .repeated:
            Counter(label: "rewind_alerts_total", dimensions: [("outcome", "repeated")]).increment()
        case .resolved(let service, let name):
            Counter(label: "rewind_alerts_total", dimensions: [("outcome", "resolved")]).increment()
            logger.info("alert resolved", metadata: ["rewind.service": "\(service)", "rewind.alert": "\(name)"])
        case .ignored(let why):
            Counter(label: "rewind_alerts_total", dimensions: [("outcome", "ignored")]).increment()
            logger.info("alert recorded, not a trigger", metadata: ["rewind.reason": "\(why)"])
        }
    }

    /// A monitoring source has failed for `monitoring.failureAfter`: an escalated incident (no
    /// rollback) tells people that Rewind is blind to the signals behind it.
    func reportMonitoringFailure(source: String, since: Timestamp, detail: String) async {
        let now = deps.clock.now
        let affected = deps.policy.services.filter { service in
            service.signals.contains { deps.metrics.monitoringSource(of: $0) == source }
        }.map(\.name)
        do {
            let incident = try await deps.store.createIncident(
                Incident(id: 0, openedAt: now, closedAt: now, services: affected, trigger: .monitoring, severity: .high, strategy: nil,
                         status: .escalated, summary: "monitoring failure: \(source) has not answered since \(since)",
                         reason: detail, mode: deps.policy.mode))
            monitoringIncidents.withLock { $0[source] = incident.id }
            try await append(incident.id, .monitoring, "\(source) failing since \(since): \(detail)")
            try await append(incident.id, .decision, "no rollback: \(EscalationReason.monitoringFailure.sentence)",
                             detail: .object(["escalation": .string(EscalationReason.monitoringFailure.rawValue), "source": .string(source)]))
            Counter(label: "rewind_monitoring_failures_total", dimensions: [("source", source)]).increment()
            let runner = IncidentRunner(engine: self, incident: incident)
            await runner.notify(.escalated, machine: nil, error: "\(source) has not answered since \(since): \(detail)")
            await closeOut(incident)
            await closed(incident)
        } catch {
            logger.error("could not record a monitoring failure", metadata: ["rewind.source": "\(source)", "rewind.error": "\(deps.redactor.redact(String(describing: error)))"])
        }
    }
}
