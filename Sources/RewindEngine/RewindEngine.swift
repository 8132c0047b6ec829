import Logging
import Metrics
import RewindCore
import RewindPorts
import ServiceLifecycle
import Synchronization

/// The runtime: one supervisor loop that owns every decision, one watcher per health check,
/// and one task per incident in flight.
///
/// One writer: violations, manual rollbacks, deployment records and freezes all arrive as
/// commands on one stream and are handled one at a time, so two decisions can never race into a
/// double rollback. Incidents run as child tasks and report back on the same stream.
///
/// Graceful shutdown (SIGTERM/SIGINT through ServiceLifecycle): watchers stop, no new command is
/// accepted, and every rollback in flight runs to its end or its timeout.
public final class RewindEngine: Service, Sendable {
    enum Command: Sendable {
        case violation(Violation)
        case recovered(ServiceName, check: String)
        case manualRollback(ManualRollbackRequest, CheckedContinuation<Result<Int64, EngineRefusal>, Never>)
        case recordDeployment(Deployment, CheckedContinuation<Result<Deployment, any Error>, Never>)
        case freeze(Freeze?, CheckedContinuation<Result<Void, any Error>, Never>)
        case incidentFinished(Incident)
        case acknowledge(Int64, by: String, CheckedContinuation<Result<Incident, EngineRefusal>, Never>)
        case bakeTick
        case alert(ExternalAlert)
        case monitoringFailed(source: String, since: Timestamp, detail: String)
        case monitoringRecovered(source: String, after: Duration)
        /// What a deployment tracker learnt from a platform (see `DeploymentTracking.swift`).
        case tracked(TrackingReport)
    }

    public struct ManualRollbackRequest: Sendable {
        public var service: ServiceName
        public var to: String?
        public var reason: String
        /// `rewind rollback --force`: a target that is not known good is accepted, and the
        /// verification gates are skipped; the journal says so.
        public var force: Bool
        public init(service: ServiceName, to: String?, reason: String, force: Bool = false) {
            self.service = service
            self.to = to
            self.reason = reason
            self.force = force
        }
    }

    let deps: EngineDependencies
    private let commands: AsyncStream<Command>
    private let continuation: AsyncStream<Command>.Continuation
    private let checks = Mutex<[String: CheckStatus]>([:])
    private struct Closings {
        var waiters: [Int64: [CheckedContinuation<Incident, Never>]] = [:]
        var closed: [Int64: Incident] = [:]
    }
    private let closings = Mutex(Closings())
    let recent = Mutex<[ServiceName: [Observation]]>([:])
    struct SignalStates {
        var statuses: [String: SignalStatus] = [:]
        var states: [String: MetricTriggerState] = [:]
    }
    let signalStates = Mutex(SignalStates())
    let monitoring = Mutex<[String: MonitoringHealth]>([:])
    /// Alerts that are firing; only the supervisor reads and writes it.
    let alertBook: Mutex<AlertBook>
    /// The escalated incident that reported each failing monitoring source.
    let monitoringIncidents = Mutex<[String: Int64]>([:])

    func continuationYield(_ command: Command) {
        continuation.yield(command)
    }
    /// Bumped when a new deployment of a service goes live (recorded or learnt from the platform),
    /// so that its watchers start counting afresh: failures of the old deployment never count
    /// against the new one, and a new deployment that fails like the old one raises its own
    /// violation. A rollback does not bump it (see `StepExecutor`).
    let generations = Mutex<[ServiceName: Int]>([:])

    func liveDeploymentChanged(_ service: ServiceName) {
        generations.withLock { $0[service, default: 0] += 1 }
    }
    let logger: Logger

    public init(_ deps: EngineDependencies) {
        self.deps = deps
        (commands, continuation) = AsyncStream.makeStream(of: Command.self, bufferingPolicy: .unbounded)
        alertBook = Mutex(AlertBook(minimumSeverity: deps.policy.monitoring.alerts.minimumSeverity))
        var logger = deps.logger
        logger[metadataKey: "rewind.mode"] = "\(deps.policy.mode.rawValue)"
        self.logger = logger
    }

    // MARK: - Requests (from the API, the CLI and the demo)

    /// A manual rollback through the same path as an automatic one. Returns the incident id.
    public func requestRollback(_ request: ManualRollbackRequest) async -> Result<Int64, EngineRefusal> {
        await withCheckedContinuation { reply in
            if case .terminated = continuation.yield(.manualRollback(request, reply)) {
                reply.resume(returning: .failure(EngineRefusal(code: "shutting_down", message: "Rewind is shutting down; try again once it is back")))
            }
        }
    }

    /// Records a deployment as live (from the API, the CLI or a provider listing).
    public func recordDeployment(_ deployment: Deployment) async throws -> Deployment {
        let result = await withCheckedContinuation { reply in
            if case .terminated = continuation.yield(.recordDeployment(deployment, reply)) {
                reply.resume(returning: .failure(EngineRefusal(code: "shutting_down", message: "Rewind is shutting down")))
            }
        }
        return try result.get()
    }

    /// Sets (or with nil, lifts) the deployment freeze.
    public func setFreeze(_ freeze: Freeze?) async throws {
        let result = await withCheckedContinuation { reply in
            if case .terminated = continuation.yield(.freeze(freeze, reply)) {
                reply.resume(returning: .failure(EngineRefusal(code: "shutting_down", message: "Rewind is shutting down")))
            }
        }
        try result.get()
    }

    /// Acknowledges an incident: a person is on it, so its escalation stops.
    public func acknowledge(incidentID: Int64, by: String) async -> Result<Incident, EngineRefusal> {
        await withCheckedContinuation { reply in
            if case .terminated = continuation.yield(.acknowledge(incidentID, by: by, reply)) {
                reply.resume(returning: .failure(EngineRefusal(code: "shutting_down", message: "Rewind is shutting down")))
            }
        }
    }

    /// Waits until the incident is closed, and returns its final record.
    public func waitForIncident(_ id: Int64) async -> Incident {
        await withCheckedContinuation { waiter in
            let done = closings.withLock { closings -> Incident? in
                if let incident = closings.closed[id] { return incident }
                closings.waiters[id, default: []].append(waiter)
                return nil
            }
            if let done { waiter.resume(returning: done) }
        }
    }

    /// The latest result of every health check.
    public var checkStatuses: [CheckStatus] {
        checks.withLock { Array($0.values) }.sorted { ($0.service, $0.check) < ($1.service, $1.check) }
    }

    // MARK: - Run

    public func run() async throws {
        try await acquireLease()
        do {
            try await supervise()
        } catch {
            try? await deps.store.releaseLease(holder: deps.holder)
            throw error
        }
        try? await deps.store.releaseLease(holder: deps.holder)
    }

    private func supervise() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                var active: Set<ServiceName> = []
                for incident in try await deps.store.openIncidents() {
                    try await resume(incident, active: &active, in: &group)
                }
                if deps.watch {
                    for service in deps.policy.services {
                        for check in service.checks {
                            group.addTask { await Self.untilShutdown { try await self.watch(service.name, check) } }
                        }
                        for signal in service.signals {
                            group.addTask { await Self.untilShutdown { try await self.watchSignal(service.name, signal) } }
                        }
                    }
                    group.addTask { await Self.untilShutdown { try await self.bakeTicker() } }
                    for service in deps.policy.services {
                        guard let provider = deps.providers[service.name] else { continue }
                        group.addTask {
                            await Self.untilShutdown { try await self.trackDeployments(service.name, provider: provider) }
                        }
                    }
                }
                group.addTask { await Self.untilShutdown { try await self.leaseRenewer() } }
                group.addTask { await Self.untilShutdown { try await self.dispatcher() } }
                group.addTask { await Self.untilShutdown { try await self.escalationTicker() } }
                for await command in commands {
                    await handle(command, active: &active, group: &group)
                }
            }
        } onGracefulShutdown: {
            self.continuation.finish()
        }
    }

    /// Runs a loop that only ends by cancellation, and ends it on graceful shutdown too.
    private static func untilShutdown(_ loop: @escaping @Sendable () async throws -> Void) async {
        do {
            try await cancelWhenGracefulShutdown(loop)
        } catch {
            // Cancellation (shutdown) is the only way these loops end.
        }
    }

    /// Stops accepting commands; used by a one-shot engine once its work is done.
    public func finish() {
        continuation.finish()
    }

    /// The writer lease lasts ``leaseTTL`` and is renewed three times as often. A daemon that was
    /// killed holds it for at most one TTL; its successor waits that long, then takes over.
    static let leaseTTL = Duration.seconds(5)

    private func acquireLease() async throws {
        let deadline = deps.clock.now + Self.leaseTTL + .seconds(2)
        while true {
            let now = deps.clock.now
            if try await deps.store.acquireLease(holder: deps.holder, now: now, until: now + Self.leaseTTL) { return }
            guard now < deadline else {
                throw EngineRefusal(code: "lease_held", message: "another Rewind daemon is writing to this state; stop it first (one writer only)")
            }
            logger.notice("another daemon holds the writer lease; waiting for it to expire")
            try await deps.clock.sleep(for: .milliseconds(500))
        }
    }

    private func leaseRenewer() async throws {
        while true {
            try await deps.clock.sleep(for: Self.leaseTTL / 3)
            let now = deps.clock.now
            if (try? await deps.store.acquireLease(holder: deps.holder, now: now, until: now + Self.leaseTTL)) == false {
                logger.critical("lost the writer lease to another daemon")
            }
        }
    }

    private func bakeTicker() async throws {
        while true {
            continuation.yield(.bakeTick)
            try await deps.clock.sleep(for: deps.bakeCheckInterval)
        }
    }

    // MARK: - Watchers

    private func watch(_ service: ServiceName, _ check: HealthCheckPolicy) async throws {
        let policy = deps.policy
        var state = HealthCheckState(
            service: service, check: check.name, severity: check.severity,
            failureRule: policy.health.failureRule(for: check.severity), recoveryRule: policy.health.recovery)
        let key = "\(service)/\(check.name)"
        var next = deps.clock.now
        var generation = generations.withLock { $0[service, default: 0] }
        while true {
            try await deps.clock.sleep(until: next)
            let current = generations.withLock { $0[service, default: 0] }
            if current != generation {
                generation = current
                state.reset()
            }
            let probe = await deps.prober.check(check)
            let observation = Observation(service: service, check: check.name, at: deps.clock.now, result: probe.result, latencyMs: probe.latencyMs)
            Counter(label: "rewind_checks_total", dimensions: [("service", service.rawValue), ("outcome", probe.result.isSuccess ? "success" : "failure")]).increment()
            Timer(label: "rewind_check_seconds", dimensions: [("service", service.rawValue)]).recordMilliseconds(probe.latencyMs)
            remember(observation)
            deps.metrics.recordProbe(observation)
            let event = state.observe(observation)
            switch event {
            case .failing(let count, let of):
                deps.observer(.checkFailed(observation, count: count, of: of))
                logger.info("check failed", metadata: ["rewind.service": "\(service)", "rewind.check": "\(check.name)", "rewind.result": "\(probe.result.summary)", "rewind.count": "\(count)/\(of)"])
            case .fired(let violation):
                deps.observer(.checkFailed(observation, count: violation.evidence.count, of: state.failureRule.count))
                deps.observer(.violation(violation))
                logger.warning("trigger fired", metadata: ["rewind.service": "\(service)", "rewind.trigger": "\(violation.trigger.rawValue)"])
                continuation.yield(.violation(violation))
            case .recovered:
                deps.observer(.checkRecovered(service: service, check: check.name))
                continuation.yield(.recovered(service, check: check.name))
            case .none:
                break
            }
            let snapshot = CheckStatus(
                service: service, check: check.name, severity: check.severity, lastResult: probe.result.summary,
                lastAt: observation.at, consecutiveFailures: state.failures.count, firing: state.isFiring)
            checks.withLock { $0[key] = snapshot }
            next = ProbeSchedule.nextCheck(after: probe.result, at: observation.at, interval: check.interval,
                                           confirmInterval: check.confirmInterval, isFiring: state.isFiring)
        }
    }

    // MARK: - The supervisor

    private func handle(_ command: Command, active: inout Set<ServiceName>, group: inout ThrowingDiscardingTaskGroup<any Error>) async {
        switch command {
        case .violation(let violation):
            do {
                try await decide(violation, active: &active, group: &group)
            } catch {
                logger.error("could not handle a violation", metadata: ["rewind.service": "\(violation.service)", "rewind.error": "\(deps.redactor.redact(String(describing: error)))"])
            }
        case .recovered(let service, let check):
            logger.info("check recovered", metadata: ["rewind.service": "\(service)", "rewind.check": "\(check)"])
        case .manualRollback(let request, let reply):
            do {
                reply.resume(returning: try await manual(request, active: &active, group: &group))
            } catch {
                reply.resume(returning: .failure(EngineRefusal(code: "store_failed", message: deps.redactor.redact("could not record the rollback: \(error)"))))
            }
        case .recordDeployment(let deployment, let reply):
            do {
                try await deps.store.recordDeployment(deployment, makeLive: true)
                liveDeploymentChanged(deployment.service)
                reply.resume(returning: .success(deployment))
            } catch {
                reply.resume(returning: .failure(error))
            }
        case .freeze(let freeze, let reply):
            do {
                try await deps.store.setFreeze(freeze)
                reply.resume(returning: .success(()))
            } catch {
                reply.resume(returning: .failure(error))
            }
        case .incidentFinished(let incident):
            active.subtract(incident.services)
            alertBook.withLock { book in incident.services.forEach { book.forget(service: $0) } }
        case .alert(let alert):
            await handle(alert, active: &active, group: &group)
        case .monitoringFailed(let source, let since, let detail):
            await reportMonitoringFailure(source: source, since: since, detail: detail)
        case .monitoringRecovered(let source, let after):
            if let id = monitoringIncidents.withLock({ $0.removeValue(forKey: source) }) {
                try? await append(id, .monitoring, "\(source) answers again after \(after.rewindDescription)")
            }
        case .acknowledge(let id, let by, let reply):
            reply.resume(returning: await acknowledge(id, by: by))
        case .bakeTick:
            await promoteBakedDeployments()
        case .tracked(let report):
            await applyTracking(report, active: active)
        }
    }

    private func snapshots(active: Set<ServiceName>) async throws -> [ServiceSnapshot] {
        let now = deps.clock.now
        let since = now - max(deps.policy.safety.cooldown, .seconds(3600))
        var result: [ServiceSnapshot] = []
        for service in deps.policy.services {
            result.append(
                ServiceSnapshot(
                    name: service.name,
                    current: try await deps.store.liveDeployment(of: service.name),
                    deployments: try await deps.store.deployments(of: service.name),
                    automaticRollbacks: try await deps.store.automaticRollbacks(service: service.name, since: since),
                    inIncident: active.contains(service.name),
                    hasTrafficControl: deps.trafficControllers[service.name] != nil,
                    runsCanaries: service.rollout == .canary))
        }
        return result
    }

    func decide(_ violation: Violation, active: inout Set<ServiceName>, group: inout ThrowingDiscardingTaskGroup<any Error>) async throws {
        let now = deps.clock.now
        let services = try await snapshots(active: active)
        // A trigger fired while the deployment was suspect: it will never be known good.
        if let live = services.first(where: { $0.name == violation.service })?.current, live.trust == .suspect {
            try await deps.store.setTrust(service: violation.service, deploymentID: live.id, trust: .bad, at: now)
        }
        let decision = Assessment.decide(violation: violation, policy: deps.policy, services: services, now: now)
        Counter(label: "rewind_violations_total", dimensions: [("service", violation.service.rawValue), ("trigger", violation.trigger.rawValue)]).increment()
        try await open(decision, trigger: violation.trigger, severity: violation.severity, violation: violation, reason: nil,
                       active: &active, group: &group)
    }

    private func manual(_ request: ManualRollbackRequest, active: inout Set<ServiceName>, group: inout ThrowingDiscardingTaskGroup<any Error>) async throws -> Result<Int64, EngineRefusal> {
        guard deps.policy.service(request.service) != nil else {
            let known = deps.policy.services.map(\.name.rawValue).joined(separator: ", ")
            return .failure(EngineRefusal(code: "unknown_service", message: "\(request.service) is not a watched service (known: \(known))"))
        }
        let decision = Assessment.decideManual(service: request.service, to: request.to, services: try await snapshots(active: active),
                                               force: request.force)
        switch decision {
        case .ignore(let reason):
            return .failure(EngineRefusal(code: "refused", message: reason))
        case .escalate(_, let detail):
            return .failure(EngineRefusal(code: "no_target", message: detail))
        case .rollback:
            let id = try await open(decision, trigger: .manual, severity: .high, violation: nil, reason: request.reason,
                                    force: request.force, active: &active, group: &group)
            return id.map { .success($0) } ?? .failure(EngineRefusal(code: "refused", message: "nothing to roll back"))
        }
    }

    /// Records the decision as an incident and starts its plan.
    @discardableResult
    func open(_ decision: Decision, trigger: TriggerKind, severity: Severity, violation: Violation?, reason: String?, force: Bool = false,
                      active: inout Set<ServiceName>, group: inout ThrowingDiscardingTaskGroup<any Error>) async throws -> Int64? {
        let now = deps.clock.now
        let affected = violation?.service
        switch decision {
        case .ignore(let why):
            deps.observer(.decision(incidentID: nil, decision))
            logger.info("no action", metadata: ["rewind.service": "\(affected?.rawValue ?? "-")", "rewind.reason": "\(why)"])
            return nil
        case .escalate(let escalation, let detail):
            var incident = try await deps.store.createIncident(
                Incident(id: 0, openedAt: now, closedAt: now, services: affected.map { [$0] } ?? [], trigger: trigger, severity: severity,
                         strategy: nil, status: .escalated, summary: "\(affected?.rawValue ?? "rewind"): \(escalation.sentence)",
                         violation: violation, reason: reason, mode: deps.policy.mode))
            deps.observer(.decision(incidentID: incident.id, decision))
            try await recordDetection(incident, violation)
            try await append(incident.id, .decision, "no rollback: \(detail)", detail: .object(["escalation": .string(escalation.rawValue)]))
            try await append(incident.id, .escalation, "escalated to people: \(escalation.sentence)")
            Counter(label: "rewind_escalations_total", dimensions: [("reason", escalation.rawValue)]).increment()
            let runner = IncidentRunner(engine: self, incident: incident)
            await runner.notify(.escalated, machine: nil, error: detail)
            if trigger == .security { await notifySecurityTeam(incident.id) }
            incident.closedAt = deps.clock.now
            try await deps.store.updateIncident(incident)
            await scheduleEscalation(.escalatedWithoutRollback(severity), incidentID: incident.id)
            await closeOut(incident)
            await closed(incident)
            return incident.id
        case .rollback(let strategy, let choices, let skipped, let notes):
            let plan = Planner.plan(strategy: strategy, choices: choices, policy: deps.policy, verify: !force)
            let services = choices.map(\.service)
            let what = trigger == .manual ? "manual rollback" : (violation.map { "\($0.trigger.rawValue): \($0.rule)" } ?? trigger.rawValue)
            let incident = try await deps.store.createIncident(
                Incident(id: 0, openedAt: now, services: services, trigger: trigger, severity: severity, strategy: strategy,
                         status: .open, summary: "\(services.map(\.rawValue).joined(separator: ", ")): \(what)", plan: plan,
                         violation: violation, reason: reason, mode: deps.policy.mode))
            deps.observer(.decision(incidentID: incident.id, decision))
            try await recordDetection(incident, violation)
            var lines = choices.map { "roll back \($0.service) \($0.from.label) → \($0.to.label): \($0.reason)" }
            lines += skipped.map { "left alone: \($0)" }
            lines += notes
            if force { lines.append("forced by an operator: verification after the rollback is skipped") }
            try await append(
                incident.id, .decision, "\(strategy.rawValue) rollback of \(services.map(\.rawValue).joined(separator: ", ")); " + lines.joined(separator: "; "),
                detail: .object([
                    "strategy": .string(strategy.rawValue),
                    "targets": .array(choices.map { .object(["service": .string($0.service.rawValue), "from": .string($0.from.id), "to": .string($0.to.id), "why": .string($0.reason)]) }),
                    "skipped": .array(skipped.map { .string($0) }),
                    "notes": .array(notes.map { .string($0) }),
                    "forced": .bool(force),
                ]))
            Counter(label: "rewind_incidents_total", dimensions: [("trigger", trigger.rawValue), ("strategy", strategy.rawValue)]).increment()
            active.formUnion(services)
            if deps.policy.mode == .enforce && trigger != .manual {
                await scheduleEscalation(.rollbackStarted(trigger, severity), incidentID: incident.id)
            }
            if trigger == .security { await notifySecurityTeam(incident.id) }
            let runner = IncidentRunner(engine: self, incident: incident)
            group.addTask { await runner.run(resume: nil) }
            return incident.id
        }
    }

    private func recordDetection(_ incident: Incident, _ violation: Violation?) async throws {
        guard let violation else {
            try await append(incident.id, .detected, "manual rollback requested: \(incident.reason ?? "no reason given")")
            return
        }
        let evidence = JSONValue.array(violation.evidence.map { item in
            var fields: [String: JSONValue] = ["at": .string(item.at.iso8601), "check": .string(item.check), "result": .string(item.result),
                                               "latency_ms": .number(Double(item.latencyMs))]
            if let value = item.value { fields["value"] = .number(value) }
            if let threshold = item.threshold { fields["threshold"] = .number(threshold) }
            if let baseline = item.baseline { fields["baseline"] = .number(baseline) }
            return .object(fields)
        })
        var detail: [String: JSONValue] = ["rule": .string(violation.rule), "trigger": .string(violation.trigger.rawValue), "evidence": evidence]
        if let signal = violation.signal {
            var fields: [String: JSONValue] = [
                "name": .string(signal.name), "measure": .string(signal.measure.rawValue), "query": .string(signal.query),
                "window": .string(signal.window.rewindDescription), "threshold": .string(signal.threshold),
            ]
            if let baseline = signal.baseline { fields["baseline"] = .string(signal.unit.format(baseline)) }
            detail["signal"] = .object(fields)
        }
        if let alert = violation.alert {
            detail["alert"] = .object(["origin": .string(alert.origin.rawValue), "name": .string(alert.name), "fingerprint": .string(alert.fingerprint),
                                       "summary": alert.summary.map(JSONValue.string) ?? .null])
        }
        try await append(incident.id, .detected, violation.summary, detail: .object(detail))
    }

    private func resume(_ incident: Incident, active: inout Set<ServiceName>, in group: inout ThrowingDiscardingTaskGroup<any Error>) async throws {
        guard incident.plan != nil else {
            var closed = incident
            closed.status = .failed
            closed.closedAt = deps.clock.now
            try await deps.store.updateIncident(closed)
            return
        }
        let records = try await deps.store.steps(incidentID: incident.id)
        try await append(incident.id, .resumed, "Rewind restarted; resuming from the journal (\(records.count) step records)")
        active.formUnion(incident.services)
        let runner = IncidentRunner(engine: self, incident: incident)
        group.addTask { await runner.run(resume: records) }
    }

    private func promoteBakedDeployments() async {
        let now = deps.clock.now
        let firing = Set(checkStatuses.filter(\.firing).map(\.service))
        for service in deps.policy.services where !firing.contains(service.name) {
            guard let live = try? await deps.store.liveDeployment(of: service.name),
                BakeRule.becomesKnownGood(live, lastViolation: nil, bake: deps.policy.bake, now: now)
            else { continue }
            do {
                try await deps.store.setTrust(service: service.name, deploymentID: live.id, trust: .knownGood, at: now)
                var promoted = live
                promoted.trust = .knownGood
                promoted.knownGoodAt = now
                deps.observer(.deploymentKnownGood(promoted))
                logger.info("deployment is known good", metadata: ["rewind.service": "\(service.name)", "rewind.deployment": "\(live.id)"])
            } catch {
                logger.error("could not mark a deployment known good", metadata: ["rewind.service": "\(service.name)"])
            }
        }
    }

    // MARK: - Shared helpers for incident runners

    func append(_ incidentID: Int64, _ kind: TimelineKind, _ message: String, detail: JSONValue? = nil) async throws {
        try await deps.store.append(TimelineEvent(incidentID: incidentID, at: deps.clock.now, kind: kind, message: deps.redactor.redact(message), detail: detail))
    }

    func closed(_ incident: Incident) async {
        continuation.yield(.incidentFinished(incident))
        deps.observer(.incidentClosed(incident))
        let resumed = closings.withLock { closings -> [CheckedContinuation<Incident, Never>] in
            closings.closed[incident.id] = incident
            return closings.waiters.removeValue(forKey: incident.id) ?? []
        }
        resumed.forEach { $0.resume(returning: incident) }
    }
}
