import RewindCore
import RewindPorts

/// Verifies a rolled-back service: the guide's health verification (``VerificationRound``), then the
/// validation phases that apply to it (performance, business).
struct Verifier: Sendable {
    let incident: Incident
    let recorder: IncidentRecorder
    let policy: Policy
    let prober: any HealthProber
    let metricSource: any MetricSource
    /// The signals' trigger states (their baselines) and where verification probes are kept for reports.
    let board: StatusBoard
    let clock: any RewindClock
    let observer: @Sendable (EngineEvent) -> Void

    /// The guide's health verification of one rolled-back service (see ``VerificationRound``): "all
    /// services healthy". Every check of the service, and of every other service in the plan, runs
    /// in each attempt with the verification timeout; an attempt passes when all of them pass.
    func verify(_ service: ServiceName) async -> (passed: Bool, results: [String]) {
        let others = Set(incident.plan?.steps.map(\.service) ?? []).subtracting([service]).sorted()
        let checks = ([service] + others).flatMap { name in
            (policy.service(name)?.checks ?? []).map { (service: name, check: $0) }
        }
        var round = VerificationRound(policy: policy.verification, recovery: policy.health.recovery)
        var results: [String] = []
        var verdict: VerificationRound.Verdict = .again
        var attempt = 0
        while verdict == .again {
            attempt += 1
            if attempt > 1 {
                do { try await clock.sleep(for: policy.verification.interval) } catch {
                    // Shutting down: record nothing; the next daemon verifies again.
                    return (false, results + ["interrupted"])
                }
            }
            var passed = !checks.isEmpty
            var details: [String] = []
            for (owner, var check) in checks {
                check.timeout = policy.verification.timeout
                let probe = await prober.check(check)
                passed = passed && probe.result.isSuccess
                board.remember(
                    Observation(
                        service: owner, check: check.name, at: clock.now, result: probe.result,
                        latencyMs: probe.latencyMs))
                let name = owner == service ? check.name : "\(owner)/\(check.name)"
                details.append("\(name) \(probe.result.summary) in \(probe.latencyMs) ms")
            }
            if checks.isEmpty { details.append("no health check configured") }
            let line = "attempt \(attempt): " + details.joined(separator: ", ")
            results.append(line)
            observer(
                .verificationAttempt(
                    incidentID: incident.id, service: service, attempt: attempt, passed: passed, detail: line))
            try? await recorder.note(
                .verification, "\(service) \(line)",
                detail: .object([
                    "service": .string(service.rawValue), "attempt": .number(Double(attempt)), "passed": .bool(passed),
                ]))
            verdict = round.record(passed: passed)
        }
        var passed = verdict == .passed
        if case .failed(let reason) = verdict { results.append(reason) }
        if passed {
            for phase in phases(for: service) {
                guard let result = await runValidationPhase(phase, service: service) else {
                    return (false, results + ["interrupted"])
                }
                results.append(result.summary)
                if !result.passed {
                    passed = false
                    break
                }
            }
        }
        let outcome: StepOutcome =
            passed ? .succeeded(viaFallback: false) : .failed(results.last ?? "verification failed")
        try? await recorder.step(
            IncidentRunner.verifyID(service), .done(outcome),
            note: recorder.entry(.verification, "\(service) verification \(passed ? "passed" : "FAILED")"))
        return (passed, results)
    }
}

extension Verifier {
    /// The validation phases that apply to a service: those enabled whose categories it has signals for.
    func phases(for service: ServiceName) -> [(ValidationPhaseKind, ValidationPhasePolicy)] {
        let signals = policy.service(service)?.signals ?? []
        let verification = policy.verification
        return [(ValidationPhaseKind.performance, verification.performance), (.business, verification.business)].filter
        { kind, policy in
            policy.enabled && signals.contains { kind.categories.contains($0.category) }
        }
    }

    /// Watches the phase throughout (every `verification.interval`): a criterion failing its
    /// signal's count of looks in a row fails the phase at once (``PhaseWatch``); otherwise the
    /// signals are judged against the guide's criteria at its end. Nil when shutdown interrupted it.
    func runValidationPhase(
        _ phase: (kind: ValidationPhaseKind, policy: ValidationPhasePolicy), service: ServiceName
    ) async -> PhaseResult? {
        try? await recorder.note(
            .verification,
            "\(service) \(phase.kind.rawValue) validation started: \(phase.policy.duration.rewindDescription)")
        let signals = (policy.service(service)?.signals ?? []).filter { phase.kind.categories.contains($0.category) }
        let start = clock.now
        let end = start + phase.policy.duration
        var watch = PhaseWatch(signals: signals)
        var result: PhaseResult?
        while result == nil {
            do { try await clock.sleep(for: min(policy.verification.interval, max(end - clock.now, .zero))) } catch {
                return nil
            }
            let judged = ValidationPhaseJudge.judge(phase.kind, await readings(signals, service: service))
            if clock.now >= end {
                result = judged
            } else if let failed = watch.observe(judged, elapsed: clock.now - start) {
                result = PhaseResult(kind: phase.kind, checks: [failed])
            }
        }
        guard let result else { return nil }
        let checks = JSONValue.array(
            result.checks.map {
                .object([
                    "name": .string($0.name), "outcome": .string($0.outcome.rawValue), "detail": .string($0.detail),
                ])
            })
        try? await recorder.note(
            .verification, "\(service) \(result.summary)",
            detail: .object([
                "service": .string(service.rawValue), "phase": .string(phase.kind.rawValue),
                "passed": .bool(result.passed), "checks": checks,
            ]))
        observer(
            .verificationAttempt(
                incidentID: incident.id, service: service, attempt: 0, passed: result.passed, detail: result.summary))
        return result
    }

    /// One look at the phase's signals, with what each is judged against.
    private func readings(_ signals: [MetricSignalPolicy], service: ServiceName) async -> [PhaseReading] {
        let from = incident.plan?.steps.first { $0.service == service }?.from
        var readings: [PhaseReading] = []
        for signal in signals {
            let evaluation = await metricSource.evaluate(signal, service: service, at: clock.now)
            let value: Double? =
                if case .value(let value, let samples) = evaluation.outcome, samples >= signal.minSamples,
                    value.isFinite
                { value } else { nil }
            let atTrigger = incident.violation.flatMap { violation in
                violation.signal?.name == signal.name ? violation.evidence.last?.value : nil
            }
            let state = board.signalState(service, signal.name)
            let baseline =
                evaluation.externalBaseline
                ?? state?.rollingBaseline(now: clock.now, suspectSince: from?.deployedAt ?? incident.openedAt)
                ?? (incident.violation?.signal?.name == signal.name ? incident.violation?.signal?.baseline : nil)
            readings.append(PhaseReading(signal: signal, value: value, atTrigger: atTrigger, baseline: baseline))
        }
        return readings
    }
}
