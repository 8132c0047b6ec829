import RewindCore
import RewindPorts

/// Executing one rollback step, level-based and journaled:
///
/// 1. A step the journal shows as accepted is not called again: its operation is polled (or,
///    for a synchronous one, taken as done).
/// 2. Otherwise the intent is written first, then the platform is re-read: if the target is
///    already live the step is recorded as done and nothing is called.
/// 3. The provider is called; transient errors are retried with jittered backoff (honouring
///    Retry-After), permanent ones are not. The accepted operation is journaled, then polled.
/// 4. If that fails for any reason (deadline included), the fallback runs with its own deadline.
extension IncidentRunner {
    func execute(_ step: PlanStep, prior: StepRecord?) async -> StepOutcome {
        deps.observer(.stepStarted(incidentID: incident.id, step))
        let timeout = effectiveTimeout(of: step)
        let outcome: StepOutcome
        if timeout <= .zero {
            outcome = .failed("the incident's deadline of \(plan.deadline?.rewindDescription ?? "-") passed before this step could run")
        } else {
            switch step.action {
            case .rollback: outcome = await rollBackOnPlatform(step, prior: prior, timeout: timeout)
            case .setTraffic, .reduceTraffic: outcome = await moveTraffic(step, prior: prior, timeout: timeout)
            case .watch(let durationMs): outcome = await watchForImprovement(step, for: .milliseconds(durationMs), prior: prior)
            case .disableFlags(let flags): outcome = await disableFlags(flags, step, prior: prior, timeout: timeout)
            case .migrate: outcome = await migrateDown(step, prior: prior, timeout: timeout)
            case .preserveCanaryData: outcome = await preserveCanaryData(step)
            }
        }
        // Shutting down, not failing: record nothing, so that the next daemon resumes this step
        // from its journal.
        if Task.isCancelled, case .failed = outcome { return outcome }
        try? await deps.store.recordStep(StepRecord(incidentID: incident.id, stepID: step.id, state: .done(outcome), at: deps.clock.now))
        try? await engine.append(incident.id, .stepOutcome, "\(step.id): \(outcome.summary)", detail: .object(["step": .string(step.id), "success": .bool(outcome.isSuccess)]))
        deps.observer(.stepFinished(incidentID: incident.id, stepID: step.id, outcome))
        return outcome
    }

    /// The step's own timeout, cut to what is left of the incident's deadline (immediate strategy).
    private func effectiveTimeout(of step: PlanStep) -> Duration {
        guard let deadline = plan.deadline else { return step.timeout }
        return min(step.timeout, incident.openedAt + deadline - deps.clock.now)
    }

    /// The platform rollback: provider, then fallback; on success the live deployment is recorded.
    private func rollBackOnPlatform(_ step: PlanStep, prior: StepRecord?, timeout: Duration) async -> StepOutcome {
        var outcome: StepOutcome
        if let provider = deps.providers[step.service] {
            switch await attempt(provider, step, prior: prior, label: "rollback", timeout: timeout) {
            case .success(let alreadyLive):
                outcome = alreadyLive ? .alreadyLive : .succeeded(viaFallback: false)
            case .failure where Task.isCancelled:
                return .failed("interrupted")
            case .failure(let error):
                var reason = describe(error)
                if error is DeadlineExceeded, timeout < step.timeout, let deadline = plan.deadline {
                    reason += " (what was left of the incident's \(deadline.rewindDescription) deadline)"
                }
                try? await engine.append(incident.id, .stepAttempt, "\(step.id) via \(provider.kind) failed: \(reason)")
                if let fallback = deps.fallbacks[step.service] {
                    switch await attempt(fallback, step, prior: nil, label: "fallback", timeout: effectiveTimeout(of: step)) {
                    case .success(let alreadyLive):
                        outcome = alreadyLive ? .alreadyLive : .succeeded(viaFallback: true)
                    case .failure(let fallbackError):
                        outcome = .failed("\(provider.kind): \(reason); fallback \(fallback.kind): \(describe(fallbackError))")
                    }
                } else {
                    outcome = .failed("\(provider.kind): \(reason); no fallback configured")
                }
            }
        } else {
            outcome = .failed("no provider is configured for \(step.service)")
        }
        if outcome.isSuccess {
            // The watchers keep their state across a rollback: a trigger that fired stays fired
            // until the recovery rule is met, so a rollback can never start another one.
            do {
                try await deps.store.setLive(service: step.service, deploymentID: step.to.id)
                try await deps.store.setTrust(service: step.service, deploymentID: step.from.id, trust: .bad, at: deps.clock.now)
                if incident.trigger != .manual {
                    try await deps.store.recordAutomaticRollback(service: step.service, at: deps.clock.now)
                }
            } catch {
                engine.logFailure("could not record the rollback", error, incident: incident.id)
            }
        }
        return outcome
    }

    /// One try with one provider, inside the step's deadline. `.success(true)` means the target
    /// was already live and nothing was called.
    private func attempt(_ provider: any PlatformProvider, _ step: PlanStep, prior: StepRecord?, label: String,
                         timeout: Duration) async -> Result<Bool, any Error> {
        let context = ActionContext(incidentID: incident.id, current: step.from)
        do {
            let alreadyLive = try await withDeadline(timeout, clock: deps.clock) { () async throws -> Bool in
                if let prior, case .accepted(let operationID) = prior.state {
                    try await engine.append(incident.id, .resumed, "\(step.id) was accepted before the restart; not calling the platform again")
                    if let operationID {
                        try await poll(provider, RollbackOperation(id: operationID, finished: false), step)
                    }
                    return false
                }
                try await deps.store.recordStep(StepRecord(incidentID: incident.id, stepID: step.id, state: .intent, at: deps.clock.now))
                try await engine.append(incident.id, .stepIntent, "\(label): roll back \(step.service) \(step.from.label) → \(step.to.label) via \(provider.kind)")
                if let live = try await retrying({ try await provider.currentDeployment(service: step.service) }), live.serves(step.to.id) {
                    try await engine.append(incident.id, .stepAttempt, "\(step.service) already serves \(step.to.label): nothing to call")
                    return true
                }
                deps.observer(.providerCalled(incidentID: incident.id, service: step.service, target: step.to.id))
                let operation = try await retrying { try await provider.rollback(service: step.service, to: step.to, context: context) }
                try await deps.store.recordStep(
                    StepRecord(incidentID: incident.id, stepID: step.id, state: .accepted(operationID: operation.finished ? nil : operation.id), at: deps.clock.now))
                try await engine.append(incident.id, .stepAccepted, "\(provider.kind) accepted the \(label)" + (operation.id.map { " (operation \($0))" } ?? ""))
                if let output = operation.output { try await recordOutput(output) }
                if !operation.finished {
                    try await poll(provider, operation, step)
                }
                return false
            }
            return .success(alreadyLive)
        } catch {
            if let output = (error as? ProviderError)?.output { try? await recordOutput(output) }
            return .failure(error)
        }
    }

    private func poll(_ provider: any PlatformProvider, _ operation: RollbackOperation, _ step: PlanStep) async throws {
        while true {
            switch try await retrying({ try await provider.status(of: operation, service: step.service, target: step.to) }) {
            case .succeeded:
                return
            case .failed(let reason):
                throw ProviderError(.rejected, "the platform reports the rollback of \(step.service) failed: \(reason)")
            case .inProgress:
                try await deps.clock.sleep(for: deps.pollInterval)
            }
        }
    }

    /// Retries transient errors only, with full-jitter backoff; waits at least Retry-After.
    func retrying<T: Sendable>(_ call: @Sendable () async throws -> T) async throws -> T {
        var retry = 0
        while true {
            do {
                return try await call()
            } catch let error as any RewindError where error.isTransient && retry < deps.policy.retry.attempts {
                retry += 1
                var delay = deps.policy.retry.delay(beforeRetry: retry, unitRandom: deps.random())
                if let retryAfter = (error as? ProviderError)?.retryAfter { delay = max(delay, retryAfter) }
                try? await engine.append(incident.id, .stepAttempt, "transient error (\(error.message)); retry \(retry) of \(deps.policy.retry.attempts) in \(delay.rewindDescription)")
                try await deps.clock.sleep(for: delay)
            }
        }
    }

    func recordOutput(_ output: CapturedOutput) async throws {
        try await engine.append(
            incident.id, .output, "\(output.command.first ?? "command") exited with status \(output.exitCode)",
            detail: .object([
                "command": .array(output.command.map { .string(deps.redactor.redact($0)) }),
                "exit_code": .number(Double(output.exitCode)),
                "stdout": .string(deps.redactor.redact(output.stdout)),
                "stderr": .string(deps.redactor.redact(output.stderr)),
            ]))
    }

    func describe(_ error: any Error) -> String {
        deps.redactor.redact((error as? any RewindError)?.message ?? String(describing: error))
    }
}
