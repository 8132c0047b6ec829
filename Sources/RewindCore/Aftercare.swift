/// A notification waiting in, or delivered from, the persistent outbox. It is written before the
/// first attempt, so a restart never loses it.
public struct OutboxEntry: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case pending, sent, failed
    }

    public var id: Int64
    public var incidentID: Int64
    /// The channel's configured name.
    public var channel: String
    public var notice: Notice
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Timestamp
    public var lastError: String?
    public var createdAt: Timestamp
    public var sentAt: Timestamp?

    public init(
        id: Int64 = 0, incidentID: Int64, channel: String, notice: Notice, status: Status = .pending, attempts: Int = 0,
        nextAttemptAt: Timestamp, lastError: String? = nil, createdAt: Timestamp, sentAt: Timestamp? = nil
    ) {
        self.id = id
        self.incidentID = incidentID
        self.channel = channel
        self.notice = notice
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.sentAt = sentAt
    }
}

/// The delivery rule for one failed attempt: retry transient failures with backoff (at least the
/// channel's Retry-After), give up on permanent ones or when the attempts run out.
public enum DeliveryRule {
    public enum Next: Sendable, Equatable {
        case retry(at: Timestamp)
        case giveUp
    }

    public static func afterFailure(attempts: Int, transient: Bool, retryAfter: Duration?, policy: RetryPolicy, now: Timestamp, unitRandom: Double) -> Next {
        guard transient, attempts <= policy.attempts else { return .giveUp }
        var delay = policy.delay(beforeRetry: attempts, unitRandom: unitRandom)
        delay = max(delay, .milliseconds(min(policy.baseDelay.milliseconds, 250)))
        if let retryAfter { delay = max(delay, retryAfter) }
        return .retry(at: now + delay)
    }
}

/// A persisted escalation step: tell `audience` at `dueAt` unless the incident was acknowledged
/// or completed first.
public struct EscalationTimer: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case pending, fired, cancelled
    }

    public enum Policy: String, Sendable, Codable, CaseIterable {
        case immediate, delayed
    }

    public var id: Int64
    public var incidentID: Int64
    public var audience: Audience
    public var policy: Policy
    public var dueAt: Timestamp
    public var reason: String
    public var state: State

    public init(id: Int64 = 0, incidentID: Int64, audience: Audience, policy: Policy, dueAt: Timestamp, reason: String, state: State = .pending) {
        self.id = id
        self.incidentID = incidentID
        self.audience = audience
        self.policy = policy
        self.dueAt = dueAt
        self.reason = reason
        self.state = state
    }
}

/// Which escalation an incident gets, from the guide:
/// - immediate (on-call now, management within 5 m, freeze all deployments) on a rollback failure,
///   a security breach or a critical service down;
/// - delayed (devops within 15 m, product within 30 m, post-mortem within 24 h) when the rollback
///   progresses slowly, performance stays bad, or business impact is high. A rollback still open
///   after a delay is by definition slow, so every rollback incident carries the delayed timers,
///   and completing it cancels them.
public enum EscalationPlanner {
    public enum Moment: Sendable, Equatable {
        /// An incident opened with a rollback plan.
        case rollbackStarted(TriggerKind, Severity)
        /// No rollback: escalated straight to people.
        case escalatedWithoutRollback(Severity)
        /// The rollback or its verification failed.
        case rollbackFailed
        /// A security trigger fired: the guide notifies the security team at once, whatever the decision.
        case securityTrigger
    }

    public static func timers(for moment: Moment, incidentID: Int64, at now: Timestamp, policy: EscalationPolicy) -> [EscalationTimer] {
        func make(_ steps: [Audience: Duration], _ kind: EscalationTimer.Policy, _ reason: String) -> [EscalationTimer] {
            steps.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map {
                EscalationTimer(incidentID: incidentID, audience: $0.key, policy: kind, dueAt: now + $0.value, reason: reason)
            }
        }
        switch moment {
        case .rollbackStarted(let trigger, let severity):
            if trigger == .healthCritical || severity == .critical {
                return make(policy.immediate, .immediate, "critical service down")
                    + make(policy.delayed.mapValues { $0 + policy.slowRollbackAfter }, .delayed, "rollback still in progress")
            }
            return make(policy.delayed.mapValues { $0 + policy.slowRollbackAfter }, .delayed, "rollback still in progress")
        case .escalatedWithoutRollback(let severity):
            return severity == .critical
                ? make(policy.immediate, .immediate, "critical service down, no rollback possible")
                : make(policy.delayed, .delayed, "degraded service, no rollback possible")
        case .rollbackFailed:
            return make(policy.immediate, .immediate, "rollback failed")
        case .securityTrigger:
            return make([.security: .zero], .immediate, "security trigger")
        }
    }
}

/// The guide's post-rollback work, recorded as tasks on the incident.
public struct IncidentTask: Sendable, Equatable, Codable {
    public enum Group: String, Sendable, Codable, CaseIterable {
        case investigation, remediation, documentation, postMortem = "post_mortem"
    }

    public enum State: String, Sendable, Codable, CaseIterable {
        case open
        case inProgress = "in_progress"
        case done, skipped
    }

    public var incidentID: Int64
    /// Stable within the incident, e.g. `investigation.analyze_logs`.
    public var id: String
    public var group: Group
    public var title: String
    public var team: String
    public var dueAt: Timestamp?
    public var state: State
    public var updatedAt: Timestamp
    public var note: String?

    public init(incidentID: Int64, id: String, group: Group, title: String, team: String, dueAt: Timestamp?, state: State = .open,
                updatedAt: Timestamp, note: String? = nil) {
        self.incidentID = incidentID
        self.id = id
        self.group = group
        self.title = title
        self.team = team
        self.dueAt = dueAt
        self.state = state
        self.updatedAt = updatedAt
        self.note = note
    }
}

public enum PostRollbackWork {
    /// Investigation (2 hours, DevOps), remediation (24 hours, high priority), the documentation
    /// set (required), and the post-mortem (within `postMortemWithin`).
    ///
    /// A canary rollback adds the guide's canary work: analyze the canary's data (within
    /// `canaryAnalysis`) and document the learnings (required).
    public static func tasks(incidentID: Int64, at now: Timestamp, postMortemWithin: Duration, strategy: Strategy? = nil,
                             canaryAnalysis: Duration = Defaults.canaryAnalysis) -> [IncidentTask] {
        func group(_ group: IncidentTask.Group, _ names: [String], team: String, due: Duration?) -> [IncidentTask] {
            names.map { name in
                IncidentTask(
                    incidentID: incidentID, id: "\(group.rawValue).\(name)", group: group,
                    title: name.replacingUnderscores, team: team, dueAt: due.map { now + $0 }, updatedAt: now)
            }
        }
        return group(.investigation, ["analyze_logs", "review_metrics", "check_configuration", "identify_root_cause", "document_findings"],
                     team: "devops", due: .seconds(7200))
            + group(.remediation, ["fix_root_cause", "update_monitoring", "improve_rollback_process", "update_runbooks", "team_training"],
                    team: "devops", due: .seconds(86_400))
            + group(.documentation, ["incident_report", "root_cause_analysis", "action_items", "lessons_learned", "process_improvements"],
                    team: "devops", due: nil)
            + group(.postMortem, ["schedule_post_mortem"], team: "devops", due: postMortemWithin)
            + (strategy == .canary
                ? group(.investigation, ["analyze_canary_data"], team: "devops", due: canaryAnalysis)
                    + group(.documentation, ["document_learnings"], team: "devops", due: nil)
                : [])
    }
}

extension String {
    var replacingUnderscores: String {
        let words = split(separator: "_").map(String.init)
        guard let first = words.first else { return self }
        return ([first.prefix(1).uppercased() + first.dropFirst()] + words.dropFirst()).joined(separator: " ")
    }
}
