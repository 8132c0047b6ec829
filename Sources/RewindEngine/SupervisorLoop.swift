import Logging
import RewindCore
import RewindPorts

/// What reaches the supervisor's task: an event, or a request whose caller waits for the answer.
enum SupervisorCommand: Sendable {
    case event(SupervisorEvent)
    case request(EngineRequest, CheckedContinuation<EngineReply, Never>)
    /// A promote of the service ended (whatever its outcome): another may start.
    case promotionEnded(ServiceName)
    /// A reloaded configuration (`rewind serve` on SIGHUP): the engine applies it between two
    /// commands, so no decision ever sees half of it (``RewindEngine/reload(_:)``).
    case reload(EngineDependencies, CheckedContinuation<Result<Void, EngineRefusal>, Never>)
    /// A signal watcher saw an early warning: the loop, as the single writer, queues its notice.
    case earlyWarning(EarlyWarning, severity: Severity, query: String)
    /// Answered once every command sent before it has been handled.
    case handled(Answer<Bool>)
}

/// An operator's request to the engine.
enum EngineRequest: Sendable {
    case rollback(ManualRollbackRequest)
    case record(Deployment)
    case freeze(Freeze?)
    case automation(AutomationChange)
    case markGood(service: ServiceName, deploymentID: String)
    case acknowledge(incidentID: Int64, by: String)
    /// A post-rollback task changes state (no decision: the loop writes it, as the single writer).
    case updateTask(incidentID: Int64, taskID: String, state: IncidentTask.State, note: String?, by: String?)
    /// `rewind promote`: the new version a gradual incident contained gets all the traffic (see ``Promotion``).
    case promote(ServiceName, by: String)
}

/// The engine's answer to a request.
enum EngineReply: Sendable {
    case incident(Int64)
    case deployment(Deployment)
    case acknowledged(Incident)
    case task(IncidentTask)
    case promoted(PromotionResult)
    case done
    case refused(EngineRefusal)
}

/// The thin loop around the ``Supervisor`` machine: it feeds the machine one command at a time,
/// carries out the actions it returns — writing the record, starting incident runners, answering
/// requests — and feeds back what it stored. It owns the machine: the single writer of decisions.
struct SupervisorLoop {
    var machine: Supervisor
    let store: any RewindStore
    let journal: Journal
    private(set) var records: IncidentRecords
    private(set) var dispatcher: NoticeDispatcher
    private(set) var escalations: Doorbell
    let board: StatusBoard
    let clock: any RewindClock
    private(set) var redactor: Redactor
    let metrics: RewindMetrics
    let observer: @Sendable (EngineEvent) -> Void
    let logger: Logger
    /// Starts a runner for a new incident (with its started machine) or a resumed one (nil).
    let startRunner: @Sendable (Incident, IncidentStart?) -> Void
    /// Resolves those waiting for an incident to close.
    let closed: @Sendable (Incident) -> Void
    /// Runs a promote the loop accepted; its caller waits on the continuation for the answer.
    let startPromotion: @Sendable (PendingPromotion, CheckedContinuation<EngineReply, Never>) -> Void
    /// Services being promoted now: one promote per service at a time.
    private var promoting: Set<ServiceName> = []

    private var waiting: [RequestID: (request: EngineRequest, reply: CheckedContinuation<EngineReply, Never>)] = [:]
    private var requests: UInt64 = 0
    /// Answers decided while an event is handled, given once the board shows its outcome.
    private var answers: [(CheckedContinuation<EngineReply, Never>, EngineReply)] = []
    /// Runners of incidents just opened, waiting for the supervisor's `run` action.
    private var starts: [DraftID: IncidentStart] = [:]
    private var opened: [Int64: DraftID] = [:]

    init(
        machine: Supervisor, store: any RewindStore, journal: Journal, records: IncidentRecords,
        dispatcher: NoticeDispatcher,
        escalations: Doorbell, board: StatusBoard, clock: any RewindClock, redactor: Redactor,
        metrics: RewindMetrics, observer: @escaping @Sendable (EngineEvent) -> Void, logger: Logger,
        startRunner: @escaping @Sendable (Incident, IncidentStart?) -> Void,
        closed: @escaping @Sendable (Incident) -> Void,
        startPromotion: @escaping @Sendable (PendingPromotion, CheckedContinuation<EngineReply, Never>) -> Void
    ) {
        self.startPromotion = startPromotion
        self.machine = machine
        self.store = store
        self.journal = journal
        self.records = records
        self.dispatcher = dispatcher
        self.escalations = escalations
        self.board = board
        self.clock = clock
        self.redactor = redactor
        self.metrics = metrics
        self.observer = observer
        self.logger = logger
        self.startRunner = startRunner
        self.closed = closed
    }

    // MARK: Commands

    /// A reloaded policy: the machine decides by it from the next command on (see
    /// ``Supervisor/reconfigure(policy:trafficControlled:pages:)``), and new incidents are recorded,
    /// routed and escalated by the parts built for it.
    mutating func reconfigure(
        policy: Policy, trafficControlled: Set<ServiceName>, pages: [ServiceName: DeploymentBook.Page],
        records: IncidentRecords, dispatcher: NoticeDispatcher, escalations: Doorbell, redactor: Redactor
    ) {
        machine.reconfigure(policy: policy, trafficControlled: trafficControlled, pages: pages)
        self.records = records
        self.dispatcher = dispatcher
        self.escalations = escalations
        self.redactor = redactor
        board.publish(machine)
    }

    /// Takes over the incidents a previous daemon left open.
    mutating func restore(_ open: [Incident]) async {
        for action in machine.restore(openIncidents: open) { await perform(action) }
        board.publish(machine)
    }

    mutating func handle(_ command: SupervisorCommand) async {
        switch command {
        case .event(let event):
            if case .violation(let violation) = event { metrics.violation(violation) }
            await feed(event)
        case .request(let request, let reply):
            requests += 1
            let id = RequestID(requests)
            waiting[id] = (request, reply)
            switch request {
            case .rollback(let rollback): await feed(.manualRollback(rollback, id))
            case .record(let deployment): await feed(.deploymentReported(deployment, id))
            case .freeze(let freeze): await feed(.freeze(freeze, id))
            case .automation(let change): await feed(.automation(change, id))
            case .markGood(let service, let deploymentID):
                await feed(.markGood(service: service, deploymentID: deploymentID, id))
            case .acknowledge(let incidentID, let by): await feed(.acknowledge(incidentID: incidentID, by: by, id))
            case .updateTask(let incidentID, let taskID, let state, let note, let by):
                answer(id, await updateTask(incidentID: incidentID, taskID: taskID, state: state, note: note, by: by))
            case .promote(let service, let by):
                await promote(service, by: by, id)
            }
        case .promotionEnded(let service):
            promoting.remove(service)
        case .earlyWarning(let warning, let severity, let query):
            await notify(warning, severity: severity, query: query)
        case .handled(let answer):
            answer.give(true)
        case .reload(_, let reply):
            // The engine applies reloads around the loop; one that reaches it has nothing to apply to.
            reply.resume(
                returning: .failure(EngineRefusal(code: "not_running", message: "the engine is not supervising")))
        }
        board.publish(machine)
        let given = answers
        answers = []
        for (reply, answer) in given { reply.resume(returning: answer) }
    }

    private mutating func feed(_ event: SupervisorEvent) async {
        for action in machine.handle(event, now: clock.now) {
            for followUp in await perform(action) {
                await feed(followUp)
            }
        }
    }

    /// Queues an early warning's notice for the channels that subscribe to `early_warning` (none: nothing is
    /// written). It is about no incident and changes no state: the outbox entries are the whole write.
    private func notify(_ warning: EarlyWarning, severity: Severity, query: String) async {
        let notices = records.notices
        let notice = notices.earlyWarning(warning, severity: severity, query: query)
        let channels = notices.subscribers(of: notice)
        guard !channels.isEmpty else { return }
        var change = StateChange()
        change.outbox = notices.entries(notice, to: channels, now: clock.now)
        do {
            let committed = try await journal.commit(change)
            dispatcher.deliverNow(committed.outbox)
        } catch {
            log("could not queue an early warning", error)
        }
    }

    private mutating func answer(_ id: RequestID?, _ reply: EngineReply) {
        guard let id, let waiter = waiting.removeValue(forKey: id) else { return }
        answers.append((waiter.reply, reply))
    }

    // MARK: Actions

    /// Carries out one action; returns what the machine must hear back.
    @discardableResult
    private mutating func perform(_ action: SupervisorAction) async -> [SupervisorEvent] {
        switch action {
        case .open(let opening):
            return await open(opening)
        case .run(let incident, let resume):
            if resume {
                startRunner(incident, nil)
            } else if let draft = opened.removeValue(forKey: incident.id), let start = starts.removeValue(forKey: draft)
            {
                startRunner(incident, start)
            }
            return []
        case .abandon(let incident):
            var failed = incident
            failed.status = .failed
            failed.closedAt = clock.now
            var change = StateChange()
            change.incidentUpdate = failed
            do { _ = try await journal.commit(change) } catch {
                log("could not close an incident that cannot be resumed", error)
            }
            return []
        case .record(let changes, let reason, let reply):
            return await record(changes, because: reason, reply: reply)
        case .resetTriggers:
            return []
        case .acknowledge(let incidentID, let by, let reply):
            answer(reply, await acknowledge(incidentID, by: by))
            return []
        case .monitoringRecovered(let incidentID, let source, let after):
            var change = StateChange()
            change.timeline = [
                records.entry(
                    .monitoring, "\(source) answers again after \(after.rewindDescription)", now: clock.now,
                    incidentID: incidentID)
            ]
            do { _ = try await journal.commit(change) } catch { log("could not note a monitoring recovery", error) }
            return []
        case .unrecorded(let violation, let attempts, let reason):
            pageDirectly(violation, attempts: attempts, reason: reason)
            return []
        case .reply(let id, .refused(let code, let message)):
            answer(id, .refused(EngineRefusal(code: code, message: message)))
            return []
        case .note(let note):
            self.note(note)
            return []
        }
    }

    private mutating func open(_ opening: IncidentOpening) async -> [SupervisorEvent] {
        let now = clock.now
        let current = try? await store.currentFreeze()
        let written = records.open(opening, freeze: current ?? nil, now: now)
        let committed: CommittedChange
        do {
            committed = try await journal.commit(written.change)
        } catch {
            let reason = redactor.redact(String(describing: error))
            log("could not record an incident", error)
            metrics.recordFailed()
            answer(
                opening.reply,
                .refused(EngineRefusal(code: "store_failed", message: "could not record the rollback: \(reason)")))
            return [.openingFailed(opening.draft, reason: reason)]
        }
        guard let id = committed.incidentID else { return [] }
        var incident = opening.incident
        incident.id = id
        if let decision = opening.decision { observer(.decision(incidentID: incident.id, decision)) }
        switch opening.kind {
        case .rollback(let plan, _, _, _, _):
            metrics.incidentOpened(trigger: incident.trigger, strategy: plan.strategy)
            if let start = written.start {
                starts[opening.draft] = start
                opened[incident.id] = opening.draft
            }
        case .escalation(let reason, _):
            metrics.escalated(reason)
        case .monitoringFailure(let source, _, _):
            metrics.monitoringFailed(source: source)
        }
        dispatcher.deliverNow(committed.outbox)
        if opening.escalations.contains(.securityTrigger) { escalations.ring() }
        var followUps: [SupervisorEvent] = []
        if case .set(var freeze) = written.change.freeze {
            if freeze.incidentID == StateChange.newIncidentID { freeze.incidentID = id }
            followUps.append(.frozen(freeze))
        }
        answer(opening.reply, .incident(incident.id))
        if opening.closesAtOnce {
            observer(.incidentClosed(incident))
            closed(incident)
            return followUps + [.opened(opening.draft, incident), .incidentClosed(incident)]
        }
        return followUps + [.opened(opening.draft, incident)]
    }

    private mutating func record(
        _ changes: [LedgerChange], because reason: RecordReason, reply: RequestID?
    ) async -> [SupervisorEvent] {
        var change = StateChange()
        change.record(changes, at: clock.now)
        do {
            _ = try await journal.commit(change)
        } catch {
            log("could not record a change of deployments", error)
            answer(
                reply,
                .refused(EngineRefusal(code: "store_failed", message: redactor.redact("could not record it: \(error)")))
            )
            return []
        }
        switch reason {
        case .baked:
            for case .trust(let service, let id, _, let at) in changes {
                if var promoted = machine.book.deployment(service, id: id) {
                    promoted = promoted.settingTrust(.knownGood, at: at)
                    observer(.deploymentKnownGood(promoted))
                }
                logger.info(
                    "deployment is known good",
                    metadata: ["rewind.service": "\(service)", "rewind.deployment": "\(id)"])
            }
        case .learnt(let platform, let learnt, let live, let restoredBy):
            guard
                let service = changes.lazy.compactMap({ change -> ServiceName? in
                    if case .deployment(let deployment, _) = change { return deployment.service }
                    return nil
                }).first
            else { break }
            if !learnt.isEmpty {
                logger.info(
                    "learnt deployments from the platform",
                    metadata: [
                        "rewind.service": "\(service)", "rewind.platform": "\(platform)",
                        "rewind.count": "\(learnt.count)",
                        "rewind.deployments": "\(learnt.prefix(5).joined(separator: ", "))",
                    ])
            }
            if let live {
                var metadata: Logger.Metadata = [
                    "rewind.service": "\(service)", "rewind.deployment": "\(live)",
                    "rewind.previous": "\(machine.book.live(service)?.id ?? "-")",
                ]
                if let restoredBy { metadata["rewind.restored_by"] = "\(restoredBy)" }
                logger.info("learnt the live deployment from the platform", metadata: metadata)
            }
        case .reported:
            for case .deployment(let deployment, _) in changes {
                answer(reply, .deployment(deployment))
            }
        case .freeze:
            answer(reply, .done)
        case .automation:
            for case .automation(let change) in changes { log(change) }
            answer(reply, .done)
        case .markedGood:
            for case .trust(let service, let id, _, let at) in changes {
                if let marked = machine.book.deployment(service, id: id) {
                    let known = marked.settingTrust(.knownGood, at: at)
                    observer(.deploymentKnownGood(known))
                    answer(reply, .deployment(known))
                }
                logger.notice(
                    "deployment marked known good by hand",
                    metadata: ["rewind.service": "\(service)", "rewind.deployment": "\(id)"])
            }
        case .markedBad:
            break
        }
        return [.recorded(changes)]
    }

    /// A person is on it: the incident is marked acknowledged and its escalation stops, in one write.
    private func acknowledge(_ id: Int64, by: String) async -> EngineReply {
        do {
            guard var incident = try await store.incident(id: id) else {
                return .refused(EngineRefusal(code: "not_found", message: "there is no incident #\(id)"))
            }
            if let at = incident.acknowledgedAt {
                return .refused(
                    EngineRefusal(
                        code: "already_acknowledged",
                        message: "incident #\(id) was acknowledged by \(incident.acknowledgedBy ?? "someone") at \(at)")
                )
            }
            let now = clock.now
            incident.acknowledgedAt = now
            incident.acknowledgedBy = by
            let pending = try await store.escalations(incidentID: id).filter { $0.state == .pending }
            var change = StateChange()
            change.incidentUpdate = incident
            change.timeline = [records.entry(.acknowledged, "acknowledged by \(by)", now: now, incidentID: id)]
            if !pending.isEmpty {
                change.cancelTimersOfIncident = id
                change.timeline.append(
                    records.entry(
                        .escalation, "escalation stopped (\(pending.count) pending): acknowledged by \(by)", now: now,
                        incidentID: id))
            }
            _ = try await journal.commit(change)
            return .acknowledged(incident)
        } catch {
            return .refused(
                EngineRefusal(
                    code: "store_failed", message: redactor.redact("could not acknowledge incident #\(id): \(error)")))
        }
    }

    private func updateTask(
        incidentID: Int64, taskID: String, state: IncidentTask.State, note: String?, by: String?
    ) async
        -> EngineReply
    {
        do {
            guard var task = try await store.tasks(incidentID: incidentID).first(where: { $0.id == taskID }) else {
                return .refused(
                    EngineRefusal(code: "not_found", message: "incident #\(incidentID) has no task \(taskID)"))
            }
            let now = clock.now
            task.state = state
            task.note = note ?? task.note
            task.updatedAt = now
            var change = StateChange(taskUpdates: [task])
            change.timeline = [
                records.entry(
                    .task,
                    "task \(taskID) is now \(state.rawValue)" + (by.map { " (by \($0))" } ?? "")
                        + (note.map { ": \($0)" } ?? ""),
                    now: now, incidentID: incidentID)
            ]
            try await journal.commit(change)
            return .task(task)
        } catch {
            return .refused(
                EngineRefusal(code: "store_failed", message: redactor.redact("could not update the task: \(error)")))
        }
    }

    /// Accepts a promote when there is something to promote and nothing else moves the service
    /// (an incident in progress, another promote); the promote itself runs beside the loop and
    /// answers its caller.
    private mutating func promote(_ service: ServiceName, by actor: String, _ id: RequestID) async {
        func refuse(_ code: String, _ message: String) {
            answer(id, .refused(EngineRefusal(code: code, message: message)))
        }
        guard machine.policy.service(service) != nil else {
            return refuse(
                "unknown_service",
                "unknown service '\(service)'; known: \(machine.policy.services.map(\.name.rawValue).joined(separator: ", "))"
            )
        }
        guard !machine.isInIncident(service) else {
            return refuse(
                "in_incident", "\(service) has an incident in progress; promote once it has ended (rewind status)")
        }
        guard !promoting.contains(service) else {
            return refuse("in_progress", "a promote of \(service) is already running")
        }
        let finding: Promotion.Finding
        do {
            var recent: [(Incident, [IncidentTask])] = []
            for incident in try await store.incidents(limit: 500)
            where incident.strategy == .gradual && incident.status == .completed && incident.services.contains(service)
            {
                recent.append((incident, try await store.tasks(incidentID: incident.id)))
            }
            finding = Promotion.find(
                service: service, incidents: recent, live: try await store.liveDeployment(of: service))
        } catch {
            return refuse("store_failed", redactor.redact("could not read what there is to promote: \(error)"))
        }
        switch finding {
        case .nothing(let why):
            refuse("nothing_to_promote", why)
        case .promote(let target):
            guard machine.trafficControlled.contains(service) else {
                return refuse(
                    "no_traffic_control",
                    "no traffic control is configured for \(service) (traffic: in its policy): Rewind cannot give \(target.cut.from.label) all the traffic"
                )
            }
            guard let waiter = waiting.removeValue(forKey: id) else { return }
            promoting.insert(service)
            startPromotion(PendingPromotion(target: target, actor: actor), waiter.reply)
        }
    }

    /// The store does not take a violation's incident: people hear of it on every channel at
    /// once, outside the outbox (which lives in the same store).
    private func pageDirectly(_ violation: Violation, attempts: Int, reason: String) {
        logger.critical(
            "a violation could not be recorded; paging every channel directly",
            metadata: [
                "rewind.service": "\(violation.service)", "rewind.trigger": "\(violation.trigger.rawValue)",
                "rewind.attempts": "\(attempts)", "rewind.error": "\(redactor.redact(reason))",
            ])
        let incident = Incident(
            id: 0, openedAt: clock.now, services: [violation.service], trigger: violation.trigger, severity: .critical,
            strategy: nil, status: .escalated, summary: "\(violation.service): \(violation.trigger.rawValue)",
            violation: violation)
        let notice = records.notices.notice(
            .escalated, incident: incident,
            error:
                "Rewind could not record this violation after \(attempts) attempts (\(reason)); it keeps trying: check its state database",
            now: clock.now)
        dispatcher.sendDirectly(notice)
    }

    private func note(_ note: SupervisorNote) {
        switch note {
        case .ignored(let violation, let reason):
            observer(.decision(incidentID: nil, .ignore(reason)))
            logger.info(
                "no action", metadata: ["rewind.service": "\(violation.service)", "rewind.reason": "\(reason)"])
        case .alert(let alert, let event):
            switch event {
            case .fired(let violation):
                metrics.alert(outcome: "fired")
                metrics.violation(violation)
                observer(.violation(violation))
                logger.warning(
                    "alert fired",
                    metadata: [
                        "rewind.service": "\(alert.service)", "rewind.alert": "\(alert.name)",
                        "rewind.trigger": "\(violation.trigger.rawValue)",
                    ])
            case .repeated:
                metrics.alert(outcome: "repeated")
            case .resolved(let service, let name):
                metrics.alert(outcome: "resolved")
                logger.info("alert resolved", metadata: ["rewind.service": "\(service)", "rewind.alert": "\(name)"])
            case .ignored(let why):
                metrics.alert(outcome: "ignored")
                logger.info("alert recorded, not a trigger", metadata: ["rewind.reason": "\(why)"])
            }
        case .unknownService(let alert):
            metrics.alert(outcome: "unknown_service")
            logger.warning(
                "alert for a service Rewind does not watch",
                metadata: ["rewind.service": "\(alert.service)", "rewind.alert": "\(alert.name)"])
        case .staleReading(let service, let deploymentID):
            logger.debug(
                "not switching the live deployment from a platform reading taken before Rewind changed it",
                metadata: ["rewind.service": "\(service)", "rewind.deployment": "\(deploymentID)"])
        case .recordRetry(let violation, let attempt, let retryAt, let reason):
            logger.error(
                "could not record a violation; retrying",
                metadata: [
                    "rewind.service": "\(violation.service)", "rewind.attempt": "\(attempt)",
                    "rewind.retry_at": "\(retryAt)",
                    "rewind.error": "\(redactor.redact(reason))",
                ])
        }
    }

    /// An operator paused or resumed automation: a notice in the log, as for a freeze.
    private func log(_ change: AutomationChange) {
        switch change {
        case .pause(let pause):
            logger.notice(
                "automation paused: violations are decided in observe mode",
                metadata: [
                    "rewind.service": "\(pause.service?.rawValue ?? AutomationPause.everyService)",
                    "rewind.actor": "\(pause.setBy ?? "-")", "rewind.reason": "\(redactor.redact(pause.reason))",
                ])
        case .resume(let service):
            logger.notice(
                "automation resumed",
                metadata: ["rewind.service": "\(service?.rawValue ?? AutomationPause.everyService)"])
        }
    }

    private func log(_ what: String, _ error: any Error) {
        logger.error("\(what)", metadata: ["rewind.error": "\(redactor.redact(String(describing: error)))"])
    }
}
