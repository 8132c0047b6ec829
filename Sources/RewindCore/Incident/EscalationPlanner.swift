/// Which escalation an incident gets, from the guide:
/// - immediate (on-call now, management within 5 m, freeze all deployments) on a rollback failure,
///   a security breach or a critical service down;
/// - delayed (devops within 15 m, product within 30 m, post-mortem within 24 h) when the rollback
///   progresses slowly, performance stays bad, or business impact is high. Every rollback incident
///   carries the delayed timers, counted from detection (never earlier than
///   `slow_rollback_after`); completing it cancels them, and a rollback whose steps all finished and
///   that is verifying as planned is not escalated by them (see the engine's escalation ticker):
///   only a rollback still rolling back at 15 m is slow.
public enum EscalationPlanner {
    /// The reason of the delayed timers a rollback starts with: they page only a rollback still
    /// rolling back when they are due.
    public static let slowRollback = "rollback still in progress"

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

    public static func timers(
        for moment: Moment, incidentID: Int64, at now: Timestamp, policy: EscalationPolicy
    ) -> [EscalationTimer] {
        func make(_ steps: [Audience: Duration], _ kind: EscalationTimer.Policy, _ reason: String) -> [EscalationTimer]
        {
            steps.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map {
                EscalationTimer(
                    incidentID: incidentID, audience: $0.key, policy: kind, dueAt: now + $0.value, reason: reason)
            }
        }
        switch moment {
        case .rollbackStarted(let trigger, let severity):
            if trigger == .healthCritical || severity == .critical {
                return make(policy.immediate, .immediate, "critical service down")
                    + make(policy.delayed.mapValues { max($0, policy.slowRollbackAfter) }, .delayed, Self.slowRollback)
            }
            return make(policy.delayed.mapValues { max($0, policy.slowRollbackAfter) }, .delayed, Self.slowRollback)
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
