/// The guide's post-rollback work has due times (investigation within 2 hours, remediation within
/// 24 hours, the canary's analysis within 30 minutes, the fast strategy's root cause within 15
/// minutes, …). A task that passes its due time while still open or in progress is chased: its
/// audience (the task's team, e.g. `devops`) is reminded once, by a `task_overdue` notice.
///
/// A task is reminded at most once (`remindedAt`), never when it is done or skipped, never when it
/// has no due time. The reminder and the mark are one write (the engine's escalation ticker), and
/// the due time is in the store: a restart neither loses nor repeats a reminder.
public enum TaskReminder {
    /// Whether `task` needs its reminder at `now`.
    public static func isDue(_ task: IncidentTask, now: Timestamp) -> Bool {
        guard let due = dueAt(task) else { return false }
        return due <= now
    }

    /// When `task`'s reminder is due (its due time), or nil when it needs none: done, skipped,
    /// already reminded, or without a due time. Stores index it, so the ticker's read stays small.
    public static func dueAt(_ task: IncidentTask) -> Timestamp? {
        guard task.isPending, task.remindedAt == nil else { return nil }
        return task.dueAt
    }

    /// One reminder: the overdue tasks of one incident for one team, earliest due first.
    public struct Batch: Sendable, Equatable {
        public var incidentID: Int64
        public var team: String
        public var tasks: [IncidentTask]

        /// Who the notice is for, when the team is one of the audiences (`devops`, `product`, …).
        public var audience: Audience? { Audience(rawValue: team) }
    }

    /// The reminders due at `now`: one per incident and team, so that five investigation tasks
    /// overdue at once make one notice, not five. Incidents in id order.
    public static func batches(_ tasks: [IncidentTask], now: Timestamp) -> [Batch] {
        var batches: [Batch] = []
        for task in tasks where isDue(task, now: now) {
            if let index = batches.firstIndex(where: { $0.incidentID == task.incidentID && $0.team == task.team }) {
                batches[index].tasks.append(task)
            } else {
                batches.append(Batch(incidentID: task.incidentID, team: task.team, tasks: [task]))
            }
        }
        return
            batches
            .map { batch in
                var sorted = batch
                sorted.tasks = batch.tasks.enumerated()
                    .sorted { ($0.element.dueAt ?? now, $0.offset) < ($1.element.dueAt ?? now, $1.offset) }
                    .map(\.element)
                return sorted
            }
            .sorted { ($0.incidentID, $0.team) < ($1.incidentID, $1.team) }
    }

    /// A task as its reminder lists it: "Analyze logs (investigation.analyze_logs), due 2026-…, 1h30m overdue".
    public static func line(_ task: IncidentTask, now: Timestamp) -> String {
        let due = task.dueAt.map { ", due \($0), \((now - $0).rewindDescription) overdue" } ?? ""
        return "\(task.title) (\(task.id))\(due)"
    }
}
