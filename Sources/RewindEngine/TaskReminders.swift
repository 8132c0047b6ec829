import Logging
import RewindCore
import RewindPorts

/// Chases post-rollback tasks past their due time (``TaskReminder``): each overdue task's team is
/// reminded once, one `task_overdue` notice per incident and team. The reminder's notices, its
/// timeline entry and the tasks marked reminded are one write, so a reminder is neither lost nor
/// sent twice, and the due times live in the store: a restart keeps the schedule.
///
/// Run by the escalation ticker, in its rounds (one task fires timers and reminders).
struct TaskReminders: Sendable {
    let store: any RewindStore
    let journal: Journal
    let notices: Notices
    let dispatcher: NoticeDispatcher
    let clock: any RewindClock
    let redactor: Redactor
    let logger: Logger

    func remindDue() async {
        let now = clock.now
        guard let overdue = try? await store.overdueTasks(now: now), !overdue.isEmpty else { return }
        for batch in TaskReminder.batches(overdue, now: now) {
            guard let incident = try? await store.incident(id: batch.incidentID) else { continue }
            var change = StateChange()
            change.taskUpdates = batch.tasks.map { task in
                var reminded = task
                reminded.remindedAt = now
                return reminded
            }
            let who = batch.audience.map(\.rawValue) ?? batch.team
            change.timeline = [
                TimelineEvent(
                    incidentID: batch.incidentID, at: now, kind: .task,
                    message: redactor.redact(
                        "reminded \(who): overdue "
                            + batch.tasks.map { "\($0.id) (due \($0.dueAt.map(String.init(describing:)) ?? "-"))" }
                            .joined(separator: ", ")))
            ]
            change.outbox = notices.entries(notices.taskOverdue(batch, incident: incident, now: now), now: now)
            do {
                let committed = try await journal.commit(change)
                await dispatcher.attempt(committed.outbox)
            } catch {
                logger.error(
                    "could not remind people of overdue tasks",
                    metadata: [
                        "rewind.incident.id": "\(batch.incidentID)",
                        "rewind.error": "\(redactor.redact(String(describing: error)))",
                    ])
            }
        }
    }
}
