import Logging
import RewindCore
import RewindPorts
import Tracing

/// Drives one incident's ``IncidentMachine``: performs the actions it returns (run a step, verify,
/// notify, finish) and feeds the results back, until it finishes. One task owns the machine; steps
/// and verifications run as child tasks.
///
/// A runner touches only what its fields say: its incident's record (``IncidentRecorder``), the
/// step executor and the verifier.
struct IncidentRunner: Sendable {
    let incident: Incident
    let recorder: IncidentRecorder
    let records: IncidentRecords
    let executor: StepExecutor
    let verifier: Verifier
    let policy: Policy
    let clock: any RewindClock
    let metrics: RewindMetrics
    /// The incident's span and its steps' and verifications' (``IncidentSpans``).
    let spans: IncidentSpans
    let observer: @Sendable (EngineEvent) -> Void
    /// Called once the incident's closing is stored (and its closing notices attempted).
    let onClose: @Sendable (Incident) -> Void

    enum Event: Sendable {
        case step(String, StepOutcome)
        case verified(ServiceName, passed: Bool, results: [String])
    }

    typealias Progress = Notices.Progress

    static func verifyID(_ service: ServiceName) -> String { "verify-\(service)" }

    var plan: Plan { incident.plan ?? Plan(strategy: .fast, steps: [], freeze: nil) }

    /// Runs a new incident whose machine was started when it opened, with the actions left to do.
    func run(started start: IncidentStart) async {
        await spans.incident(resumed: false) { span in
            await drive(
                start.machine, actions: start.actions, progress: Progress(), journal: [:],
                intentsJournaled: start.intentsJournaled, span: span)
        }
    }

    /// Resumes an incident left open by a restart, from its journal: steps with an outcome are
    /// done; steps that were running run again (the executor re-reads the platform first, and never
    /// calls a platform again for a step it accepted).
    func resume(from records: [StepRecord]) async {
        guard let plan = incident.plan else { return }
        var machine = IncidentMachine(plan: plan, mode: incident.mode)
        let journal = Dictionary(records.map { ($0.stepID, $0) }, uniquingKeysWith: { _, latest in latest })
        var finished: [String: StepOutcome] = [:]
        var verified: [ServiceName: Bool] = [:]
        for step in plan.steps {
            if let outcome = journal[step.id]?.outcome { finished[step.id] = outcome }
            if let outcome = journal[Self.verifyID(step.service)]?.outcome {
                verified[step.service] = outcome.isSuccess
            }
        }
        let actions = machine.resume(finishedSteps: finished, verified: verified)
        await spans.incident(resumed: true) { span in
            await drive(
                machine, actions: actions, progress: Progress(outcomes: finished), journal: journal,
                intentsJournaled: [], span: span)
        }
    }

    private func drive(
        _ start: IncidentMachine, actions first: [IncidentAction], progress initialProgress: Progress,
        journal: [String: StepRecord], intentsJournaled: Set<String>, span: any Span
    ) async {
        var machine = start
        var progress = initialProgress
        var actions = first
        await withTaskGroup(of: Event.self) { group in
            while true {
                // Shutting down: leave the incident open, exactly as journaled, for the next daemon.
                guard !Task.isCancelled else { return }
                await recordSkipped(machine, &progress)
                var announcements: [NoticeKind] = []
                for action in actions {
                    switch action {
                    case .notify(let kind):
                        announcements.append(kind)
                    case .freezeDeployments(let duration):
                        await freeze(for: duration)
                    case .runStep(let step):
                        let prior = journal[step.id]
                        let intentJournaled = intentsJournaled.contains(step.id)
                        group.addTask {
                            .step(
                                step.id,
                                await spans.step(step) {
                                    await executor.execute(step, prior: prior, intentJournaled: intentJournaled)
                                })
                        }
                    case .verify(let service):
                        group.addTask {
                            recorder.phaseReached(.verifying)
                            let (passed, results) = await spans.verification(service) {
                                await verifier.verify(service)
                            }
                            if !Task.isCancelled {
                                await executor.announcer.announce(
                                    StepAnnouncer.announcement(
                                        verified: service, passed: passed, results: results, incident: incident),
                                    service: service)
                            }
                            return .verified(service, passed: passed, results: results)
                        }
                    case .finish(let outcome):
                        IncidentSpans.ended(span, with: outcome)
                        await finish(outcome, announcing: announcements, machine: machine, progress: progress)
                        announcements = []
                    }
                }
                if !announcements.isEmpty { await announce(announcements, machine: machine, progress: progress) }
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
            do {
                try await recorder.step(
                    step.id, .done(outcome),
                    note: recorder.entry(
                        .stepOutcome, "\(step.id): \(outcome.summary)",
                        detail: .object(["step": .string(step.id), "success": .bool(outcome.isSuccess)])))
            } catch {
                recorder.failed("could not journal a skipped step", error)
            }
            observer(.stepFinished(incidentID: incident.id, stepID: step.id, outcome))
        }
    }

    private func freeze(for duration: Duration) async {
        var change = StateChange()
        let current = try? await recorder.journal.store.currentFreeze()
        records.freeze(for: duration, incident: incident, current: current ?? nil, into: &change, now: clock.now)
        do {
            try await recorder.commit(change)
            if case .set(let freeze) = change.freeze { recorder.supervisor.send(.event(.frozen(freeze))) }
        } catch {
            recorder.failed("could not freeze deployments", error)
        }
    }

    // MARK: Notices

    /// What went wrong so far, for a notice's error line.
    private func failures(_ machine: IncidentMachine, _ progress: Progress) -> String? {
        let failures =
            progress.outcomes.values.compactMap { $0.isSuccess ? nil : $0.summary }
            + progress.verification.compactMap { service, results in
                machine.verifications[service] == .done(passed: false)
                    ? "\(service) verification failed: \(results.last ?? "")" : nil
            }
        return failures.isEmpty ? nil : failures.joined(separator: "; ")
    }

    private func outbox(_ kinds: [NoticeKind], machine: IncidentMachine, progress: Progress) -> [OutboxEntry] {
        let now = clock.now
        let error = failures(machine, progress)
        return kinds.flatMap { kind in
            records.notices.entries(
                records.notices.notice(
                    kind, incident: incident, machine: machine, progress: progress, error: error, now: now), now: now)
        }
    }

    private func announce(_ kinds: [NoticeKind], machine: IncidentMachine, progress: Progress) async {
        var change = StateChange()
        change.outbox = outbox(kinds, machine: machine, progress: progress)
        await commitOrSendDirectly(change, "could not queue notifications")
    }

    // MARK: The end

    /// Closes the incident in one write: its status, the timeline, its notices, the escalation it
    /// stops or starts, the freeze of a failed rollback, and the post-rollback tasks.
    private func finish(
        _ outcome: IncidentOutcome, announcing kinds: [NoticeKind], machine: IncidentMachine, progress: Progress
    ) async {
        let now = clock.now
        var closed = incident
        closed.status = IncidentStatus(outcome)
        closed.closedAt = now
        metrics.incidentEnded(
            services: incident.services, strategy: incident.strategy, outcome: outcome,
            recoveredAfter: outcome == .completed ? now - incident.detectedAt : nil)
        // An acknowledgement may have arrived while the incident ran.
        if let stored = try? await recorder.journal.store.incident(id: incident.id) {
            closed.acknowledgedAt = stored.acknowledgedAt
            closed.acknowledgedBy = stored.acknowledgedBy
        }
        let pending = ((try? await recorder.journal.store.escalations(incidentID: incident.id)) ?? []).filter {
            $0.state == .pending
        }
        var change = StateChange()
        change.incidentUpdate = closed
        if outcome == .failed {
            let verificationFailed = progress.outcomes.values.allSatisfy(\.isSuccess)
            let reason: EscalationReason = verificationFailed ? .verificationFailed : .rollbackFailed
            change.timeline.append(
                recorder.entry(
                    .escalation, "escalated to people: \(reason.sentence)",
                    detail: .object(["reason": .string(reason.rawValue)])))
            metrics.escalated(reason)
        }
        change.timeline.append(
            recorder.entry(.closed, "incident \(outcome.rawValue) after \((now - incident.openedAt).rewindDescription)")
        )
        change.outbox = outbox(kinds, machine: machine, progress: progress)
        switch outcome {
        case .completed, .observed:
            stopEscalation(pending, because: "the incident \(outcome.rawValue)", into: &change)
        case .failed:
            stopEscalation(pending, because: "the rollback failed; escalating immediately", into: &change)
            let current = try? await recorder.journal.store.currentFreeze()
            freezeAll(reason: "rollback failed", current: current ?? nil, into: &change, now: now)
            if closed.acknowledgedAt == nil {
                records.schedule([.rollbackFailed], into: &change, now: now, incidentID: incident.id)
            }
        case .escalated:
            break
        }
        let contained = progress.outcomes.values.contains { if case .improved = $0 { true } else { false } }
        records.closeOut(closed, contained: contained, into: &change, now: now)
        if outcome == .completed { await closePromoteTasks(progress, into: &change, now: now) }
        await commitOrSendDirectly(change, "could not close the incident", stored: .closingNoticeQueued)
        if case .set(let freeze) = change.freeze { recorder.supervisor.send(.event(.frozen(freeze))) }
        onClose(closed)
    }

    /// A rollback that went through is the other way out of an earlier gradual incident that left
    /// the same service's new version at a reduced share: its promote-or-roll-back task is done, in
    /// the closing write (``Promotion/openTasks(of:incidents:)``).
    private func closePromoteTasks(_ progress: Progress, into change: inout StateChange, now: Timestamp) async {
        let store = recorder.journal.store
        let rolledBack = Set(
            plan.steps.filter { $0.action == .rollback && progress.outcomes[$0.id]?.isSuccess == true }.map(\.service))
        guard !rolledBack.isEmpty, let recent = try? await store.incidents(limit: 500) else { return }
        var candidates: [(Incident, [IncidentTask])] = []
        for other in recent
        where other.id != incident.id && other.strategy == .gradual && other.status == .completed
            && !rolledBack.isDisjoint(with: other.services)
        {
            guard let tasks = try? await store.tasks(incidentID: other.id) else { continue }
            candidates.append((other, tasks))
        }
        for service in rolledBack.sorted() {
            for var task in Promotion.openTasks(of: service, incidents: candidates)
            where !change.taskUpdates.contains(where: {
                $0.incidentID == task.incidentID && $0.id == task.id
            }) {
                task.state = .done
                task.note = "rolled back in incident #\(incident.id)"
                task.updatedAt = now
                change.taskUpdates.append(task)
                change.timeline.append(
                    TimelineEvent(
                        incidentID: task.incidentID, at: now, kind: .task,
                        message: "task \(task.id) is now done: \(service) was rolled back in incident #\(incident.id)"))
            }
        }
    }

    /// Stores the change with its notices; when the store cannot take it, the notices are sent
    /// directly (outside the outbox) and the log says so: people hear of it either way.
    private func commitOrSendDirectly(_ change: StateChange, _ what: String, stored: JournalPhase? = nil) async {
        do {
            try await recorder.commit(change, awaitNotices: true, stored: stored)
        } catch {
            recorder.failed("\(what); sending its notices directly", error)
            var sent: Set<NoticeKind> = []
            for entry in change.outbox where sent.insert(entry.notice.kind).inserted {
                recorder.dispatcher.sendDirectly(entry.notice)
            }
        }
    }

    private func stopEscalation(_ pending: [EscalationTimer], because reason: String, into change: inout StateChange) {
        guard !pending.isEmpty else { return }
        change.cancelTimersOfIncident = incident.id
        change.timeline.append(recorder.entry(.escalation, "escalation stopped (\(pending.count) pending): \(reason)"))
    }

    /// The immediate escalation freezes all deployments (unless a longer freeze is in force).
    private func freezeAll(reason: String, current: Freeze?, into change: inout StateChange, now: Timestamp) {
        let until = now + policy.strategies.immediateFreeze
        if let current, current.isActive(at: now), current.until >= until { return }
        change.freeze = .set(Freeze(until: until, reason: reason, setAt: now, incidentID: incident.id))
        change.timeline.append(recorder.entry(.freeze, "all deployments frozen until \(until): \(reason)"))
    }
}
