import RewindCore
import RewindPorts

/// The plan steps besides the platform rollback: traffic moves (gradual, canary), the gradual
/// watch, kill-switch flags, down-migrations and the canary's data. Each is journaled like a
/// rollback: intent first, what was accepted next, the outcome last, so that a restart neither
/// repeats a change nor forgets one.
extension StepExecutor {
    // MARK: Traffic

    /// Sets the new version's share of traffic, or cuts it by a fraction of what it has now.
    ///
    /// The share a cut aims for is computed once, from the share the platform reports, and
    /// journaled (`share:0.5`) before it is set: after a restart the same share is set again
    /// (setting is idempotent), never halved twice.
    func moveTraffic(_ step: PlanStep, prior: StepRecord?, timeout: Duration) async -> StepOutcome {
        guard let controller = platforms.traffic[step.service] else {
            return .failed("no traffic control is configured for \(step.service) (traffic: in its policy)")
        }
        do {
            return try await withDeadline(timeout, clock: clock) { () async throws -> StepOutcome in
                let before = try await retrying { try await controller.newVersionShare(service: step.service) }
                let target: Double
                if let prior, case .accepted(let operation?) = prior.state,
                    let journaled = Self.share(fromOperation: operation)
                {
                    target = journaled
                    try await recorder.note(
                        .resumed, "\(step.id) chose \(PlanStep.percent(target)) before the restart; setting it again")
                } else {
                    target = Self.targetShare(step.action, current: before)
                    try await recorder.step(
                        step.id, .intent,
                        note: recorder.entry(
                            .stepIntent,
                            "\(step.summary()) via \(controller.kind): new version at \(PlanStep.percent(before)) → \(PlanStep.percent(target))"
                        ))
                    try await recorder.step(step.id, .accepted(operationID: "share:\(target)"))
                }
                if abs(before - target) < 0.0005 {
                    try await recorder.note(
                        .stepAttempt,
                        "\(step.service)'s new version already has \(PlanStep.percent(target)) of traffic: nothing to call"
                    )
                    return .alreadyLive
                }
                try await retrying { try await controller.setNewVersionShare(target, service: step.service) }
                let after = try await retrying { try await controller.newVersionShare(service: step.service) }
                guard abs(after - target) < 0.0005 else {
                    throw ProviderError(
                        .rejected,
                        "\(controller.kind) reports \(PlanStep.percent(after)) for the new version after setting \(PlanStep.percent(target))"
                    )
                }
                try await recorder.note(
                    .stepAccepted,
                    "\(controller.kind) now sends \(PlanStep.percent(after)) of \(step.service)'s traffic to \(step.from.label)",
                    detail: .object([
                        "service": .string(step.service.rawValue), "before": .number(before), "after": .number(after),
                    ]))
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
            started = clock.now
            try? await recorder.step(
                step.id, .intent,
                note: recorder.entry(
                    .stepIntent, "\(step.summary()): the trigger must recover by \(started + duration)"))
        }
        let end = started + duration
        var slice = Self.watchSlice(policy)
        var judge = signalWatch(for: step.service)
        if judge != nil { slice = min(slice, policy.strategies.gradualWatchInterval) }
        var nextEvaluation = started + policy.strategies.gradualWatchInterval
        while clock.now < end {
            do { try await clock.sleep(for: min(slice, end - clock.now)) } catch { return .failed("interrupted") }
            if let critical = board.checks.first(where: {
                $0.service == step.service && $0.severity == .critical && $0.firing
            }) {
                return .noImprovement("the critical health check \(critical.check) is failing")
            }
            if var watch = judge, clock.now >= nextEvaluation {
                let evaluation = await metricSource.evaluate(watch.signal, service: step.service, at: clock.now)
                let reading = watch.observe(evaluation)
                judge = watch
                nextEvaluation = clock.now + policy.strategies.gradualWatchInterval
                try? await recorder.note(
                    .stepAttempt,
                    "\(step.id): \(Self.describe(reading, watch)) (\(watch.healthyRun) of \(watch.signal.consecutive) healthy in a row)"
                )
            }
        }
        if let watch = judge {
            return watch.improved
                ? .improved(
                    "\(watch.signal.name) was back within \(watch.signal.threshold.describe(watch.signal.unit)) for \(watch.healthyRun) evaluations in a row at the reduced share"
                )
                : .noImprovement(
                    "\(watch.signal.name) still violates \(watch.signal.threshold.describe(watch.signal.unit)) after \(duration.rewindDescription) at the reduced share (\(watch.healthyRun) of \(watch.signal.consecutive) healthy evaluations in a row)"
                )
        }
        return stillFiring(incident.violation)
            .map { .noImprovement("\($0) after \(duration.rewindDescription) at the reduced share") }
            ?? .improved("the trigger recovered within \(duration.rewindDescription) at the reduced share")
    }

    /// The judge of the watch when a metric signal opened the incident (``GradualWatch``).
    private func signalWatch(for service: ServiceName) -> GradualWatch? {
        guard let context = incident.violation?.signal,
            let signal = policy.service(service)?.signals.first(where: { $0.name == context.name })
        else { return nil }
        return GradualWatch(signal: signal, baseline: context.baseline)
    }

    private static func describe(_ reading: GradualWatch.Reading, _ watch: GradualWatch) -> String {
        let unit = watch.signal.unit
        switch reading {
        case .healthy(let value):
            return "\(watch.signal.name) \(unit.format(value)), within \(watch.signal.threshold.describe(unit))"
        case .violating(let value):
            return "\(watch.signal.name) \(unit.format(value)), still \(watch.signal.threshold.describe(unit))"
        case .cannotTell(let why): return "\(watch.signal.name): cannot tell (\(why))"
        }
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
        guard let flagSwitch = platforms.flags[step.service] else {
            return .failed("no flag service is configured for \(step.service) (flags: in its policy)")
        }
        try? await recorder.step(
            step.id, .intent, note: recorder.entry(.stepIntent, "\(step.summary()) via \(flagSwitch.kind)"))
        var failures: [String] = []
        var turnedOff: [String] = []
        for flag in flags {
            do {
                let changed = try await withDeadline(timeout, clock: clock) { () async throws -> Bool in
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
        try? await recorder.note(.stepAccepted, "\(flagSwitch.kind): \(off)")
        return failures.isEmpty
            ? .succeeded(viaFallback: false) : .failed("\(flagSwitch.kind): " + failures.joined(separator: "; "))
    }

    // MARK: Migrations

    /// Runs the service's down-migration. A migration that was accepted before a restart is not
    /// run again: a down-migration is not known to be idempotent, so people are told to check.
    func migrateDown(_ step: PlanStep, prior: StepRecord?, timeout: Duration) async -> StepOutcome {
        guard let migration = platforms.migrations[step.service] else {
            return .failed("no migration is configured for \(step.service) (migration: in its policy)")
        }
        if prior != nil {
            return .failed(
                "\(migration.description) of \(step.service) was started before Rewind restarted; it is not run twice: check the database by hand"
            )
        }
        try? await recorder.step(
            step.id, .intent, note: recorder.entry(.stepIntent, "\(step.summary()) (\(migration.description))"))
        do {
            let output = try await withDeadline(timeout, clock: clock) {
                try await migration.rollBack(
                    service: step.service, from: step.from, to: step.to,
                    context: ActionContext(
                        incidentID: incident.id, current: step.from, manual: incident.trigger == .manual))
            }
            try? await recordOutput(output)
            return .succeeded(viaFallback: false)
        } catch {
            if let output = (error as? ProviderError)?.output { try? await recordOutput(output) }
            return .failed("\(migration.description): \(describe(error))")
        }
    }

    // MARK: CDN cache

    /// Purges the CDN cache in front of the service. Idempotent: after a restart it is done again.
    func purgeCache(_ step: PlanStep, timeout: Duration) async -> StepOutcome {
        guard let purger = platforms.traffic[step.service] as? any CachePurging, purger.purgesCache else {
            return .failed("no cache purge is configured for \(step.service) (traffic.purge and zone_id in its policy)")
        }
        try? await recorder.step(
            step.id, .intent, note: recorder.entry(.stepIntent, "\(step.summary()) via \(purger.kind)"))
        do {
            try await withDeadline(timeout, clock: clock) {
                try await retrying { try await purger.purgeCache(service: step.service) }
            }
            try? await recorder.note(.stepAccepted, "\(purger.kind) purged the cache in front of \(step.service)")
            return .succeeded(viaFallback: false)
        } catch {
            return .failed("\(purger.kind): \(describe(error))")
        }
    }

    // MARK: Canary data

    /// Keeps what the canary showed for the analysis the guide asks for within 30 minutes: the
    /// deployment, the evidence that fired, and every signal of the service as it stands.
    func preserveCanaryData(_ step: PlanStep) async -> StepOutcome {
        let signals = board.signals.filter { $0.service == step.service }
        let evidence = incident.violation?.evidence ?? []
        let detail = JSONValue.object([
            "canary": .object([
                "id": .string(step.from.id), "version": .string(step.from.version),
                "deployed_at": .string(step.from.deployedAt.iso8601),
            ]),
            "stable": .object(["id": .string(step.to.id), "version": .string(step.to.version)]),
            "trigger": .string(incident.violation?.rule ?? incident.reason ?? "manual"),
            "evidence": .array(
                evidence.map {
                    .object(["at": .string($0.at.iso8601), "check": .string($0.check), "result": .string($0.result)])
                }),
            "signals": .array(
                signals.map { signal in
                    .object([
                        "signal": .string(signal.signal), "last_value": signal.lastValue.map(JSONValue.string) ?? .null,
                        "threshold": .string(signal.threshold),
                        "baseline": signal.baseline.map(JSONValue.string) ?? .null,
                        "firing": .bool(signal.firing),
                    ])
                }),
        ])
        do {
            try await recorder.note(
                .canaryData,
                "kept \(step.service)'s canary data (\(step.from.label)): \(evidence.count) pieces of evidence, \(signals.count) signals; "
                    + "analyze within \(policy.strategies.canaryAnalysis.rewindDescription)",
                detail: detail)
            return .succeeded(viaFallback: false)
        } catch {
            return .failed("could not record the canary's data: \(describe(error))")
        }
    }
}

extension StepExecutor {
    /// Whether the trigger behind a violation is still firing, and what it says: a metric signal
    /// that has not met its recovery rule, a health check still failing, an alert not resolved.
    /// Nil when it recovered.
    func stillFiring(_ violation: Violation?) -> String? {
        guard let violation else { return "nothing to watch: the incident has no trigger" }
        if let signal = violation.signal {
            guard let state = board.signalState(violation.service, signal.name), state.isFiring else { return nil }
            return "\(signal.name) still violates \(signal.threshold)"
        }
        if let alert = violation.alert {
            return board.isFiring(violation.service, violation.source) ? "the alert \(alert.name) is still firing" : nil
        }
        let checks = Set(violation.evidence.map(\.check))
        if let failing = board.checks.first(where: {
            $0.service == violation.service && checks.contains($0.check) && $0.firing
        }) {
            return "the health check \(failing.check) still fails"
        }
        return nil
    }
}
