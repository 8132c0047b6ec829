import RewindCore
import RewindPorts

/// `rewind replay`: the daemon's own decisions over recorded history, on a virtual clock.
///
/// Replay is no second implementation. It feeds the very machines `rewind serve` runs — each health check's
/// ``HealthCheckState``, each signal's ``MetricTriggerState`` and the ``Supervisor`` — with the recorded
/// deployments, probes and metric evaluations in time order, and performs the supervisor's actions the way the
/// engine's loop does, against nothing but its own state:
///
/// - a deployment that went live is reported to the supervisor when it went live (as `rewind deployments record`
///   or a deploy webhook does); the supervisor's ``SupervisorAction/resetTriggers(_:generation:)`` restarts the
///   service's triggers;
/// - every recorded probe is one reading of its check (confirmation re-checks included, when `health.record`
///   wrote them); every metric evaluation is one reading of its signal, judged against the live deployment's
///   bake state exactly as the watcher judges it;
/// - each evaluation of a signal with early warnings on also feeds its ``EarlyWarningState`` — against the
///   baseline fetched for the live deployment (``ReplayHistory/baselines``), while it is suspect and the
///   signal's trigger has not fired — as the engine's signal watcher does; an early warning never reaches the
///   supervisor;
/// - each service with canary signals is looked at on the live watcher's schedule (``CanaryLooks``): its
///   ``CanaryJudgeState`` is fed the cohorts the live look would have read (``ReplayHistory/cohorts``) with the
///   live deployment's suspect state, and a failed canary is a violation like any trigger's;
/// - every alert the daemon received (Alertmanager's, or a security event pushed to the API) reaches the
///   supervisor when it was received, as the engine's intake hands it over: the same ``AlertBook`` dedupes repeats;
/// - the supervisor is ticked on the engine's bake-check cadence (every 30 s) whenever a bake is due;
/// - a decision to roll back is **applied as if it succeeded**, at once: no platform is called, the targets go
///   live in the replayed book, the rolled-back deployment is bad, the cooldown and the storm cap start, and
///   the incident closes. The immediate strategy's deployment freeze is applied too.
///
/// What replay cannot know: whether the real rollback would have succeeded, and how the service behaved
/// after a rollback that did not happen (the recorded probes after it are those of the deployment that
/// really ran). Replay decides as in `mode: enforce` whatever the policy's mode, since its question is what
/// the policy would have done.
public enum Replay {
    /// How often the engine ticks the supervisor to bake deployments (``Supervisor`` `.tick`).
    public static let bakeCheckInterval = Duration.seconds(30)

    /// Replays `history` from `from` to `to` (exclusive) under `policy`. Pure: same inputs, same result.
    ///
    /// Probes and evaluations outside the period are not read. Deployments before `from` are replayed too, so
    /// that the book (what is live, what is known good) is what the daemon would have had at `from`; only those
    /// that went live inside the period get a verdict.
    public static func run(policy: Policy, history: ReplayHistory, from: Timestamp, to: Timestamp) -> ReplayResult {
        var run = ReplayRun(policy: policy)
        return run.replay(history, from: from, to: to)
    }
}

/// One replay's state: the supervisor, the trigger states, and what was decided.
struct ReplayRun {
    private var machine: Supervisor
    private let policy: Policy
    private var checks: [TriggerKey: HealthCheckState] = [:]
    private var signals: [TriggerKey: MetricTriggerState] = [:]
    private var checkKeys: [ServiceName: [TriggerKey]] = [:]
    private var signalKeys: [ServiceName: [TriggerKey]] = [:]
    private var earlyWarnings: [TriggerKey: EarlyWarningState] = [:]
    /// The canary judges, set up when the period is known.
    private var canaryLooks: CanaryLooks?
    /// The robust baselines computed so far, by signal and deployment (nil: no baseline).
    private var robustBaselines: [ReplayHistory.BaselineKey: RobustBaseline?] = [:]
    private var warnings: [EarlyWarning] = []
    private var history = ReplayHistory(deployments: [], probes: [], evaluations: [])
    private var decisions: [ReplayDecision] = []
    /// The rollback choices of incidents opened and not yet run.
    private var choices: [Int64: [RollbackChoice]] = [:]
    private var incidents: Int64 = 0
    private var requests: UInt64 = 0
    private var now = Timestamp(millisecondsSinceEpoch: 0)
    /// When the next bake is due (``bakeDue()``), recomputed only after the supervisor heard something.
    private var nextBake: Timestamp?
    private var bakeChanged = true

    struct TriggerKey: Hashable {
        var service: ServiceName
        var name: String
    }

    init(policy: Policy) {
        var policy = policy
        policy.mode = .enforce
        self.policy = policy
        machine = Supervisor(
            policy: policy, trafficControlled: Set(policy.services.filter(\.hasTrafficControl).map(\.name)))
        for service in policy.services {
            for check in service.checks {
                let key = TriggerKey(service: service.name, name: check.name)
                checks[key] = HealthCheckState(
                    service: service.name, check: check.name, severity: check.severity,
                    failureRule: policy.health.failureRule(for: check.severity), recoveryRule: policy.health.recovery)
                checkKeys[service.name, default: []].append(key)
            }
            for signal in service.signals {
                let key = TriggerKey(service: service.name, name: signal.name)
                signals[key] = MetricTriggerState(service: service.name, signal: signal, retention: policy.bake)
                if signal.earlyWarning.enabled {
                    earlyWarnings[key] = EarlyWarningState(service: service.name, signal: signal)
                }
                signalKeys[service.name, default: []].append(key)
            }
        }
    }

    mutating func replay(_ history: ReplayHistory, from: Timestamp, to: Timestamp) -> ReplayResult {
        self.history = history
        canaryLooks = CanaryLooks(policy: policy, from: from, to: to)
        // Deployments of services the policy does not watch are not the daemon's business.
        let watched = Set(policy.services.map(\.name))
        let deployments = history.deployments.filter { $0.at < to && watched.contains($0.service) }
        let probes = history.probes.drop { $0.at < from }.prefix { $0.at < to }
        let evaluations = history.evaluations.drop { $0.at < from }.prefix { $0.at < to }
        let alerts = history.alerts.drop { $0.receivedAt < from }.prefix { $0.receivedAt < to }
        let start = min(from, deployments.first?.at ?? from)
        var d = deployments.startIndex
        var p = probes.startIndex
        var e = evaluations.startIndex
        var a = alerts.startIndex
        var nextTick = start
        var verdicts = Verdicts(deployments.filter { $0.at >= from })
        decisions.reserveCapacity(64)
        while true {
            if bakeChanged {
                nextBake = bakeDue()
                bakeChanged = false
            }
            let tickAt = nextBake.map { due in Self.gridPoint(atOrAfter: max(due, nextTick), start: start) }
            // Ties: a deployment first (as a deploy recorded before the next reading), then the tick, then probes,
            // then evaluations, then canary looks, then alerts.
            var best: (at: Timestamp, kind: Int)?
            func consider(_ at: Timestamp?, _ kind: Int) {
                guard let at, at < to else { return }
                if best.map({ at < $0.at }) ?? true { best = (at, kind) }
            }
            let deploymentAt = d < deployments.endIndex ? deployments[d].at : nil
            let evaluationAt = e < evaluations.endIndex ? evaluations[e].at : nil
            let alertAt = a < alerts.endIndex ? alerts[a].receivedAt : nil
            consider(deploymentAt, 0)
            consider(tickAt, 1)
            consider(p < probes.endIndex ? probes[p].at : nil, 2)
            consider(evaluationAt, 3)
            let look = canaryLooks?.due
            consider(look?.at, 4)
            consider(alertAt, 5)
            guard let best else { break }
            now = max(now, best.at)
            switch best.kind {
            case 0:
                let deployment = deployments[d]
                d += 1
                requests += 1
                feed(
                    .deploymentReported(
                        Deployment(
                            service: deployment.service, id: deployment.id, version: deployment.version,
                            deployedAt: deployment.at),
                        RequestID(requests)))
            case 1:
                nextTick = best.at + Replay.bakeCheckInterval
                feed(.tick)
            case 2:
                // The bulk of a replay: probes in a row until the next other event, or until one reaches the
                // supervisor (which may change when the next bake is due).
                let before = min(deploymentAt ?? to, tickAt ?? to, to)
                let through = min(evaluationAt ?? to, look?.at ?? to, alertAt ?? to)
                repeat {
                    let probe = probes[p]
                    p += 1
                    now = max(now, probe.at)
                    guard let event = checks[TriggerKey(service: probe.service, name: probe.check)]?.feed(probe) else {
                        continue
                    }
                    switch event {
                    case .none, .building, .inconclusive:
                        continue
                    case .fired, .recovered:
                        react(
                            to: event, of: TriggerSource(.check, probe.check), service: probe.service,
                            verdicts: &verdicts)
                    }
                    break
                } while p < probes.endIndex && probes[p].at < before && probes[p].at <= through
            case 4:
                guard let look else { break }
                lookAtCanary(look.service, verdicts: &verdicts)
            case 5:
                let alert = alerts[a].alert
                a += 1
                receive(alert, verdicts: &verdicts)
            default:
                let evaluation = evaluations[e]
                e += 1
                let live = machine.book.live(evaluation.service)
                let reading = SignalReading(
                    evaluation: evaluation, suspectSince: live.flatMap { $0.trust == .knownGood ? nil : $0.deployedAt })
                let key = TriggerKey(service: evaluation.service, name: evaluation.signal)
                guard let event = signals[key]?.feed(reading) else { continue }
                if let live, live.trust == .suspect {
                    warn(key, evaluation: evaluation, deployment: live.id, verdicts: &verdicts)
                }
                react(
                    to: event, of: TriggerSource(.signal, evaluation.signal), service: evaluation.service,
                    verdicts: &verdicts)
            }
        }
        return ReplayResult(
            from: from, to: to, decisions: decisions, deployments: verdicts.all, probes: probes.count,
            evaluations: evaluations.count, notReplayed: history.notReplayed, earlyWarnings: warnings)
    }

    /// One look of a service's canary judge, with the live deployment's suspect state as the watcher reads it.
    private mutating func lookAtCanary(_ service: ServiceName, verdicts: inout Verdicts) {
        let live = machine.book.live(service)
        guard
            let event = canaryLooks?.look(
                service, at: now, suspectSince: live.flatMap { $0.trust == .knownGood ? nil : $0.deployedAt },
                cohorts: history.cohorts)
        else { return }
        react(
            to: event, of: TriggerSource(.signal, CanaryJudgeState.sourceName), service: service, verdicts: &verdicts)
    }

    /// Feeds the signal's early-warning detector, as the engine's signal watcher does after each evaluation.
    private mutating func warn(
        _ key: TriggerKey, evaluation: MetricEvaluation, deployment: String, verdicts: inout Verdicts
    ) {
        guard earlyWarnings[key] != nil else { return }
        let baselineKey = ReplayHistory.BaselineKey(
            service: key.service, signal: key.name, deploymentID: deployment)
        let baseline: RobustBaseline?
        if let known = robustBaselines[baselineKey] {
            baseline = known
        } else {
            baseline = history.baselines[baselineKey]?.robust(earlyWarnings[key]!.policy)
            robustBaselines[baselineKey] = .some(baseline)
        }
        var value: Double?
        if case .value(let number, _) = evaluation.outcome { value = number }
        guard
            let warning = earlyWarnings[key]?.observe(
                value, at: evaluation.at, deploymentID: deployment, baseline: baseline,
                triggerFiring: signals[key]?.isFiring ?? false)
        else { return }
        warnings.append(warning)
        verdicts.warned(deployment, of: key.service, at: evaluation.at)
    }

    /// What a trigger's event tells the supervisor, as the watcher reports it.
    private mutating func react(
        to event: TriggerEvent, of source: TriggerSource, service: ServiceName, verdicts: inout Verdicts
    ) {
        switch event {
        case .fired(let violation):
            if let live = machine.book.live(service) {
                verdicts.detected(live.id, of: service, at: now, by: violation.trigger)
            }
            let before = decisions.count
            feed(.violation(violation))
            for decision in decisions[before...] {
                for choice in decision.targets {
                    verdicts.rolledBack(choice.from.id, of: choice.service, at: now, by: decision.violation.trigger)
                }
            }
        case .recovered:
            feed(.recovered(service, source))
        case .none, .building, .inconclusive:
            break
        }
    }

    /// An alert the daemon received, handed to the supervisor as the engine's intake does; a decision it leads to
    /// is the live deployment's detection, and its rollback that deployment's verdict.
    private mutating func receive(_ alert: ExternalAlert, verdicts: inout Verdicts) {
        let live = machine.book.live(alert.service)
        let before = decisions.count
        feed(.alert(alert))
        for decision in decisions[before...] {
            if let live, decision.violation.service == alert.service {
                verdicts.detected(live.id, of: alert.service, at: now, by: decision.violation.trigger)
            }
            for choice in decision.targets {
                verdicts.rolledBack(choice.from.id, of: choice.service, at: now, by: decision.violation.trigger)
            }
        }
    }

    /// The earliest time a live suspect deployment of a service with no trigger firing has baked, if any.
    private func bakeDue() -> Timestamp? {
        var earliest: Timestamp?
        for service in policy.services where !(machine.firing[service.name]?.isEmpty == false) {
            guard let live = machine.book.live(service.name), live.trust == .suspect else { continue }
            let due = (machine.book.liveSince(service.name) ?? live.deployedAt) + policy.bake
            earliest = min(earliest ?? due, due)
        }
        return earliest
    }

    /// The first tick of the engine's cadence from `start` at or after `at`.
    private static func gridPoint(atOrAfter at: Timestamp, start: Timestamp) -> Timestamp {
        let interval = Replay.bakeCheckInterval.milliseconds
        let elapsed = max(at.millisecondsSinceEpoch - start.millisecondsSinceEpoch, 0)
        let ticks = (elapsed + interval - 1) / interval
        return start + .milliseconds(ticks * interval)
    }

    // MARK: - The engine's loop, without the effects

    /// Feeds one event and, depth first, what performing each of its actions reports back — the order of
    /// the engine's ``SupervisorLoop``.
    private mutating func feed(_ event: SupervisorEvent) {
        bakeChanged = true
        for action in machine.handle(event, now: now) {
            for followUp in perform(action) {
                feed(followUp)
            }
        }
    }

    private mutating func perform(_ action: SupervisorAction) -> [SupervisorEvent] {
        switch action {
        case .open(let opening):
            return open(opening)
        case .run(let incident, _):
            // Applied as if the rollback succeeded: the targets are live, the rolled-back deployments bad.
            var events: [SupervisorEvent] = (choices.removeValue(forKey: incident.id) ?? []).map {
                .rolledBack(service: $0.service, from: $0.from.id, to: $0.to.id, automatic: true, at: now)
            }
            var closed = incident
            closed.status = .completed
            closed.closedAt = now
            events.append(.incidentClosed(closed))
            return events
        case .record(let changes, _, _):
            return [.recorded(changes)]
        case .resetTriggers(let service, _):
            for key in checkKeys[service] ?? [] { checks[key]?.reset() }
            for key in signalKeys[service] ?? [] {
                signals[key]?.reset()
                earlyWarnings[key]?.reset()
            }
            canaryLooks?.reset(service)
            return []
        case .note(.ignored(let violation, let reason)):
            decisions.append(ReplayDecision(at: now, violation: violation, decision: .ignore(reason)))
            return []
        case .note, .abandon, .acknowledge, .monitoringRecovered, .unrecorded, .reply:
            return []
        }
    }

    /// Records the incident as the engine's loop does (an id, the freeze that goes with it) without a store.
    private mutating func open(_ opening: IncidentOpening) -> [SupervisorEvent] {
        incidents += 1
        var incident = opening.incident
        incident.id = incidents
        if let violation = incident.violation, let decision = opening.decision {
            decisions.append(ReplayDecision(at: now, violation: violation, decision: decision))
        }
        var events: [SupervisorEvent] = []
        var freezeFor = opening.freeze
        if case .rollback(let plan, let chosen, _, _, _) = opening.kind {
            choices[incident.id] = chosen
            freezeFor = plan.freeze
        }
        if let duration = freezeFor {
            let until = now + duration
            if !(machine.freeze.map { $0.isActive(at: now) && $0.until >= until } ?? false) {
                events.append(
                    .frozen(Freeze(until: until, reason: incident.summary, setAt: now, incidentID: incident.id)))
            }
        }
        events.append(.opened(opening.draft, incident))
        if opening.closesAtOnce { events.append(.incidentClosed(incident)) }
        return events
    }
}

/// The verdict of every deployment that went live in the period, by service and id.
struct Verdicts {
    private(set) var all: [DeploymentVerdict]
    private var index: [String: Int] = [:]

    init(_ deployments: [ReplayDeployment]) {
        all = deployments.map { DeploymentVerdict(deployment: $0, outcome: .kept) }
        for (position, deployment) in deployments.enumerated() {
            index["\(deployment.service)\u{0}\(deployment.id)"] = position
        }
    }

    mutating func detected(_ id: String, of service: ServiceName, at: Timestamp, by trigger: TriggerKind) {
        guard let position = index["\(service)\u{0}\(id)"], all[position].detectedAt == nil else { return }
        all[position].detectedAt = at
        all[position].trigger = trigger
    }

    mutating func warned(_ id: String, of service: ServiceName, at: Timestamp) {
        guard let position = index["\(service)\u{0}\(id)"], all[position].warnedAt == nil else { return }
        all[position].warnedAt = at
    }

    mutating func rolledBack(_ id: String, of service: ServiceName, at: Timestamp, by trigger: TriggerKind) {
        guard let position = index["\(service)\u{0}\(id)"], all[position].outcome == .kept else { return }
        all[position].outcome = .rolledBack
        all[position].decidedAt = at
        all[position].trigger = trigger
    }
}
