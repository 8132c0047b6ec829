/// The pure assessment: (policy, violation, snapshots, now) → decision.
public enum Assessment {
    public static func decide(
        violation: Violation, policy: Policy, services: [ServiceSnapshot], now: Timestamp
    ) -> Decision {
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
            guard let live = affected.current else {
                return .escalate(
                    .liveUnknown,
                    detail: "the live deployment of \(affected.name) is unknown to Rewind and no service is suspect; "
                        + "tell Rewind which one runs: rewind deployments record \(affected.name) ID "
                        + "(or POST /api/v1/deployments)")
            }
            return .escalate(
                .notCausedByDeployment, detail: "\(affected.name) runs \(live.label), known good; no service is suspect"
            )
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
                    return .escalate(
                        .noKnownGoodTarget,
                        detail: "\(candidate.name) has no known-good deployment before \(current.label)")
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
            notes.append(
                "\(affected.name) runs its new deployments as canaries: the canary strategy instead of \(requested.rawValue)"
            )
            requested = .canary
        }
        guard requested.needsTrafficControl, !affected.hasTrafficControl else { return (requested, notes) }
        return (
            .fast,
            [
                "\(violation.trigger.rawValue) asks for the \(requested.rawValue) strategy, but \(affected.name) has no traffic control configured (traffic: in its policy): rolling back fast instead"
            ]
        )
    }

    /// A manual rollback: a person asked for it, so cooldown and the storm cap do not apply,
    /// but the target rule and the one-incident-per-service rule do.
    ///
    /// A target named with `--to` must be one Rewind saw on the platform (``Deployment/isVouchedFor``):
    /// recorded live at some time, listed by the platform, or known good or bad. A deployment only ever
    /// reported (anyone with the API token can record any id and version) is refused, `--force` or not.
    ///
    /// `force` (`rewind rollback --force`, the guide's `railway rollback --force`) accepts a target
    /// that is not known good: without `--to`, the newest deployment before the live one that is
    /// not marked bad. The plan then skips the verification gates; the journal says so.
    public static func decideManual(
        service: ServiceName, to requested: String?, services: [ServiceSnapshot], force: Bool = false
    ) -> Decision {
        guard let snapshot = services.first(where: { $0.name == service }) else {
            return .ignore("\(service) is not a watched service")
        }
        if snapshot.inIncident { return .ignore("\(service) is already in an open incident") }
        guard let current = snapshot.current else {
            return .escalate(.noKnownGoodTarget, detail: "no live deployment of \(service) is known; record one first")
        }
        if let requested {
            guard let target = snapshot.deployments.first(where: { $0.id == requested || $0.version == requested })
            else {
                return .ignore("\(service) has no recorded deployment \(requested)")
            }
            if target.id == current.id { return .ignore("\(target.label) is already live on \(service)") }
            guard target.isVouchedFor else {
                return .ignore(
                    "\(target.label) was never live on \(service) and its platform never listed it: Rewind rolls back "
                        + "only to deployments it saw (record each deploy when it goes live, or let Rewind track the platform)"
                )
            }
            return .rollback(
                strategy: .fast,
                choices: [
                    RollbackChoice(service: service, from: current, to: target, reason: "requested by an operator")
                ],
                skipped: [])
        }
        guard let target = RollbackTarget.select(current: current, from: snapshot.deployments) else {
            if force, let previous = RollbackTarget.previous(current: current, from: snapshot.deployments) {
                return .rollback(
                    strategy: .fast,
                    choices: [
                        RollbackChoice(
                            service: service, from: current, to: previous,
                            reason:
                                "forced: \(previous.label) is the newest deployment before \(current.label) not marked bad (it is not known good)"
                        )
                    ],
                    skipped: [])
            }
            return .escalate(
                .noKnownGoodTarget,
                detail: "\(service) has no known-good deployment before \(current.label); name one with --to"
                    + (force ? "" : " or use --force"))
        }
        return .rollback(
            strategy: .fast,
            choices: [
                RollbackChoice(
                    service: service, from: current, to: target,
                    reason: "\(target.label) is the newest known-good deployment before \(current.label)")
            ],
            skipped: [])
    }

    static func safetyBlock(_ service: ServiceSnapshot, policy: Policy, now: Timestamp) -> Decision? {
        if let last = service.automaticRollbacks.max(), now - last < policy.safety.cooldown {
            return .escalate(
                .cooldown,
                detail:
                    "\(service.name) was rolled back at \(last); cooldown \(policy.safety.cooldown.rewindDescription) lasts until \(last + policy.safety.cooldown)"
            )
        }
        let lastHour = service.automaticRollbacks.filter { now - $0 < .seconds(3600) }.count
        if lastHour >= policy.safety.maxAutomaticRollbacksPerHour {
            return .escalate(
                .stormCap,
                detail:
                    "\(service.name) had \(lastHour) automatic rollbacks in the last hour (cap \(policy.safety.maxAutomaticRollbacksPerHour))"
            )
        }
        return nil
    }
}
