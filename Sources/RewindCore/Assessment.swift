/// What Rewind knows about one service when it decides.
public struct ServiceSnapshot: Sendable, Equatable {
    public var name: ServiceName
    /// The live deployment, if any is known.
    public var current: Deployment?
    /// Every known deployment of the service, any order.
    public var deployments: [Deployment]
    /// Completion times of automatic rollbacks, newest last.
    public var automaticRollbacks: [Timestamp]
    /// True while an incident is rolling this service back or verifying it.
    public var inIncident: Bool
    /// True when Rewind can move this service's traffic (Cloudflare weights, a flag rollout,
    /// a replica ratio): the gradual and canary strategies need it.
    public var hasTrafficControl: Bool
    /// True when new deployments of this service run as canaries beside stable (`rollout: canary`).
    public var runsCanaries: Bool

    public init(
        name: ServiceName, current: Deployment?, deployments: [Deployment] = [], automaticRollbacks: [Timestamp] = [],
        inIncident: Bool = false, hasTrafficControl: Bool = false, runsCanaries: Bool = false
    ) {
        self.hasTrafficControl = hasTrafficControl
        self.runsCanaries = runsCanaries
        self.name = name
        self.current = current
        self.deployments = deployments
        self.automaticRollbacks = automaticRollbacks
        self.inIncident = inIncident
    }

    /// Suspect: its live deployment is not yet known good.
    public var isSuspect: Bool {
        guard let current else { return false }
        return current.trust != .knownGood
    }
}

/// The rollback target rule: the newest known-good deployment that went live before the current
/// one — never blindly "the previous one".
public enum RollbackTarget {
    public static func select(current: Deployment, from deployments: [Deployment]) -> Deployment? {
        deployments
            .filter { $0.id != current.id && $0.trust == .knownGood && $0.deployedAt <= current.deployedAt }
            .max { ($0.deployedAt, $0.knownGoodAt ?? $0.deployedAt) < ($1.deployedAt, $1.knownGoodAt ?? $1.deployedAt) }
    }

    /// What a forced rollback falls back to when nothing is known good: the newest deployment
    /// before the current one that is not marked bad.
    public static func previous(current: Deployment, from deployments: [Deployment]) -> Deployment? {
        deployments
            .filter { $0.id != current.id && $0.trust != .bad && $0.deployedAt <= current.deployedAt }
            .max { $0.deployedAt < $1.deployedAt }
    }
}

/// One service to roll back, and why this target.
public struct RollbackChoice: Sendable, Equatable, Codable {
    public var service: ServiceName
    public var from: Deployment
    public var to: Deployment
    public var reason: String

    public init(service: ServiceName, from: Deployment, to: Deployment, reason: String) {
        self.service = service
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// Why Rewind escalates to people instead of rolling back. Bounded: safe as a metric label.
public enum EscalationReason: String, Sendable, Codable, Hashable {
    /// The failing service runs a known-good deployment and nothing else is suspect.
    case notCausedByDeployment = "not_caused_by_deployment"
    /// A rollback of this service finished less than a cooldown ago: rolling back again would loop.
    case cooldown
    /// Too many automatic rollbacks of this service in the last hour.
    case stormCap = "storm_cap"
    /// No known-good deployment to go back to.
    case noKnownGoodTarget = "no_known_good_target"
    /// A rollback step failed, and so did its fallback.
    case rollbackFailed = "rollback_failed"
    /// The rollback finished but the service did not recover.
    case verificationFailed = "verification_failed"
    /// A monitoring source (Prometheus, a probe command) stopped answering: Rewind is blind to
    /// the signals behind it, and will not roll back on their silence.
    case monitoringFailure = "monitoring_failure"

    public var sentence: String {
        switch self {
        case .notCausedByDeployment: "the failing service runs a known-good deployment and nothing is suspect: not caused by a deployment"
        case .cooldown: "the service was rolled back within its cooldown: another automatic rollback would loop"
        case .stormCap: "the cap on automatic rollbacks per hour is reached"
        case .noKnownGoodTarget: "there is no known-good deployment to roll back to"
        case .rollbackFailed: "the rollback failed, and so did its fallback"
        case .verificationFailed: "the rollback finished but the service did not recover"
        case .monitoringFailure: "a monitoring source stopped answering; its signals cannot trigger until it is back"
        }
    }
}

/// What the assessment concluded.
public enum Decision: Sendable, Equatable {
    /// Roll back these services with this strategy. `skipped` lists suspects left alone, and why;
    /// `notes` say why the strategy differs from the one the trigger asked for, if it does.
    case rollback(strategy: Strategy, choices: [RollbackChoice], skipped: [String], notes: [String] = [])
    /// Do not roll back; tell people.
    case escalate(EscalationReason, detail: String)
    /// Nothing to do (for example the service is already being rolled back).
    case ignore(String)
}

/// The pure assessment: (policy, violation, snapshots, now) → decision.
public enum Assessment {
    public static func decide(violation: Violation, policy: Policy, services: [ServiceSnapshot], now: Timestamp) -> Decision {
        guard let affected = services.first(where: { $0.name == violation.service }) else {
            return .ignore("\(violation.service) is not a watched service")
        }
        if affected.inIncident {
            return .ignore("\(affected.name) is already in an open incident")
        }
        let (strategy, notes) = strategy(for: violation, affected: affected)
        let candidates: [ServiceSnapshot]
        switch strategy {
        case .immediate:
            // The guide: roll back all services. Rewind narrows that to every suspect, since a
            // known-good deployment is not what broke.
            candidates = services.filter { $0.isSuspect && !$0.inIncident }
        case .fast, .gradual, .canary:
            candidates = affected.isSuspect ? [affected] : []
        }
        if candidates.isEmpty {
            let live = affected.current.map { "\($0.label), known good" } ?? "no known deployment"
            return .escalate(.notCausedByDeployment, detail: "\(affected.name) runs \(live); no service is suspect")
        }
        // The failing service itself in cooldown or over the cap: the whole decision escalates.
        if affected.isSuspect, let blocked = safetyBlock(affected, policy: policy, now: now) {
            return blocked
        }
        var choices: [RollbackChoice] = []
        var skipped: [String] = []
        var blockedReason: EscalationReason?
        for candidate in candidates {
            guard let current = candidate.current else { continue }
            if candidate.name != affected.name, let block = safetyBlock(candidate, policy: policy, now: now),
                case .escalate(let reason, let detail) = block
            {
                blockedReason = blockedReason ?? reason
                skipped.append(detail)
                continue
            }
            guard let target = RollbackTarget.select(current: current, from: candidate.deployments) else {
                if candidate.name == affected.name {
                    return .escalate(.noKnownGoodTarget, detail: "\(candidate.name) has no known-good deployment before \(current.label)")
                }
                skipped.append("\(candidate.name): no known-good deployment before \(current.label)")
                continue
            }
            choices.append(
                RollbackChoice(
                    service: candidate.name, from: current, to: target,
                    reason: "\(target.label) is the newest known-good deployment before \(current.label)"
                        + (target.knownGoodAt.map { " (known good since \($0))" } ?? "")))
        }
        if choices.isEmpty {
            return .escalate(blockedReason ?? .noKnownGoodTarget, detail: skipped.joined(separator: "; "))
        }
        return .rollback(strategy: strategy, choices: choices, skipped: skipped, notes: notes)
    }

    /// The guide's strategy for the violation; gradual and canary need traffic control on the
    /// affected service, and fall back to fast without it (the decision says so).
    ///
    /// A service that runs canaries (`rollout: canary`) takes the canary strategy for what would
    /// otherwise be fast or gradual: the guide's canary triggers are a canary's metrics
    /// deteriorating and a performance regression. Critical triggers stay immediate.
    static func strategy(for violation: Violation, affected: ServiceSnapshot) -> (Strategy, [String]) {
        var requested = violation.requestedStrategy
        var notes: [String] = []
        if affected.runsCanaries, requested == .fast || requested == .gradual {
            notes.append("\(affected.name) runs its new deployments as canaries: the canary strategy instead of \(requested.rawValue)")
            requested = .canary
        }
        guard requested.needsTrafficControl, !affected.hasTrafficControl else { return (requested, notes) }
        return (.fast, ["\(violation.trigger.rawValue) asks for the \(requested.rawValue) strategy, but \(affected.name) has no traffic control configured (traffic: in its policy): rolling back fast instead"])
    }

    /// A manual rollback: a person asked for it, so cooldown and the storm cap do not apply,
    /// but the target rule and the one-incident-per-service rule do.
    ///
    /// `force` (`rewind rollback --force`, the guide's `railway rollback --force`) accepts a target
    /// that is not known good: without `--to`, the newest deployment before the live one that is
    /// not marked bad. The plan then skips the verification gates; the journal says so.
    public static func decideManual(service: ServiceName, to requested: String?, services: [ServiceSnapshot], force: Bool = false) -> Decision {
        guard let snapshot = services.first(where: { $0.name == service }) else {
            return .ignore("\(service) is not a watched service")
        }
        if snapshot.inIncident { return .ignore("\(service) is already in an open incident") }
        guard let current = snapshot.current else {
            return .escalate(.noKnownGoodTarget, detail: "no live deployment of \(service) is known; record one first")
        }
        if let requested {
            guard let target = snapshot.deployments.first(where: { $0.id == requested || $0.version == requested }) else {
                return .ignore("\(service) has no recorded deployment \(requested)")
            }
            if target.id == current.id { return .ignore("\(target.label) is already live on \(service)") }
            return .rollback(
                strategy: .fast,
                choices: [RollbackChoice(service: service, from: current, to: target, reason: "requested by an operator")],
                skipped: [])
        }
        guard let target = RollbackTarget.select(current: current, from: snapshot.deployments) else {
            if force, let previous = RollbackTarget.previous(current: current, from: snapshot.deployments) {
                return .rollback(
                    strategy: .fast,
                    choices: [RollbackChoice(service: service, from: current, to: previous,
                                             reason: "forced: \(previous.label) is the newest deployment before \(current.label) not marked bad (it is not known good)")],
                    skipped: [])
            }
            return .escalate(.noKnownGoodTarget, detail: "\(service) has no known-good deployment before \(current.label); name one with --to" + (force ? "" : " or use --force"))
        }
        return .rollback(
            strategy: .fast,
            choices: [RollbackChoice(service: service, from: current, to: target, reason: "\(target.label) is the newest known-good deployment before \(current.label)")],
            skipped: [])
    }

    static func safetyBlock(_ service: ServiceSnapshot, policy: Policy, now: Timestamp) -> Decision? {
        if let last = service.automaticRollbacks.max(), now - last < policy.safety.cooldown {
            return .escalate(
                .cooldown,
                detail: "\(service.name) was rolled back at \(last); cooldown \(policy.safety.cooldown.rewindDescription) lasts until \(last + policy.safety.cooldown)")
        }
        let lastHour = service.automaticRollbacks.filter { now - $0 < .seconds(3600) }.count
        if lastHour >= policy.safety.maxAutomaticRollbacksPerHour {
            return .escalate(
                .stormCap,
                detail: "\(service.name) had \(lastHour) automatic rollbacks in the last hour (cap \(policy.safety.maxAutomaticRollbacksPerHour))")
        }
        return nil
    }
}

/// The known-good rule: a suspect deployment that has been live for the bake period with no
/// trigger firing since it went live becomes known good.
public enum BakeRule {
    public static func becomesKnownGood(_ deployment: Deployment, lastViolation: Timestamp?, bake: Duration, now: Timestamp) -> Bool {
        guard deployment.trust == .suspect, now - deployment.deployedAt >= bake else { return false }
        if let lastViolation, lastViolation >= deployment.deployedAt { return false }
        return true
    }
}
