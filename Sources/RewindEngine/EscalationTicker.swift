import Logging
import RewindCore
import RewindPorts

/// Fires persisted escalation timers: each fires once at its time unless the incident was
/// acknowledged or completed first. A restart keeps the schedule (the timers live in the store).
///
/// One task fires timers, one round at a time: every `interval`, and at once when the doorbell
/// rings (a security page is a timer due now). So a timer is never fired from two places. Each
/// round ends by reminding people of post-rollback tasks past their due time (``TaskReminders``).
struct EscalationTicker: Sendable {
    let store: any RewindStore
    let journal: Journal
    let notices: Notices
    let dispatcher: NoticeDispatcher
    let clock: any RewindClock
    let interval: Duration
    let redactor: Redactor
    let metrics: RewindMetrics
    let logger: Logger
    let doorbell: Doorbell
    let reminders: TaskReminders

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                while true {
                    doorbell.ring()
                    try await clock.sleep(for: interval)
                }
            }
            for await _ in doorbell.rings {
                await fireDue()
            }
        }
    }

    /// True when every step of the incident's plan finished well: what is left is verification.
    private func isVerifyingAsPlanned(_ incident: Incident) async -> Bool {
        guard incident.status == .open, let plan = incident.plan, !plan.steps.isEmpty,
            let records = try? await store.steps(incidentID: incident.id)
        else { return false }
        let outcomes = Dictionary(
            records.compactMap { record in record.outcome.map { (record.stepID, $0) } },
            uniquingKeysWith: { _, latest in latest })
        return plan.steps.allSatisfy { outcomes[$0.id]?.isSuccess ?? false }
    }

    /// Fires every timer that is due (its state, its timeline entry and its notices in one write),
    /// then sends the reminders of overdue tasks.
    func fireDue() async {
        await fireDueTimers()
        await reminders.remindDue()
    }

    private func fireDueTimers() async {
        guard let due = try? await store.dueEscalations(now: clock.now) else { return }
        for var timer in due {
            guard let incident = try? await store.incident(id: timer.incidentID) else { continue }
            var change = StateChange()
            if incident.acknowledgedAt != nil || incident.status == .completed || incident.status == .observed {
                timer.state = .cancelled
                change.timerUpdates = [timer]
            } else if timer.reason == EscalationPlanner.slowRollback, await isVerifyingAsPlanned(incident) {
                // Not slow: every step finished and the service is being verified as planned.
                timer.state = .cancelled
                change.timerUpdates = [timer]
                change.timeline = [
                    TimelineEvent(
                        incidentID: timer.incidentID, at: clock.now, kind: .escalation,
                        message:
                            "\(timer.audience.rawValue) not paged: the rollback finished and is verifying as planned")
                ]
            } else {
                timer.state = .fired
                let now = clock.now
                change.timerUpdates = [timer]
                change.timeline = [
                    TimelineEvent(
                        incidentID: timer.incidentID, at: now, kind: .escalation,
                        message: redactor.redact(
                            "escalated to \(timer.audience.rawValue) (\(timer.policy.rawValue): \(timer.reason))"))
                ]
                change.outbox = notices.entries(notices.escalation(timer, incident: incident, now: now), now: now)
            }
            do {
                let committed = try await journal.commit(change)
                if timer.state == .fired {
                    metrics.escalationFired(timer)
                    await dispatcher.attempt(committed.outbox)
                }
            } catch {
                logger.error(
                    "could not fire an escalation",
                    metadata: [
                        "rewind.incident.id": "\(timer.incidentID)",
                        "rewind.error": "\(redactor.redact(String(describing: error)))",
                    ])
            }
        }
    }
}
