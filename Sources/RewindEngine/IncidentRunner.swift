import Logging
import Metrics
import RewindCore
import RewindPorts

/// Drives one incident's ``IncidentMachine``: performs the actions it returns (notify, freeze,
/// run a step, verify, finish) and feeds the results back, until it finishes. One task owns the
/// machine; steps and verifications run as child tasks.
struct IncidentRunner: Sendable {
    let engine: RewindEngine
    let incident: Incident
    var deps: EngineDependencies { engine.deps }

    enum Event: Sendable {
        case step(String, StepOutcome)
        case verified(ServiceName, passed: Bool, results: [String])
    }

    /// What the notices need to say, gathered as the incident runs.
    struct Progress: Sendable {
        var outcomes: [String: StepOutcome] = [:]
        var verification: [ServiceName: [String]] = [:]
    }

    func run(resume records: [StepRecord]?) async {
        guard let plan = incident.plan else { return }
        var machine = IncidentMachine(plan: plan, mode: incident.mode)
        var progress = Progress()
        var actions: [IncidentAction]
        let journal = Dictionary((records ?? []).map { ($0.stepID, $0) }, uniquingKeysWith: { _, latest in latest })
        if records != nil {
            var finished: [String: StepOutcome] = [:]
            var verified: [ServiceName: Bool] = [:]
            for step in plan.steps {
                if let outcome = journal[step.id]?.outcome { finished[step.id] = outcome }
                if let outcome = journal[Self.verifyID(step.service)]?.outcome { verified[step.service] = outcome.isSuccess }
            }
            progress.outcomes = finished
            actions = machine.resume(finishedSteps: finished, verified: verified)
        } else {
            actions = machine.start()
        }
        await withTaskGroup(of: Event.self) { group in
            while true {
                // Shutting down: leave the incident open, exactly as journaled, for the next daemon.
                guard !Task.isCancelled else { return }
                await recordSkipped(machine, &progress)
                for action in actions {
                    await perform(action, machine: machine, progress: progress, journal: journal, group: &group)
                }
                actions = []
                guard let event = await group.next() else { break }
                switch event {
                case .step(let id, let outcome):
                    progress.outcomes[id] = outcome
                    actions = machine.stepFinished(id, outcome)
                case .verified(let service, let passed, let results):
                    progress.verification[service] = results
                    actions = machine.verificationFinished(service, passed: passed)
                }
            }
        }
    }

    static func verifyID(_ service: ServiceName) -> String { "verify-\(service)" }

    /// Steps the machine settled without running them (a step they depend on failed, or a watch
    /// made them unnecessary) are journaled like any outcome.
    private func recordSkipped(_ machine: IncidentMachine, _ progress: inout Progress) async {
        for step in plan.steps where progress.outcomes[step.id] == nil {
            guard case .done(let outcome) = machine.steps[step.id] else { continue }
            switch outcome {
            case .skipped, .notNeeded: break
            default: continue
            }
            progress.outcomes[step.id] = outcome
            try? await deps.store.recordStep(StepRecord(incidentID: incident.id, stepID: step.id, state: .done(outcome), at: deps.clock.now))
            try? await engine.append(incident.id, .stepOutcome, "\(step.id): \(outcome.summary)",
                                     detail: .object(["step": .string(step.id), "success": .bool(outcome.isSuccess)]))
            deps.observer(.stepFinished(incidentID: incident.id, stepID: step.id, outcome))
        }
    }

    var plan: Plan { incident.plan ?? Plan(strategy: .fast, steps: [], freeze: nil) }

    private func perform(_ action: IncidentAction, machine: IncidentMachine, progress: Progress, journal: [String: StepRecord],
                         group: inout TaskGroup<Event>) async {
        switch action {
        case .notify(let kind):
            let failures = progress.outcomes.values.compactMap { outcome -> String? in
                outcome.isSuccess ? nil : outcome.summary
            } + progress.verification.compactMap { service, results in
                machine.verifications[service] == .done(passed: false) ? "\(service) verification failed: \(results.last ?? "")" : nil
            }
            await notify(kind, machine: machine, progress: progress, error: failures.isEmpty ? nil : failures.joined(separator: "; "))
        case .freezeDeployments(let duration):
            let now = deps.clock.now
            let freeze = Freeze(until: now + duration, reason: "incident #\(incident.id): \(incident.summary)", setAt: now, incidentID: incident.id)
            do {
                if let existing = try await deps.store.currentFreeze(), existing.isActive(at: now), existing.until >= freeze.until {
                    try await engine.append(incident.id, .freeze, "deployments already frozen until \(existing.until)")
                } else {
                    try await deps.store.setFreeze(freeze)
                    try await engine.append(incident.id, .freeze, "deployments frozen for \(duration.rewindDescription), until \(freeze.until)")
                }
            } catch {
                engine.logFailure("could not freeze deployments", error, incident: incident.id)
            }
        case .runStep(let step):
            let prior = journal[step.id]
            group.addTask { .step(step.id, await self.execute(step, prior: prior)) }
        case .verify(let service):
            group.addTask {
                let (passed, results) = await self.verify(service)
                return .verified(service, passed: passed, results: results)
            }
        case .finish(let outcome):
            await finish(outcome, progress: progress)
        }
    }

    private func finish(_ outcome: IncidentOutcome, progress: Progress) async {
        var closed = incident
        closed.status = IncidentStatus(outcome)
        closed.closedAt = deps.clock.now
        Counter(label: "rewind_rollbacks_total", dimensions: [("strategy", incident.strategy?.rawValue ?? "none"), ("outcome", outcome.rawValue)]).increment()
        do {
            if outcome == .failed {
                let verificationFailed = progress.outcomes.values.allSatisfy(\.isSuccess)
                let reason: EscalationReason = verificationFailed ? .verificationFailed : .rollbackFailed
                try await engine.append(incident.id, .escalation, "escalated to people: \(reason.sentence)", detail: .object(["reason": .string(reason.rawValue)]))
                Counter(label: "rewind_escalations_total", dimensions: [("reason", reason.rawValue)]).increment()
            }
            try await engine.append(incident.id, .closed, "incident \(outcome.rawValue) after \((closed.closedAt! - incident.openedAt).rewindDescription)")
            // An acknowledgement may have arrived while the incident ran.
            if let stored = try await deps.store.incident(id: incident.id) {
                closed.acknowledgedAt = stored.acknowledgedAt
                closed.acknowledgedBy = stored.acknowledgedBy
            }
            try await deps.store.updateIncident(closed)
        } catch {
            engine.logFailure("could not close the incident", error, incident: incident.id)
        }
        switch outcome {
        case .completed, .observed:
            await engine.stopEscalation(incidentID: incident.id, because: "the incident \(outcome.rawValue)")
        case .failed:
            await engine.stopEscalation(incidentID: incident.id, because: "the rollback failed; escalating immediately")
            await engine.freezeAll(incidentID: incident.id, reason: "rollback failed")
            if closed.acknowledgedAt == nil { await engine.scheduleEscalation(.rollbackFailed, incidentID: incident.id) }
        case .escalated:
            break
        }
        await engine.closeOut(closed)
        await engine.closed(closed)
    }

    // MARK: - Notifications

    func notify(_ kind: NoticeKind, machine: IncidentMachine?, progress: Progress = Progress(), error: String? = nil) async {
        await engine.announce(makeNotice(kind, machine: machine, progress: progress, error: error), to: engine.channels(for: kind))
    }

    func makeNotice(_ kind: NoticeKind, machine: IncidentMachine?, progress: Progress, error: String?) -> Notice {
        let now = deps.clock.now
        var actions: [String] = []
        if let plan = incident.plan {
            for step in plan.steps {
                var line = "\(step.summary(wouldOnly: kind == .wouldRollBack)) (timeout \(step.timeout.rewindDescription))"
                if let outcome = progress.outcomes[step.id] { line += ": \(outcome.summary)" }
                actions.append(line)
            }
            if let freeze = plan.freeze { actions.append("\(kind == .wouldRollBack ? "would freeze" : "freeze") deployments for \(freeze.rewindDescription)") }
            if let deadline = plan.deadline { actions.append("all steps within \(deadline.rewindDescription)") }
            if !plan.verify { actions.append("verification skipped: forced by an operator") }
        }
        if kind == .escalated && incident.plan == nil { actions.append("no rollback; people notified") }
        let status: String
        switch kind {
        case .initiated: status = "rolling back"
        case .completed:
            let contained = progress.outcomes.values.contains { if case .improved = $0 { true } else { false } }
            status = contained ? "contained: the traffic cut brought the service back; nothing rolled back, the new version keeps its reduced share"
                : plan.verify ? "completed and verified" : "completed; verification skipped (forced)"
        case .failed: status = "failed; manual intervention needed"
        case .escalated: status = "escalated"
        case .wouldRollBack: status = "observe mode: nothing done"
        }
        let verification = progress.verification.sorted { $0.key < $1.key }.flatMap { service, results in results.map { "\(service): \($0)" } }
        let evidence = incident.violation.map { violation in
            ["\(violation.rule)"] + (violation.signal.map { ["query: \($0.query)"] } ?? [])
                + violation.evidence.map { $0.value != nil || violation.alert != nil ? "\($0.at.iso8601) \($0.result)" : "\($0.at.iso8601) \($0.check) \($0.result) (\($0.latencyMs) ms)" }
        } ?? (incident.reason.map { ["operator: \($0)"] } ?? [])
        return Notice(
            kind: kind, incidentID: incident.id, services: incident.services, trigger: incident.trigger, severity: incident.severity,
            timestamp: now, strategy: incident.strategy, actions: actions.map(deps.redactor.redact),
            durationMs: kind == .initiated ? nil : (now - incident.openedAt).milliseconds, status: status,
            verificationResults: verification, error: error.map(deps.redactor.redact), evidence: evidence)
    }
}

extension RewindEngine {
    func logFailure(_ what: String, _ error: any Error, incident: Int64) {
        deps.logger.error("\(what)", metadata: ["rewind.incident.id": "\(incident)", "rewind.error": "\(deps.redactor.redact(String(describing: error)))"])
    }
}
