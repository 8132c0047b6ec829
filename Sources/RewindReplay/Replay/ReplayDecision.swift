import RewindCore

/// One decision the daemon would have taken: a trigger fired on `violation.service` at `at`, and the
/// supervisor concluded `decision` — a rollback with its strategy and targets, an escalation and why
/// (cooldown, the storm cap, no known-good target, not caused by a deployment…), or nothing to do
/// (the service is already in an incident).
public struct ReplayDecision: Sendable, Equatable {
    public var at: Timestamp
    /// The trigger that fired, with its rule and evidence.
    public var violation: Violation
    public var decision: Decision

    public init(at: Timestamp, violation: Violation, decision: Decision) {
        self.at = at
        self.violation = violation
        self.decision = decision
    }

    /// True when the daemon would have rolled back.
    public var wouldRollBack: Bool {
        if case .rollback = decision { return true }
        return false
    }

    /// The strategy of a rollback; nil otherwise.
    public var strategy: Strategy? {
        if case .rollback(let strategy, _, _, _) = decision { return strategy }
        return nil
    }

    /// The services and deployments a rollback would move.
    public var targets: [RollbackChoice] {
        if case .rollback(_, let choices, _, _) = decision { return choices }
        return []
    }

    /// Why there is no rollback, as a bounded code (`cooldown`, `no_known_good_target`, `ignored`…); nil for a rollback.
    public var whyNot: String? {
        switch decision {
        case .rollback: nil
        case .escalate(let reason, _): reason.rawValue
        case .ignore: "ignored"
        }
    }

    /// The escalation's detail or the reason it was ignored; the rollback's skipped services and notes.
    public var detail: String {
        switch decision {
        case .rollback(_, _, let skipped, let notes):
            (skipped.map { "left alone: \($0)" } + notes).joined(separator: "; ")
        case .escalate(_, let detail): detail
        case .ignore(let reason): reason
        }
    }
}
