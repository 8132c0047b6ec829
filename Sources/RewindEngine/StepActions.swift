import RewindCore
import RewindPorts

/// The plan steps besides the platform rollback: traffic moves (gradual, canary), the gradual
/// watch, kill-switch flags, down-migrations and the canary's data. Each is journaled like a
/// rollback: intent first, what was accepted next, the outcome last, so that a restart neither
/// repeats a change nor forgets one.
extension IncidentRunner {
    // MARK: Traffic

    /// Sets the new version's share of traffic, or cuts it by a fraction of what it has now.
    ///
    /// The share a cut aims for is computed once, from the share the platform reports, and
    /// journaled (`share:0.5`) before it is set: after a restart the same share is set again
    /// (setting is idempotent), never halved twice.
    func moveTraffic(_ step: PlanStep, prior: StepRecord?, timeout: Duration) async -> StepOutcome {
        guard let controller = deps.trafficControllers[step.service] else {
            return .failed("no traffic control is configured for \(step.service) (traffic: in its policy)")
        }
        do {
            return try await withDeadline(timeout, clock: deps.clock) { () async throws -> StepOutcome in
                let before = try await retrying { try await controller.newVersionShare(service: step.service) }
                let target: Double
                if let prior, case .accepted(let operation?) = prior.state, let journaled = Self.share(fromOperation: operation) {
                    target = journaled
                    try await engine.append(incident.id, .resumed, "\(step.id) chose \(PlanStep.percent(target)) before the restart; setting it again")
                } else {
                    try await deps.store.recordStep(StepRecord(incidentID: incident.id, stepID: step.id, state: .intent, at: deps.clock.now))
                    target = Self.targetShare(step.action, current: before)
                    try await engine.append(incident.id, .stepIntent,
                                            "\(step.summary()) via \(controller.kind): new version at \(PlanStep.percent(before)) → \(PlanStep.percent(target))")
                    try await deps.store.recordStep(
                        StepRecord(incidentID: incident.id, stepID: step.id, state: .accepted(operationID: "share:\(target)"), at: deps.clock.now))
                }
                if abs(before - target) < 0.0005 {
                    try await engine.append(incident.id, .stepAttempt, "\(step.service)'s new version already has \(PlanStep.percent(target)) of traffic: nothing to call")
                    return .alreadyLive
                }
                try await retrying { try await controller.setNewVersionShare(target, service: step.service) }
                let after = try await retrying { try await controller.newVersionShare(service: step.service) }
                guard abs(after - target) < 0.0005 else {
                    throw ProviderError(.rejected, "\(controller.kind) reports \(PlanStep.percent(after)) for the new version after setting \(PlanStep.percent(target))")
                }
                try await engine.append(incident.id, .stepAccepted, "\(controller.kind) now sends \(PlanStep.percent(after)) of \(step.service)'s traffic to \(step.from.label)",
                                        detail: .object(["service": .string(step.service.rawValue), "before": .number(before), "after": .number(after)]))
                return .succeeded(viaFallback: false)
            }
        } catch {
            return .failed("\(controller.kind): \(describe(error))")
        }
    }

    static func targetShare(_ action: StepAction, current: Double) -> Double {
        switch action {
        case .setTraffic(let share): return min(max(share, 0), 1)
        case .reduceTraffic(let fraction): return min(max(current * (1 - fraction), 0), 1)
        default: return current
        }
    }

    static func share(fromOperation operation: String) -> Double? {
        guard operation.hasPrefix("share:") else { return nil }
        return Double(operation.dropFirst("share:".count))
    }

    // MARK: The gradual watch

    /// Watches the trigger that opened the incident: `improved` when it has recovered by the end
    /// of the watch, `noImprovement` when it has not, or at once when a critical health check of
    /// the service starts failing meanwhile (waiting out the watch would leave it down).
    /// After a restart the watch ends when it would have ended.
    func watchForImprovement(_ step: PlanStep, for duration: Duration, prior: StepRecord?) async -> StepOutcome {
        let started: Timestamp
        if let prior, prior.state == .intent {
            started = prior.at
        } else {
            started = deps.clock.now
            try? await deps.store.recordStep(StepRecord(incidentID: incident.id, stepID: step.id, state: .intent, at: started))
            try? await engine.append(incident.id, .stepIntent, "\(step.summary()): the trigger must recover by \(started + duration)")
        }
        let end = started + duration
        let slice = Self.watchSlice(deps.policy)
        while deps.clock.now < end {
            do { try await deps.clock.sleep(for: min(slice, end - deps.clock.now)) } catch { return .failed("interrupted") }
            if let critical = engine.checkStatuses.first(where: { $0.service == step.service && $0.severity == .critical && $0.firing }) {
                return .noImprovement("the critical health check \(critical.check) is failing")
            }
        }
        return engine.stillFiring(incident.violation)
            .map { .noImprovement("\($0) after \(duration.rewindDescription) at the reduced share") }
            ?? .improved("the trigger recovered within \(duration.rewindDescription) at the reduced share")
    }

    /// How often the watch looks at the service's critical health checks.
    static func watchSlice(_ policy: Policy) -> Duration {
        let intervals = policy.services.flatMap(\.checks).map(\.interval)
        return max(intervals.min() ?? Defaults.checkInterval, .seconds(1))
    }

    // MARK: Flags

    /// Turns the service's kill-switch flags off, each one re-read first (one already off is
    /// left alone). Every flag is tried even when one fails.
    func disableFlags(_ flags: [String], _ step: PlanStep, prior: StepRecord?, timeout: Duration) async -> StepOutcome {
        guard let flagSwitch = deps.featureSwitches[step.service] else {
            return .failed("no flag service is configured for \(step.service) (flags: in its policy)")
        }
        try? await deps.store.recordStep(StepRecord(incidentID: incident.id, stepID: step.id, state: .intent, at: deps.clock.now))
        try? await engine.append(incident.id, .stepIntent, "\(step.summary()) via \(flagSwitch.kind)")
        var failures: [String] = []
        var turnedOff: [String] = []
        for flag in flags {
            do {
                let changed = try await withDeadline(timeout, clock: deps.clock) { () async throws -> Bool in
                    guard try await retrying({ try await flagSwitch.isEnabled(flag: flag) }) else { return false }
                    try await retrying { try await flagSwitch.disable(flag: flag) }
                    return true
                }
                if changed { turnedOff.append(flag) }
            } catch {
                failures.append("\(flag): \(describe(error))")
            }
        }
        let off = turnedOff.isEmpty ? "none needed turning off" : "turned off \(turnedOff.joined(separator: ", "))"
        try? await engine.append(incident.id, .stepAccepted, "\(flagSwitch.kind): \(off)")
        return failures.isEmpty ? .succeeded(viaFallback: false) : .failed("\(flagSwitch.kind): " + failures.joined(separator: "; "))
    }

    // MARK: Migrations

    /// Runs the service's down-migration. A migration that was accepted before a restart is not
    /// run again: a down-migration is not known to be idempotent, so people are told to check.
    func migrateDown(_ step: PlanStep, prior: StepRecord?, timeout: Duration) async -> StepOutcome {
        guard let migration = deps.migrations[step.service] else {
            return .failed("no migration is configured for \(step.service) (migration: in its policy)")
        }
        if prior != nil {
            return .failed("\(migration.description) of \(step.service) was started before Rewind restarted; it is not run twice: check the database by hand")
        }
        try? await deps.store.recordStep(StepRecord(incidentID: incident.id, stepID: step.id, state: .intent, at: deps.clock.now))
        try? await engine.append(incident.id, .stepIntent, "\(step.summary()) (\(migration.description))")
        do {
            let output = try await withDeadline(timeout, clock: deps.clock) {
                try await migration.rollBack(service: step.service, from: step.from, to: step.to,
                                             context: ActionContext(incidentID: incident.id, current: step.from))
            }
            try? await recordOutput(output)
            return .succeeded(viaFallback: false)
        } catch {
            if let output = (error as? ProviderError)?.output { try? await recordOutput(output) }
            return .failed("\(migration.description): \(describe(error))")
        }
    }

    // MARK: Canary data

    /// Keeps what the canary showed for the analysis the guide asks for within 30 minutes: the
    /// deployment, the evidence that fired, and every signal of the service as it stands.
    func preserveCanaryData(_ step: PlanStep) async -> StepOutcome {
        let signals = engine.signalStatuses.filter { $0.service == step.service }
        let evidence = incident.violation?.evidence ?? []
        let detail = JSONValue.object([
            "canary": .object(["id": .string(step.from.id), "version": .string(step.from.version), "deployed_at": .string(step.from.deployedAt.iso8601)]),
            "stable": .object(["id": .string(step.to.id), "version": .string(step.to.version)]),
            "trigger": .string(incident.violation?.rule ?? incident.reason ?? "manual"),
            "evidence": .array(evidence.map { .object(["at": .string($0.at.iso8601), "check": .string($0.check), "result": .string($0.result)]) }),
            "signals": .array(signals.map { signal in
                .object([
                    "signal": .string(signal.signal), "last_value": signal.lastValue.map(JSONValue.string) ?? .null,
                    "threshold": .string(signal.threshold), "baseline": signal.baseline.map(JSONValue.string) ?? .null,
                    "firing": .bool(signal.firing),
                ])
            }),
        ])
        do {
            try await engine.append(incident.id, .canaryData,
                                    "kept \(step.service)'s canary data (\(step.from.label)): \(evidence.count) pieces of evidence, \(signals.count) signals; analyze within \(deps.policy.strategies.canaryAnalysis.rewindDescription)",
                                    detail: detail)
            return .succeeded(viaFallback: false)
        } catch {
            return .failed("could not record the canary's data: \(describe(error))")
        }
    }
}

extension RewindEngine {
    /// Whether the trigger behind a violation is still firing, and what it says: a metric signal
    /// that has not met its recovery rule, a health check still failing, an alert not resolved.
    /// Nil when it recovered.
    func stillFiring(_ violation: Violation?) -> String? {
        guard let violation else { return "nothing to watch: the incident has no trigger" }
        if let signal = violation.signal {
            guard let state = signalState(violation.service, signal.name), state.isFiring else { return nil }
            return "\(signal.name) still violates \(signal.threshold)"
        }
        if let alert = violation.alert {
            let firing = alertBook.withLock { $0.firing["\(violation.service)/\(alert.fingerprint)"] != nil }
            return firing ? "the alert \(alert.name) is still firing" : nil
        }
        let checks = Set(violation.evidence.map(\.check))
        if let failing = checkStatuses.first(where: { $0.service == violation.service && checks.contains($0.check) && $0.firing }) {
            return "the health check \(failing.check) still fails"
        }
        return nil
    }
}
