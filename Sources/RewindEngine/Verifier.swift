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
        let passed = verdict == .passed
        if case .failed(let reason) = verdict { results.append(reason) }
        let outcome: StepOutcome = passed ? .succeeded(viaFallback: false) : .failed(results.last ?? "verification failed")
        try? await deps.store.recordStep(StepRecord(incidentID: incident.id, stepID: Self.verifyID(service), state: .done(outcome), at: deps.clock.now))
        try? await engine.append(incident.id, .verification, "\(service) verification \(passed ? "passed" : "FAILED")")
        return (passed, results)
    }
}
