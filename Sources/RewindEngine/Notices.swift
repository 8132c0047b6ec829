import RewindCore
import RewindPorts

/// Builds the notices of an incident and routes them to channels: the words of every message
/// Rewind sends about an incident are decided here.
struct Notices: Sendable {
    let policy: Policy
    /// The configured channels, in the policy's order.
    let channels: [String]
    let redactor: Redactor

    /// What the notices need to say, gathered as an incident runs.
    struct Progress: Sendable {
        var outcomes: [String: StepOutcome] = [:]
        var verification: [ServiceName: [String]] = [:]
    }

    // MARK: Routing

    /// The channels that receive `kind`: the policy's route for it, or every channel when the
    /// event has no route.
    func channels(for kind: NoticeKind) -> [String] {
        guard let names = policy.notifications.routes[kind] else { return channels }
        return channels.filter { names.contains($0) }
    }

    /// The channels that receive `notice`: for an escalation to an audience with channels, those;
    /// otherwise the routing rules it matches (event, strategy, severity), else its event's route,
    /// else every channel — a notice is never silent.
    func channels(for notice: Notice) -> [String] {
        if let audience = notice.audience, let names = policy.notifications.audiences[audience], !names.isEmpty {
            return channels.filter { names.contains($0) }
        }
        var routing = policy.notifications
        routing.channelNames = channels
        return routing.channelNames(for: notice)
    }

    /// Outbox entries for `notice`, one per channel, held for one attempt's deadline: the
    /// dispatcher never sends an entry a second time while its first attempt is in flight, and
    /// after a crash it becomes due again then.
    func entries(_ notice: Notice, to channels: [String], now: Timestamp) -> [OutboxEntry] {
        let held = now + policy.notifications.timeout
        return channels.map {
            OutboxEntry(incidentID: notice.incidentID, channel: $0, notice: notice, nextAttemptAt: held, createdAt: now)
        }
    }

    /// Entries for a notice, routed (see ``channels(for:)-(Notice)``).
    func entries(_ notice: Notice, now: Timestamp) -> [OutboxEntry] {
        entries(notice, to: channels(for: notice), now: now)
    }

    // MARK: Words

    func notice(
        _ kind: NoticeKind, incident: Incident, machine: IncidentMachine? = nil, progress: Progress = Progress(),
        error: String? = nil, now: Timestamp
    ) -> Notice {
        var actions: [String] = []
        let plan = incident.plan
        if let plan {
            for step in plan.steps {
                var line =
                    "\(step.summary(wouldOnly: kind == .wouldRollBack)) (timeout \(step.timeout.rewindDescription))"
                if let outcome = progress.outcomes[step.id] { line += ": \(outcome.summary)" }
                actions.append(line)
            }
            if let freeze = plan.freeze {
                actions.append(
                    "\(kind == .wouldRollBack ? "would freeze" : "freeze") deployments for \(freeze.rewindDescription)")
            }
            if let deadline = plan.deadline { actions.append("all steps within \(deadline.rewindDescription)") }
            if !plan.verify { actions.append("verification skipped: forced by an operator") }
        }
        if kind == .escalated && plan == nil { actions.append("no rollback; people notified") }
        let status: String
        switch kind {
        case .initiated: status = "rolling back"
        case .completed:
            let contained = progress.outcomes.values.contains { if case .improved = $0 { true } else { false } }
            status =
                contained
                ? "contained: the traffic cut brought the service back; nothing rolled back, the new version keeps its reduced share"
                : (plan?.verify ?? true) ? "completed and verified" : "completed; verification skipped (forced)"
        case .failed: status = "failed; manual intervention needed"
        case .escalated: status = "escalated"
        case .wouldRollBack: status = "observe mode: nothing done"
        case .channelFailed: status = Self.channelDownStatus
        case .taskOverdue: status = "post-rollback work overdue"
        case .earlyWarning: status = "early warning: nothing done"
        }
        let verification = progress.verification.sorted { $0.key < $1.key }.flatMap { service, results in
            results.map { "\(service): \($0)" }
        }
        let evidence =
            incident.violation.map { violation in
                ["\(violation.rule)"] + (violation.signal.map { ["query: \($0.query)"] } ?? [])
                    + violation.evidence.map {
                        $0.value != nil || violation.alert != nil
                            ? "\($0.at.iso8601) \($0.result)"
                            : "\($0.at.iso8601) \($0.check) \($0.result) (\($0.latencyMs) ms)"
                    }
            } ?? (incident.reason.map { ["operator: \($0)"] } ?? [])
        return Notice(
            kind: kind, incidentID: incident.id, services: incident.services, trigger: incident.trigger,
            severity: incident.severity, timestamp: now, strategy: incident.strategy,
            actions: actions.map(redactor.redact),
            durationMs: kind == .initiated ? nil : (now - incident.openedAt).milliseconds, status: status,
            verificationResults: verification, error: error.map(redactor.redact), evidence: evidence)
    }

    /// The escalation notice a fired timer sends to its audience.
    func escalation(_ timer: EscalationTimer, incident: Incident, now: Timestamp) -> Notice {
        var notice = notice(.escalated, incident: incident, error: "\(timer.reason); not acknowledged yet", now: now)
        notice.audience = timer.audience
        notice.status = "escalated to \(timer.audience.rawValue)"
        return notice
    }

    /// The reminder of a batch of overdue tasks, for their team: routed to the team's audience
    /// when it has channels, otherwise like any notice (`routes.task_overdue`, the routing rules,
    /// else every channel).
    func taskOverdue(_ batch: TaskReminder.Batch, incident: Incident, now: Timestamp) -> Notice {
        var reminder = notice(.taskOverdue, incident: incident, now: now)
        reminder.audience = batch.audience
        reminder.actions = batch.tasks.map { redactor.redact(TaskReminder.line($0, now: now)) }
        reminder.status =
            "\(batch.tasks.count) post-rollback task\(batch.tasks.count == 1 ? "" : "s") overdue for \(batch.team)"
        reminder.durationMs = nil
        return reminder
    }

    static let channelDownStatus = "notification channel down"

    /// The `early_warning` notice: about no incident (``Notice/noIncidentID``), with the value, its robust z and the baseline as
    /// evidence. It goes only to the channels that subscribe to `early_warning` (``NotificationPolicy/subscribers(of:)``).
    func earlyWarning(_ warning: EarlyWarning, severity: Severity, query: String?) -> Notice {
        var evidence = [warning.summary]
        if let query { evidence.append("query: \(query)") }
        return Notice(
            kind: .earlyWarning, incidentID: Notice.noIncidentID, services: [warning.service], trigger: warning.trigger,
            severity: severity,
            timestamp: warning.at, strategy: nil, actions: [], status: "early warning: nothing done",
            evidence: evidence.map(redactor.redact))
    }

    /// The channels an early warning goes to: those that subscribe to it, none otherwise.
    func subscribers(of notice: Notice) -> [String] {
        var routing = policy.notifications
        routing.channelNames = channels
        return routing.subscribers(of: notice)
    }

    /// The `channel_failed` notice that tells other channels `channel` could not deliver `notice`.
    func channelFailed(_ channel: String, error: String, about notice: Notice, now: Timestamp) -> Notice {
        var failed = notice
        failed.kind = .channelFailed
        failed.failedChannel = channel
        failed.audience = nil
        failed.status = Self.channelDownStatus
        failed.error = "\(channel) could not deliver the \(notice.kind.rawValue) notice: \(error)"
        failed.actions = ["check the \(channel) channel's configuration and credentials"]
        failed.nextSteps = Notice.nextSteps(for: .channelFailed)
        failed.timestamp = now
        return failed
    }
}
