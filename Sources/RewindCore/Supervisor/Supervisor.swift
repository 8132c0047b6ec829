/// What Rewind decides between "a trigger fired" and "run this plan", as a pure state machine:
/// `handle(event, now)` returns the actions to perform, and the engine owns the one task that
/// feeds it (the single writer). Replay runs the same machine on a virtual clock.
///
/// The supervisor owns:
/// - the **deployment book** (live deployments, trust, recent automatic rollbacks: cooldown and
///   the storm cap), changed only when a change it asked for is stored;
/// - the **open incidents** and the services each holds (one incident per service at a time);
/// - the **alert book** (Alertmanager repeats are one violation);
/// - **trigger generations**: a new live deployment makes its service's watchers start afresh;
/// - which **triggers are firing** (a service with one firing does not bake);
/// - **monitoring health** per source, and the incident that reported each failing source;
/// - **violations that could not be recorded**, retried until they are.
///
/// ```
/// violation ─▶ mark the suspect bad ─▶ Assessment ─▶ ignore  ─▶ note
///                                                 ├▶ escalate ─▶ open (closed at once)
///                                                 └▶ rollback ─▶ open ─▶ opened ─▶ run
/// opening failed ─▶ retry the violation with backoff (and page directly after a few tries)
/// ```
///
/// Nothing here reads a clock, a store or a task: time comes with each event.
public struct Supervisor: Sendable, Equatable {
    /// A violation waiting for its next try at being recorded.
    public struct PendingViolation: Sendable, Equatable {
        public var violation: Violation
        /// Tries so far.
        public var attempts: Int
        public var retryAt: Timestamp
    }

    /// An incident asked for and not yet stored.
    public struct PendingOpening: Sendable, Equatable {
        /// The services it holds while it is recorded (none for an incident closed at once).
        public var services: [ServiceName]
        /// Ledger changes stored with the incident: they enter the book once it is stored.
        public var ledger: [LedgerChange]
        public var violation: Violation?
        public var attempts: Int
        public var monitoringSource: String?
    }

    public private(set) var policy: Policy
    /// Services whose traffic Rewind can move (gradual and canary strategies).
    public private(set) var trafficControlled: Set<ServiceName>
    public private(set) var book: DeploymentBook
    public private(set) var alerts: AlertBook
    public private(set) var freeze: Freeze?
    /// Services whose automation an operator paused: their violations are decided in observe mode.
    public private(set) var automation: AutomationPauses
    public private(set) var generations: [ServiceName: Int] = [:]
    public private(set) var firing: [ServiceName: Set<TriggerSource>] = [:]
    /// Open incidents and the services each holds.
    public private(set) var incidents: [Int64: [ServiceName]] = [:]
    public private(set) var openings: [DraftID: PendingOpening] = [:]
    public private(set) var monitoring: [String: MonitoringHealth] = [:]
    /// The escalated incident that reported each failing monitoring source.
    public private(set) var monitoringIncidents: [String: Int64] = [:]
    public private(set) var retries: [PendingViolation] = []
    /// When each service's last incident closed: a platform reading taken before is stale.
    public private(set) var lastClosed: [ServiceName: Timestamp] = [:]
    /// Deployments asked to go live during a freeze, by service: once stored, `freeze.enforce` decides.
    public private(set) var freezeBreaches: [ServiceName: String] = [:]
    private var drafts: UInt64 = 0

    /// Tries at recording a violation before people are paged directly (it is still retried).
    public static let recordAttemptsBeforePage = 3
    /// The longest wait between two tries at recording a violation.
    public static let longestRecordRetry = Duration.seconds(60)

    public init(
        policy: Policy, trafficControlled: Set<ServiceName> = [], book: DeploymentBook = .init(), freeze: Freeze? = nil,
        pauses: [AutomationPause] = []
    ) {
        self.policy = policy
        self.trafficControlled = trafficControlled
        self.book = book
        self.freeze = freeze
        self.automation = AutomationPauses(pauses)
        self.alerts = AlertBook(minimumSeverity: policy.monitoring.alerts.minimumSeverity)
    }

    // MARK: - Reading

    /// True while an incident (recorded or being recorded) holds `service`.
    public func isInIncident(_ service: ServiceName) -> Bool {
        incidents.values.contains { $0.contains(service) } || openings.values.contains { $0.services.contains(service) }
    }

    public func generation(of service: ServiceName) -> Int { generations[service, default: 0] }

    public func isFiring(_ service: ServiceName, _ source: TriggerSource) -> Bool {
        firing[service]?.contains(source) ?? false
    }

    /// Whether Rewind acts on a violation of `service`: the policy's mode, or observe while an
    /// operator paused the service's automation.
    public func mode(of service: ServiceName) -> Mode {
        automation.pause(of: service) == nil ? policy.mode : .observe
    }

    /// When the next violation retry is due, if one waits.
    public var nextRetryAt: Timestamp? { retries.map(\.retryAt).min() }

    /// What the assessment sees of every watched service.
    public func snapshots() -> [ServiceSnapshot] {
        policy.services.map { service in
            ServiceSnapshot(
                name: service.name, current: book.live(service.name), deployments: book.deployments(of: service.name),
                automaticRollbacks: book.automaticRollbacks(of: service.name), inIncident: isInIncident(service.name),
                hasTrafficControl: trafficControlled.contains(service.name), runsCanaries: service.rollout == .canary)
        }
    }

    // MARK: - Reconfiguring

    /// A reloaded policy (`rewind serve` on SIGHUP) takes effect for every decision from now on.
    /// What the machine has learnt is kept: the deployment book, open incidents (they finish under
    /// the plan they were opened with), firing triggers, alerts, monitoring health, the freeze and
    /// pending retries. Watchers start afresh under the new policy, as after a new deployment: the
    /// checks and signals firing are forgotten (one still failing fires again after its count), the
    /// alerts stay. `pages` are the book pages of services the new policy adds (loaded from the
    /// store); a service the policy drops keeps its page, unused, and its open incident runs to its end.
    public mutating func reconfigure(
        policy: Policy, trafficControlled: Set<ServiceName>, pages: [ServiceName: DeploymentBook.Page]
    ) {
        self.policy = policy
        self.trafficControlled = trafficControlled
        alerts.minimumSeverity = policy.monitoring.alerts.minimumSeverity
        for (service, page) in pages where book.pages[service] == nil { book.add(service, page) }
        let watched = Set(policy.services.map(\.name))
        firing = firing.filter { watched.contains($0.key) }.mapValues { $0.filter { $0.kind == .alert } }
    }

    // MARK: - Restoring

    /// Takes over the incidents a previous daemon left open: each is resumed from its journal, or
    /// abandoned when it has no plan to resume.
    public mutating func restore(openIncidents: [Incident]) -> [SupervisorAction] {
        openIncidents.map { incident in
            guard incident.plan != nil else { return .abandon(incident) }
            incidents[incident.id] = incident.services
            return .run(incident, resume: true)
        }
    }

    // MARK: - Events

    public mutating func handle(_ event: SupervisorEvent, now: Timestamp) -> [SupervisorAction] {
        switch event {
        case .violation(let violation):
            firing[violation.service, default: []].insert(violation.source)
            return decide(violation, attempts: 0, now: now)
        case .recovered(let service, let source):
            firing[service]?.remove(source)
            retries.removeAll { $0.violation.service == service && $0.violation.source == source }
            return []
        case .watchRestarted(let services):
            for service in services { firing[service] = firing[service]?.filter { $0.kind == .alert } }
            return []
        case .alert(let alert):
            return receive(alert, now: now)
        case .monitoring(let source, let ok, let at, let detail, let services):
            return observeMonitoring(source: source, ok: ok, at: at, detail: detail, services: services, now: now)
        case .tracked(let report):
            return apply(report, now: now)
        case .tick:
            return tick(now: now)
        case .manualRollback(let request, let reply):
            return manual(request, reply: reply, now: now)
        case .deploymentReported(var deployment, let reply):
            deployment.wasLive = true
            if freeze?.isActive(at: now) == true { freezeBreaches[deployment.service] = deployment.id }
            return [
                .record(
                    bakedOnReplacement(deployment.service, by: deployment.id, now: now) + [
                        .deployment(deployment, makeLive: true)
                    ], because: .reported, reply: reply)
            ]
        case .freeze(let freeze, let reply):
            return [.record([.freeze(freeze)], because: .freeze, reply: reply)]
        case .automation(let change, let reply):
            return [.record([.automation(change)], because: .automation, reply: reply)]
        case .markGood(let service, let deploymentID, let reply):
            return markGood(service, deploymentID, reply: reply, now: now)
        case .acknowledge(let id, let by, let reply):
            return [.acknowledge(incidentID: id, by: by, reply: reply)]
        case .recorded(let changes):
            return stored(changes, now: now)
        case .opened(let draft, let incident):
            return opened(draft, incident, now: now)
        case .openingFailed(let draft, let reason):
            return openingFailed(draft, reason: reason, now: now)
        case .rolledBack(let service, let from, let to, let automatic, let at):
            book.rolledBack(service, from: from, to: to, automatic: automatic, at: at)
            book.prune(now: now, keep: max(policy.safety.cooldown, .seconds(3600)))
            return []
        case .frozen(let stored):
            if freeze.map({ !$0.isActive(at: now) || $0.until < stored.until }) ?? true { freeze = stored }
            return []
        case .incidentClosed(let incident):
            incidents[incident.id] = nil
            for service in incident.services {
                alerts.forget(service: service)
                firing[service] = firing[service]?.filter { $0.kind != .alert }
                lastClosed[service] = max(lastClosed[service] ?? incident.closedAt ?? now, incident.closedAt ?? now)
            }
            return []
        }
    }

    // MARK: - Deciding

    private mutating func decide(_ violation: Violation, attempts: Int, now: Timestamp) -> [SupervisorAction] {
        guard policy.service(violation.service) != nil else {
            return [.note(.ignored(violation, reason: "\(violation.service) is not a watched service"))]
        }
        // A trigger fired while the deployment was suspect: it will never be known good.
        var ledger: [LedgerChange] = []
        if let live = book.live(violation.service), live.trust == .suspect {
            ledger.append(.trust(service: violation.service, deploymentID: live.id, .bad, at: now))
        }
        let decision = Assessment.decide(violation: violation, policy: policy, services: snapshots(), now: now)
        let mode = mode(of: violation.service)
        switch decision {
        case .ignore(let why):
            let note = SupervisorAction.note(.ignored(violation, reason: why))
            return ledger.isEmpty ? [note] : [.record(ledger, because: .markedBad(violation), reply: nil), note]
        case .escalate(let reason, let detail):
            var escalations: [EscalationPlanner.Moment] = [.escalatedWithoutRollback(violation.severity)]
            if violation.trigger == .security { escalations.append(.securityTrigger) }
            let incident = Incident(
                id: 0, openedAt: now, closedAt: now, services: [violation.service], trigger: violation.trigger,
                severity: violation.severity, strategy: nil, status: .escalated,
                summary: "\(violation.service): \(reason.sentence)", violation: violation, mode: mode)
            // The guide's immediate escalation (a security breach, a critical service down) freezes all
            // deployments, rollback or not.
            let freezes = violation.trigger == .security || violation.severity == .critical
            return [
                openIncident(
                    .escalation(reason, detail: detail), incident, decision: decision, ledger: ledger,
                    escalations: escalations,
                    holding: [], violation: violation, attempts: attempts,
                    freeze: freezes ? policy.strategies.immediateFreeze : nil)
            ]
        case .rollback(let strategy, let choices, let skipped, let notes):
            let plan = Planner.plan(
                strategy: strategy, choices: choices, policy: policy, verify: true, affected: violation.service)
            let services = choices.map(\.service)
            var escalations: [EscalationPlanner.Moment] = []
            if mode == .enforce { escalations.append(.rollbackStarted(violation.trigger, violation.severity)) }
            if violation.trigger == .security { escalations.append(.securityTrigger) }
            let incident = Incident(
                id: 0, openedAt: now, services: services, trigger: violation.trigger, severity: violation.severity,
                strategy: strategy, status: .open,
                summary:
                    "\(services.map(\.rawValue).joined(separator: ", ")): \(violation.trigger.rawValue): \(violation.rule)",
                plan: plan, violation: violation, mode: mode)
            let paused = policy.mode == .enforce ? automation.pause(of: violation.service) : nil
            return [
                openIncident(
                    .rollback(
                        plan, choices: choices, skipped: skipped,
                        notes: notes + (paused.map { ["observe only: \($0.explanation)"] } ?? []), forced: false),
                    incident,
                    decision: decision,
                    ledger: ledger, escalations: escalations, holding: services, violation: violation,
                    attempts: attempts)
            ]
        }
    }

    private mutating func manual(
        _ request: ManualRollbackRequest, reply: RequestID, now: Timestamp
    ) -> [SupervisorAction] {
        guard policy.service(request.service) != nil else {
            let known = policy.services.map(\.name.rawValue).joined(separator: ", ")
            return [
                .reply(
                    reply,
                    .refused(
                        code: "unknown_service",
                        message: "\(request.service) is not a watched service (known: \(known))"))
            ]
        }
        let decision = Assessment.decideManual(
            service: request.service, to: request.to, services: snapshots(), force: request.force)
        switch decision {
        case .ignore(let reason):
            return [.reply(reply, .refused(code: "refused", message: reason))]
        case .escalate(_, let detail):
            return [.reply(reply, .refused(code: "no_target", message: detail))]
        case .rollback(let strategy, let choices, let skipped, let notes):
            let plan = Planner.plan(strategy: strategy, choices: choices, policy: policy, verify: !request.force)
            let services = choices.map(\.service)
            let incident = Incident(
                id: 0, openedAt: now, services: services, trigger: .manual, severity: .high, strategy: strategy,
                status: .open,
                summary: "\(services.map(\.rawValue).joined(separator: ", ")): manual rollback"
                    + (request.actor.map { " by \($0)" } ?? ""), plan: plan,
                reason: request.reason, mode: policy.mode)
            return [
                openIncident(
                    .rollback(plan, choices: choices, skipped: skipped, notes: notes, forced: request.force), incident,
                    decision: decision, ledger: [], escalations: [], holding: services, violation: nil, attempts: 0,
                    reply: reply,
                    requestedBy: request.actor)
            ]
        }
    }

    /// A deployment Rewind saw is marked known good by hand; one a trigger or a rollback marked bad, or one
    /// of a service in an incident, is refused with the reason.
    private func markGood(
        _ service: ServiceName, _ deploymentID: String, reply: RequestID, now: Timestamp
    ) -> [SupervisorAction] {
        guard policy.service(service) != nil else {
            let known = policy.services.map(\.name.rawValue).joined(separator: ", ")
            return [
                .reply(
                    reply,
                    .refused(code: "unknown_service", message: "\(service) is not a watched service (known: \(known))"))
            ]
        }
        guard let deployment = book.deployment(service, id: deploymentID) else {
            let recent = book.deployments(of: service).sorted { $0.deployedAt > $1.deployedAt }.prefix(5)
            return [
                .reply(
                    reply,
                    .refused(
                        code: "not_found",
                        message: "Rewind has not seen deployment \(deploymentID) of \(service); recent ones: "
                            + (recent.isEmpty ? "none" : recent.map(\.id).joined(separator: ", "))))
            ]
        }
        if isInIncident(service) {
            return [
                .reply(
                    reply,
                    .refused(
                        code: "refused",
                        message: "\(service) is in an incident; mark a deployment good once it has ended"))
            ]
        }
        switch deployment.trust {
        case .bad:
            return [
                .reply(
                    reply,
                    .refused(
                        code: "refused",
                        message:
                            "\(deployment.label) of \(service) was marked bad (a trigger fired or it was rolled back "
                            + "from); Rewind does not make it a rollback target again"))
            ]
        case .knownGood:
            return [.reply(reply, .refused(code: "unchanged", message: "\(deployment.label) is already known good"))]
        case .suspect:
            return [
                .record(
                    [.trust(service: service, deploymentID: deploymentID, .knownGood, at: now)], because: .markedGood,
                    reply: reply)
            ]
        }
    }

    private mutating func openIncident(
        _ kind: IncidentOpening.Kind, _ incident: Incident, decision: Decision?, ledger: [LedgerChange],
        escalations: [EscalationPlanner.Moment], holding services: [ServiceName], violation: Violation?, attempts: Int,
        monitoringSource: String? = nil, reply: RequestID? = nil, freeze: Duration? = nil, requestedBy: String? = nil
    ) -> SupervisorAction {
        drafts += 1
        let draft = DraftID(drafts)
        openings[draft] = PendingOpening(
            services: services, ledger: ledger, violation: violation, attempts: attempts + 1,
            monitoringSource: monitoringSource)
        return .open(
            IncidentOpening(
                draft: draft, kind: kind, incident: incident, decision: decision, ledger: ledger,
                escalations: escalations,
                reply: reply, freeze: freeze, requestedBy: requestedBy))
    }

    private mutating func opened(_ draft: DraftID, _ incident: Incident, now: Timestamp) -> [SupervisorAction] {
        guard let pending = openings.removeValue(forKey: draft) else { return [] }
        pending.ledger.forEach { book.apply($0, at: now) }
        if let source = pending.monitoringSource { monitoringIncidents[source] = incident.id }
        guard incident.status == .open else { return [] }
        incidents[incident.id] = incident.services
        return [.run(incident, resume: false)]
    }

    /// The store did not take the incident: nothing of it happened (not even the bad mark), so the
    /// violation is tried again with backoff — until it is recorded, or its trigger recovers.
    private mutating func openingFailed(_ draft: DraftID, reason: String, now: Timestamp) -> [SupervisorAction] {
        guard let pending = openings.removeValue(forKey: draft) else { return [] }
        if let source = pending.monitoringSource {
            // Forget the source's health: if it still fails, it is reported again after `failure_after`.
            monitoring[source] = nil
        }
        guard let violation = pending.violation else { return [] }
        let wait = min(Duration.seconds(1) * (1 << min(pending.attempts - 1, 6)), Self.longestRecordRetry)
        let retryAt = now + wait
        retries.append(PendingViolation(violation: violation, attempts: pending.attempts, retryAt: retryAt))
        var actions: [SupervisorAction] = [
            .note(.recordRetry(violation, attempt: pending.attempts, retryAt: retryAt, reason: reason))
        ]
        if pending.attempts == Self.recordAttemptsBeforePage {
            actions.append(.unrecorded(violation, attempts: pending.attempts, reason: reason))
        }
        return actions
    }

    // MARK: - Alerts and monitoring

    private mutating func receive(_ alert: ExternalAlert, now: Timestamp) -> [SupervisorAction] {
        guard policy.service(alert.service) != nil else { return [.note(.unknownService(alert))] }
        let event = alerts.receive(alert)
        switch event {
        case .fired(let violation):
            firing[violation.service, default: []].insert(violation.source)
            return [.note(.alert(alert, event))] + decide(violation, attempts: 0, now: now)
        case .resolved:
            firing[alert.service]?.remove(TriggerSource(.alert, alert.fingerprint))
            return [.note(.alert(alert, event))]
        case .repeated, .ignored:
            return [.note(.alert(alert, event))]
        }
    }

    private mutating func observeMonitoring(
        source: String, ok: Bool, at: Timestamp, detail: String, services: [ServiceName], now: Timestamp
    ) -> [SupervisorAction] {
        var health = monitoring[source] ?? MonitoringHealth(source: source, after: policy.monitoring.failureAfter)
        let event = health.observe(ok: ok, at: at, detail: detail)
        monitoring[source] = health
        switch event {
        case .failed(let since, let detail):
            let incident = Incident(
                id: 0, openedAt: now, closedAt: now, services: services, trigger: .monitoring, severity: .high,
                strategy: nil,
                status: .escalated, summary: "monitoring failure: \(source) has not answered since \(since)",
                reason: detail,
                mode: policy.mode)
            return [
                openIncident(
                    .monitoringFailure(source: source, since: since, detail: detail), incident, decision: nil,
                    ledger: [],
                    escalations: [], holding: [], violation: nil, attempts: 0, monitoringSource: source)
            ]
        case .recovered(let after):
            guard let id = monitoringIncidents.removeValue(forKey: source) else { return [] }
            return [.monitoringRecovered(incidentID: id, source: source, after: after)]
        case .none:
            return []
        }
    }

    // MARK: - Deployments

    /// What a platform listing taught: deployments Rewind did not know are recorded (suspect, not
    /// live); a live deployment that differs becomes live — unless the service is in an incident
    /// (Rewind is changing it) or the reading is stale.
    ///
    /// A live deployment that *restores* an older one (Railway rolls back by creating a new
    /// deployment) is taken as the one it restores, and the restoring one is not recorded at all:
    /// a rollback never looks like a new suspect deployment.
    private mutating func apply(_ report: TrackingReport, now: Timestamp) -> [SupervisorAction] {
        let service = report.service
        let known = Set(book.deployments(of: service).map(\.id))
        let floor = book.retentionFloor(service, newest: policy.retention.deploymentsPerService)
        var changes: [LedgerChange] = []
        var learnt: [String] = []
        for listed in report.listed
        where listed.restores == nil && !known.contains(listed.id) && !learnt.contains(listed.id) {
            if let floor, (listed.createdAt ?? now) < floor { continue }
            changes.append(
                .deployment(Self.deployment(service, listed, deployedAt: listed.createdAt ?? now), makeLive: false))
            learnt.append(listed.id)
        }
        var liveID: String?
        var restoredBy: String?
        if let platformLive = report.live {
            let servedID =
                platformLive.restores.flatMap { id in known.contains(id) || learnt.contains(id) ? id : nil }
                ?? platformLive.id
            if book.live(service)?.id != servedID {
                if isInIncident(service) || generation(of: service) != report.generation
                    || (lastClosed[service].map { $0 >= report.readAt } ?? false)
                {
                    return
                        (changes.isEmpty
                        ? []
                        : [
                            .record(
                                changes,
                                because: .learnt(
                                    platform: report.platform, newDeployments: learnt, live: nil, restoredBy: nil),
                                reply: nil)
                        ])
                        + [.note(.staleReading(service, deploymentID: servedID))]
                }
                let existing =
                    book.deployment(service, id: servedID)
                    ?? changes.lazy.compactMap { change -> Deployment? in
                        if case .deployment(let deployment, _) = change, deployment.id == servedID { return deployment }
                        return nil
                    }.first
                changes.removeAll {
                    if case .deployment(let deployment, _) = $0 { deployment.id == servedID } else { false }
                }
                changes += bakedOnReplacement(service, by: servedID, now: now)
                if freeze?.isActive(at: now) == true { freezeBreaches[service] = servedID }
                var live = existing ?? Self.deployment(service, platformLive, deployedAt: now)
                live.wasLive = true
                changes.append(.deployment(live, makeLive: true))
                liveID = servedID
                if servedID != platformLive.id { restoredBy = platformLive.id }
            }
        }
        guard !changes.isEmpty else { return [] }
        return [
            .record(
                changes,
                because: .learnt(
                    platform: report.platform, newDeployments: learnt, live: liveID, restoredBy: restoredBy), reply: nil
            )
        ]
    }

    /// A deployment learnt from the platform (its listing or its live reading): `listed`, so its
    /// version is the platform's.
    private static func deployment(
        _ service: ServiceName, _ listed: PlatformDeployment, deployedAt: Timestamp
    ) -> Deployment {
        Deployment(
            service: service, id: listed.id, version: listed.version ?? listed.id, deployedAt: deployedAt, listed: true)
    }

    /// Stored ledger changes enter the book; a new live deployment restarts its service's triggers.
    private mutating func stored(_ changes: [LedgerChange], now: Timestamp) -> [SupervisorAction] {
        var actions: [SupervisorAction] = []
        for change in changes {
            book.apply(change, at: now)
            if case .deployment(let deployment, _) = change, !isInIncident(deployment.service) {
                book.retain(deployment.service, newest: policy.retention.deploymentsPerService)
            }
            switch change {
            case .deployment(let deployment, let makeLive) where makeLive:
                generations[deployment.service, default: 0] += 1
                firing[deployment.service] = firing[deployment.service]?.filter { $0.kind == .alert }
                actions.append(
                    .resetTriggers(deployment.service, generation: generations[deployment.service, default: 0]))
                if freezeBreaches[deployment.service] == deployment.id {
                    freezeBreaches[deployment.service] = nil
                    actions += deployedDuringFreeze(deployment, now: now)
                }
            case .freeze(let freeze):
                self.freeze = freeze
            case .automation(let change):
                automation.apply(change)
            default:
                break
            }
        }
        return actions
    }

    /// The live deployment about to be replaced by `newLive`, marked known good when it ran its
    /// whole bake with no trigger firing — judged on the interval it was live, so a team deploying
    /// more often than the bake still gets rollback targets.
    private func bakedOnReplacement(_ service: ServiceName, by newLive: String, now: Timestamp) -> [LedgerChange] {
        guard let live = book.live(service), live.id != newLive, firing[service]?.isEmpty ?? true,
            BakeRule.becomesKnownGood(
                live, liveSince: book.liveSince(service) ?? live.deployedAt, lastViolation: nil, bake: policy.bake,
                now: now)
        else { return [] }
        return [.trust(service: service, deploymentID: live.id, .knownGood, at: now)]
    }

    /// A deployment went live during a freeze (and is stored live): the incident records it and tells
    /// people; with `freeze.enforce: rollback` it is rolled back like a fast rollback.
    private mutating func deployedDuringFreeze(_ deployment: Deployment, now: Timestamp) -> [SupervisorAction] {
        guard let freeze else { return [] }
        let violation = Violation(
            service: deployment.service, trigger: .deployedDuringFreeze, severity: .high, at: now,
            rule: "deployed during the freeze until \(freeze.until) (\(freeze.explanation))",
            evidence: [Evidence(at: now, check: "freeze", result: "\(deployment.label) went live", latencyMs: 0)])
        switch policy.freezeEnforcement {
        case .rollback:
            return decide(violation, attempts: 0, now: now)
        case .notify:
            let detail =
                "\(deployment.label) went live on \(deployment.service) while deployments are frozen until \(freeze.until) "
                + "(\(freeze.explanation)); freeze.enforce is notify, so it stays"
            let incident = Incident(
                id: 0, openedAt: now, closedAt: now, services: [deployment.service], trigger: .deployedDuringFreeze,
                severity: .high,
                strategy: nil, status: .escalated, summary: "\(deployment.service): deployed during the freeze",
                violation: violation,
                mode: policy.mode)
            return [
                openIncident(
                    .escalation(.deployedDuringFreeze, detail: detail), incident,
                    decision: .escalate(.deployedDuringFreeze, detail: detail),
                    ledger: [], escalations: [], holding: [], violation: nil, attempts: 0)
            ]
        }
    }

    // MARK: - Time

    /// Bakes suspect live deployments whose bake period passed with no trigger of their service
    /// firing, and retries violations that are due.
    private mutating func tick(now: Timestamp) -> [SupervisorAction] {
        var actions: [SupervisorAction] = []
        for service in policy.services where firing[service.name]?.isEmpty ?? true {
            guard let live = book.live(service.name),
                BakeRule.becomesKnownGood(
                    live, liveSince: book.liveSince(service.name) ?? live.deployedAt, lastViolation: nil,
                    bake: policy.bake, now: now)
            else { continue }
            actions.append(
                .record(
                    [.trust(service: service.name, deploymentID: live.id, .knownGood, at: now)], because: .baked,
                    reply: nil))
        }
        let due = retries.filter { $0.retryAt <= now }
        retries.removeAll { $0.retryAt <= now }
        for pending in due {
            actions += decide(pending.violation, attempts: pending.attempts, now: now)
        }
        return actions
    }
}
