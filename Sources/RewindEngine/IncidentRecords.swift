import RewindCore
import RewindPorts

/// A new incident's state machine, started when it opened: the plan actions still to run, and the
/// steps whose intent the opening write already journaled (their executor calls the platform
/// without writing it again).
struct IncidentStart: Sendable {
    var machine: IncidentMachine
    var actions: [IncidentAction]
    var intentsJournaled: Set<String> = []
}

/// What an incident's record says, written once per change of its state. Opening one turns the
/// supervisor's decision into one write of the record: the incident,
/// its detection and decision, the ledger changes that go with it, its escalation timers and the
/// notices it causes — and, for a rollback, the first actions of its plan (the announcement and
/// the freeze), so that nothing the incident starts with can be lost between two writes.
struct IncidentRecords: Sendable {
    let policy: Policy
    let notices: Notices
    let redactor: Redactor
    let board: StatusBoard
    /// The kind of each service's platform provider (``PlatformProvider/kind``), for the intents
    /// journaled with the opening.
    var platformKinds: [ServiceName: String] = [:]

    /// The write, and for a rollback the incident's state machine already started with the plan
    /// actions still to run.
    struct Opening: Sendable {
        var change: StateChange
        var start: IncidentStart?
    }

    func open(_ opening: IncidentOpening, freeze current: Freeze?, now: Timestamp) -> Opening {
        let incident = opening.incident
        var change = StateChange(newIncident: incident)
        change.record(opening.ledger, at: now)
        var start: IncidentStart?
        switch opening.kind {
        case .rollback(let plan, let choices, let skipped, let notes, let forced):
            change.timeline.append(detection(incident, requestedBy: opening.requestedBy, now: now))
            var lines = choices.map { "roll back \($0.service) \($0.from.label) → \($0.to.label): \($0.reason)" }
            lines += skipped.map { "left alone: \($0)" }
            lines += notes
            if forced { lines.append("forced by an operator: verification after the rollback is skipped") }
            let services = incident.services.map(\.rawValue).joined(separator: ", ")
            change.timeline.append(
                entry(
                    .decision, "\(plan.strategy.rawValue) rollback of \(services); " + lines.joined(separator: "; "),
                    now: now,
                    detail: .object([
                        "strategy": .string(plan.strategy.rawValue),
                        "targets": .array(
                            choices.map {
                                .object([
                                    "service": .string($0.service.rawValue), "from": .string($0.from.id),
                                    "to": .string($0.to.id),
                                    "why": .string($0.reason),
                                ])
                            }),
                        "skipped": .array(skipped.map { .string($0) }),
                        "notes": .array(notes.map { .string($0) }),
                        "forced": .bool(forced),
                    ])))
            schedule(opening.escalations, into: &change, now: now)
            var machine = IncidentMachine(plan: plan, mode: incident.mode)
            var rest: [IncidentAction] = []
            var intents: Set<String> = []
            for action in machine.start() {
                switch action {
                case .notify(let kind):
                    change.outbox += notices.entries(
                        notices.notice(kind, incident: incident, machine: machine, now: now), now: now)
                case .freezeDeployments(let duration):
                    freeze(for: duration, incident: incident, current: current, into: &change, now: now)
                case .runStep(let step):
                    if step.action == .rollback, let kind = platformKinds[step.service] {
                        journalIntent(of: step, via: kind, into: &change, now: now)
                        intents.insert(step.id)
                    }
                    rest.append(action)
                case .verify, .finish:
                    rest.append(action)
                }
            }
            start = IncidentStart(machine: machine, actions: rest, intentsJournaled: intents)
        case .escalation(let reason, let detail):
            change.timeline.append(detection(incident, requestedBy: opening.requestedBy, now: now))
            change.timeline.append(
                entry(
                    .decision, "no rollback: \(detail)", now: now,
                    detail: .object(["escalation": .string(reason.rawValue)])))
            change.timeline.append(entry(.escalation, "escalated to people: \(reason.sentence)", now: now))
            change.outbox += notices.entries(
                notices.notice(.escalated, incident: incident, error: detail, now: now), now: now)
            if let duration = opening.freeze {
                freeze(for: duration, incident: incident, current: current, into: &change, now: now)
            }
            schedule(opening.escalations, into: &change, now: now)
            closeOut(incident, into: &change, now: now)
        case .monitoringFailure(let source, let since, let detail):
            change.timeline.append(entry(.monitoring, "\(source) failing since \(since): \(detail)", now: now))
            change.timeline.append(
                entry(
                    .decision, "no rollback: \(EscalationReason.monitoringFailure.sentence)", now: now,
                    detail: .object([
                        "escalation": .string(EscalationReason.monitoringFailure.rawValue), "source": .string(source),
                    ])))
            change.outbox += notices.entries(
                notices.notice(
                    .escalated, incident: incident, error: "\(source) has not answered since \(since): \(detail)",
                    now: now),
                now: now)
            closeOut(incident, into: &change, now: now)
        }
        return Opening(change: change, start: start)
    }

    /// A first rollback step's intent, written with the opening so that the platform is called after
    /// a single durable write (the same record and timeline entry the executor would write before
    /// its call: a restart finds the step intended and unanswered either way).
    private func journalIntent(of step: PlanStep, via kind: String, into change: inout StateChange, now: Timestamp) {
        change.steps.append(
            StepRecord(incidentID: StateChange.newIncidentID, stepID: step.id, state: .intent, at: now))
        change.timeline.append(
            entry(.stepIntent, StepExecutor.intent(of: step, label: "rollback", via: kind), now: now))
    }

    /// The post-rollback tasks and the observations around an incident that ended.
    func closeOut(_ incident: Incident, contained: Bool = false, into change: inout StateChange, now: Timestamp) {
        guard incident.status != .observed else { return }
        change.tasks += PostRollbackWork.tasks(
            incidentID: incident.id, at: now, postMortemWithin: policy.escalation.postMortemWithin,
            strategy: incident.strategy,
            canaryAnalysis: policy.strategies.canaryAnalysis, contained: contained)
        let samples = board.observations(of: Set(incident.services), from: incident.openedAt - .seconds(300), to: now)
        if !samples.isEmpty { change.samples.append(StateChange.Samples(incidentID: incident.id, samples)) }
    }

    /// The escalation timers of `moments`, with a timeline entry for each group.
    func schedule(
        _ moments: [EscalationPlanner.Moment], into change: inout StateChange, now: Timestamp, incidentID: Int64 = 0
    ) {
        for moment in moments {
            let timers = EscalationPlanner.timers(
                for: moment, incidentID: incidentID, at: now, policy: policy.escalation)
            guard let first = timers.first else { continue }
            let plan = timers.map { "\($0.audience.rawValue) at +\(($0.dueAt - now).rewindDescription)" }.joined(
                separator: ", ")
            change.newTimers += timers
            change.timeline.append(
                entry(
                    .escalation,
                    "\(first.policy.rawValue) escalation scheduled: \(plan) (\(first.reason)); acknowledging stops it",
                    now: now, incidentID: incidentID))
        }
    }

    /// Freezes deployments for `duration`, unless a freeze at least that long is already in force.
    func freeze(
        for duration: Duration, incident: Incident, current: Freeze?, into change: inout StateChange, now: Timestamp
    ) {
        let until = now + duration
        if let current, current.isActive(at: now), current.until >= until {
            change.timeline.append(
                entry(.freeze, "deployments already frozen until \(current.until)", now: now, incidentID: incident.id))
            return
        }
        // The incident's number is shown from `incidentID` (an incident being opened gets it when stored).
        change.freeze = .set(Freeze(until: until, reason: incident.summary, setAt: now, incidentID: incident.id))
        change.timeline.append(
            entry(
                .freeze, "deployments frozen for \(duration.rewindDescription), until \(until)", now: now,
                incidentID: incident.id))
    }

    func detection(_ incident: Incident, requestedBy: String? = nil, now: Timestamp) -> TimelineEvent {
        guard let violation = incident.violation else {
            let who = requestedBy.map { " by \($0)" } ?? ""
            return entry(
                .detected, "manual rollback requested\(who): \(incident.reason ?? "no reason given")", now: now,
                detail: requestedBy.map { .object(["actor": .string($0)]) })
        }
        let evidence = JSONValue.array(
            violation.evidence.map { item in
                var fields: [String: JSONValue] = [
                    "at": .string(item.at.iso8601), "check": .string(item.check), "result": .string(item.result),
                    "latency_ms": .number(Double(item.latencyMs)),
                ]
                if let value = item.value { fields["value"] = .number(value) }
                if let threshold = item.threshold { fields["threshold"] = .number(threshold) }
                if let baseline = item.baseline { fields["baseline"] = .number(baseline) }
                return .object(fields)
            })
        var detail: [String: JSONValue] = [
            "rule": .string(violation.rule), "trigger": .string(violation.trigger.rawValue), "evidence": evidence,
        ]
        if let signal = violation.signal {
            var fields: [String: JSONValue] = [
                "name": .string(signal.name), "measure": .string(signal.measure.rawValue),
                "query": .string(signal.query),
                "window": .string(signal.window.rewindDescription), "threshold": .string(signal.threshold),
            ]
            if let baseline = signal.baseline { fields["baseline"] = .string(signal.unit.format(baseline)) }
            detail["signal"] = .object(fields)
        }
        if let alert = violation.alert {
            detail["alert"] = .object([
                "origin": .string(alert.origin.rawValue), "name": .string(alert.name),
                "fingerprint": .string(alert.fingerprint),
                "summary": alert.summary.map(JSONValue.string) ?? .null,
            ])
        }
        return entry(.detected, violation.summary, now: now, detail: .object(detail))
    }

    func entry(
        _ kind: TimelineKind, _ message: String, now: Timestamp, detail: JSONValue? = nil, incidentID: Int64 = 0
    ) -> TimelineEvent {
        TimelineEvent(incidentID: incidentID, at: now, kind: kind, message: redactor.redact(message), detail: detail)
    }
}
