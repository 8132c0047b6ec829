import RewindCore
import RewindPorts

extension IncidentRunner {
    /// The guide's health verification of one rolled-back service (see ``VerificationRound``).
    /// Every check of the service runs in each attempt, with the verification timeout.
    func verify(_ service: ServiceName) async -> (passed: Bool, results: [String]) {
        let policy = deps.policy
        let checks = policy.service(service)?.checks ?? []
        var round = VerificationRound(policy: policy.verification, recovery: policy.health.recovery)
        var results: [String] = []
        var verdict: VerificationRound.Verdict = .again
        var attempt = 0
        while verdict == .again {
            attempt += 1
            if attempt > 1 {
                do { try await deps.clock.sleep(for: policy.verification.interval) } catch {
                    // Shutting down: record nothing; the next daemon verifies again.
                    return (false, results + ["interrupted"])
                }
            }
            var passed = !checks.isEmpty
            var details: [String] = []
            for var check in checks {
                check.timeout = policy.verification.timeout
                let probe = await deps.prober.check(check)
                passed = passed && probe.result.isSuccess
                engine.remember(Observation(service: service, check: check.name, at: deps.clock.now, result: probe.result, latencyMs: probe.latencyMs))
                details.append("\(check.name) \(probe.result.summary) in \(probe.latencyMs) ms")
            }
            if checks.isEmpty { details.append("no health check configured") }
            let line = "attempt \(attempt): " + details.joined(separator: ", ")
            results.append(line)
            deps.observer(.verificationAttempt(incidentID: incident.id, service: service, attempt: attempt, passed: passed, detail: line))
            try? await engine.append(incident.id, .verification, "\(service) \(line)", detail: .object(["service": .string(service.rawValue), "attempt": .number(Double(attempt)), "passed": .bool(passed)]))
            verdict = round.record(passed: passed)
        }
        var passed = verdict == .passed
        if case .failed(let reason) = verdict { results.append(reason) }
        if passed {
            for phase in phases(for: service) {
                guard let result = await validate(phase, service: service) else { return (false, results + ["interrupted"]) }
                results.append(result.summary)
                if !result.passed {
                    passed = false
                    break
                }
            }
        }
        let outcome: StepOutcome = passed ? .succeeded(viaFallback: false) : .failed(results.last ?? "verification failed")
        try? await deps.store.recordStep(StepRecord(incidentID: incident.id, stepID: Self.verifyID(service), state: .done(outcome), at: deps.clock.now))
        try? await engine.append(incident.id, .verification, "\(service) verification \(passed ? "passed" : "FAILED")")
        return (passed, results)
    }
}

extension IncidentRunner {
    /// The validation phases that apply to a service: those enabled whose categories it has signals for.
    func phases(for service: ServiceName) -> [(ValidationPhaseKind, ValidationPhasePolicy)] {
        let signals = deps.policy.service(service)?.signals ?? []
        let verification = deps.policy.verification
        return [(ValidationPhaseKind.performance, verification.performance), (.business, verification.business)].filter { kind, policy in
            policy.enabled && signals.contains { kind.categories.contains($0.category) }
        }
    }

    /// Waits the phase's duration, then judges the service's signals against the guide's criteria.
    /// Nil when shutdown interrupted the wait.
    func validate(_ phase: (kind: ValidationPhaseKind, policy: ValidationPhasePolicy), service: ServiceName) async -> PhaseResult? {
        try? await engine.append(incident.id, .verification, "\(service) \(phase.kind.rawValue) validation started: \(phase.policy.duration.rewindDescription)")
        do { try await deps.clock.sleep(for: phase.policy.duration) } catch { return nil }
        let signals = (deps.policy.service(service)?.signals ?? []).filter { phase.kind.categories.contains($0.category) }
        let from = incident.plan?.steps.first { $0.service == service }?.from
        var readings: [PhaseReading] = []
        for signal in signals {
            let evaluation = await deps.metrics.evaluate(signal, service: service, at: deps.clock.now)
            let value: Double? = if case .value(let value, let samples) = evaluation.outcome, samples >= signal.minSamples, !value.isNaN { value } else { nil }
            let atTrigger = incident.violation.flatMap { violation in
                violation.signal?.name == signal.name ? violation.evidence.last?.value : nil
            }
            let state = engine.signalState(service, signal.name)
            let baseline = evaluation.externalBaseline
                ?? state?.rollingBaseline(now: deps.clock.now, suspectSince: from?.deployedAt ?? incident.openedAt)
                ?? (incident.violation?.signal?.name == signal.name ? incident.violation?.signal?.baseline : nil)
            readings.append(PhaseReading(signal: signal, value: value, atTrigger: atTrigger, baseline: baseline))
        }
        let result = PhaseValidation.judge(phase.kind, readings)
        let checks = JSONValue.array(result.checks.map {
            .object(["name": .string($0.name), "outcome": .string($0.outcome.rawValue), "detail": .string($0.detail)])
        })
        try? await engine.append(
            incident.id, .verification, "\(service) \(result.summary)",
            detail: .object(["service": .string(service.rawValue), "phase": .string(phase.kind.rawValue), "passed": .bool(result.passed), "checks": checks]))
        deps.observer(.verificationAttempt(incidentID: incident.id, service: service, attempt: 0, passed: result.passed, detail: result.summary))
        return result
    }
}
