import RewindCore
import RewindPorts

/// Executing one rollback step, level-based and journaled:
///
/// 1. A step the journal shows as accepted is not called again: its operation is polled (or,
///    for a synchronous one, taken as done).
/// 2. Otherwise the intent is written first (a new incident's first rollback steps have it written
///    with the incident's opening, ``IncidentRecords``, so the platform is called after one durable
///    write), then the platform is re-read: if the target is already live the step is recorded as
///    done and nothing is called. A step the journal shows
///    as intended but never answered (the previous Rewind stopped while the platform ran it) is
///    called again only when the platform says the target is not live, or the provider's call is
///    idempotent; otherwise its outcome is unknown: no second call, no fallback — the service is
///    verified and people are told.
/// 3. The provider is called; transient errors are retried with jittered backoff (honouring
///    Retry-After), permanent ones are not. The accepted operation is journaled, then polled.
/// 4. If that fails for any reason (deadline included), the fallback runs with its own deadline — unless
///    the platform refused the credential (`.auth`) and the fallback uses the same one.
struct StepExecutor: Sendable {
    let incident: Incident
    let recorder: IncidentRecorder
    let platforms: Platforms
    let policy: Policy
    let clock: any RewindClock
    /// How often an asynchronous platform operation is polled.
    let pollInterval: Duration
    /// A uniform draw in [0, 1) for retry jitter.
    let random: @Sendable () -> Double
    /// What the watchers see (the gradual watch, the canary's data).
    let board: StatusBoard
    /// Evaluates the trigger's signal during the gradual watch.
    let metricSource: any MetricSource
    let metrics: RewindMetrics
    let observer: @Sendable (EngineEvent) -> Void

    var plan: Plan { incident.plan ?? Plan(strategy: .fast, steps: [], freeze: nil) }

    /// `intentJournaled`: the step's intent was written with the incident's opening (a fresh step,
    /// not one resumed from the journal), so the first attempt does not write it again.
    func execute(_ step: PlanStep, prior: StepRecord?, intentJournaled: Bool = false) async -> StepOutcome {
        observer(.stepStarted(incidentID: incident.id, step))
        let timeout = effectiveTimeout(of: step)
        let outcome: StepOutcome
        if timeout <= .zero {
            outcome = .failed(
                "the incident's deadline of \(plan.deadline?.rewindDescription ?? "-") passed before this step could run"
            )
        } else {
            switch step.action {
            case .rollback:
                outcome = await rollBackOnPlatform(
                    step, prior: prior, intentJournaled: intentJournaled, timeout: timeout)
            case .setTraffic, .reduceTraffic: outcome = await moveTraffic(step, prior: prior, timeout: timeout)
            case .watch(let durationMs):
                outcome = await watchForImprovement(step, for: .milliseconds(durationMs), prior: prior)
            case .disableFlags(let flags): outcome = await disableFlags(flags, step, prior: prior, timeout: timeout)
            case .migrate: outcome = await migrateDown(step, prior: prior, timeout: timeout)
            case .preserveCanaryData: outcome = await preserveCanaryData(step)
            case .purgeCache: outcome = await purgeCache(step, timeout: timeout)
            }
        }
        // Shutting down, not failing: record nothing, so that the next daemon resumes this step
        // from its journal.
        if Task.isCancelled, case .failed = outcome { return outcome }
        var change = StateChange()
        change.steps = [StepRecord(incidentID: incident.id, stepID: step.id, state: .done(outcome), at: clock.now)]
        change.timeline = [
            recorder.entry(
                .stepOutcome, "\(step.id): \(outcome.summary)",
                detail: .object(["step": .string(step.id), "success": .bool(outcome.isSuccess)]))
        ]
        // A rollback that happened: the target is live and the deployment it left is bad, in the
        // same write as the step's outcome; the supervisor hears of it after.
        var rolledBack: StateChange.Rollback?
        if step.action == .rollback, outcome.isSuccess {
            rolledBack = .init(
                service: step.service, from: step.from.id, to: step.to.id, automatic: incident.trigger != .manual,
                at: clock.now)
        }
        if let rolledBack { change.record(rolledBack) }
        do {
            try await recorder.commit(change)
            if let rolledBack { recorder.rolledBack(rolledBack) }
        } catch {
            recorder.failed("could not journal a step's outcome", error)
        }
        observer(.stepFinished(incidentID: incident.id, stepID: step.id, outcome))
        await announcer.announce(
            StepAnnouncer.announcement(of: step, outcome: outcome, incident: incident), service: step.service)
        return outcome
    }

    /// Shows steps on the platform (Kubernetes Events); best effort.
    var announcer: StepAnnouncer {
        StepAnnouncer(
            providers: platforms.providers, clock: clock, redactor: recorder.redactor, logger: recorder.logger)
    }

    /// The step's own timeout, cut to what is left of the incident's deadline (immediate strategy).
    private func effectiveTimeout(of step: PlanStep) -> Duration {
        guard let deadline = plan.deadline else { return step.timeout }
        return min(step.timeout, incident.openedAt + deadline - clock.now)
    }

    /// The platform rollback: provider, then fallback; on success the live deployment is recorded.
    private func rollBackOnPlatform(
        _ step: PlanStep, prior: StepRecord?, intentJournaled: Bool, timeout: Duration
    ) async -> StepOutcome {
        var outcome: StepOutcome
        if let provider = platforms.providers[step.service] {
            switch await attempt(
                provider, step, prior: prior, label: "rollback", intentJournaled: intentJournaled, timeout: timeout)
            {
            case .success(let alreadyLive):
                outcome = alreadyLive ? .alreadyLive : .succeeded(viaFallback: false)
            case .failure where Task.isCancelled:
                return .failed("interrupted")
            case .failure(let unknown as OutcomeUnknown):
                return .unknown(unknown.reason)
            case .failure(let error):
                var reason = describe(error)
                if error is DeadlineExceeded, timeout < step.timeout, let deadline = plan.deadline {
                    reason += " (what was left of the incident's \(deadline.rewindDescription) deadline)"
                }
                try? await recorder.note(.stepAttempt, "\(step.id) via \(provider.kind) failed: \(reason)")
                if let fallback = platforms.fallbacks[step.service], (error as? ProviderError)?.kind == .auth,
                    let credential = provider.credential, credential == fallback.credential
                {
                    // The same request with the same secret would be refused the same way.
                    outcome = .failed(
                        "\(provider.kind): \(reason); fallback \(fallback.kind) skipped: it uses the same credential "
                            + "(\(credential)) that the platform just refused")
                } else if let fallback = platforms.fallbacks[step.service] {
                    switch await attempt(
                        fallback, step, prior: nil, label: "fallback", timeout: effectiveTimeout(of: step))
                    {
                    case .success(let alreadyLive):
                        outcome = alreadyLive ? .alreadyLive : .succeeded(viaFallback: true)
                    case .failure(let fallbackError):
                        outcome = .failed(
                            "\(provider.kind): \(reason); fallback \(fallback.kind): \(describe(fallbackError))")
                    }
                } else {
                    outcome = .failed("\(provider.kind): \(reason); no fallback configured")
                }
            }
        } else {
            outcome = .failed("no provider is configured for \(step.service)")
        }
        return outcome
    }

    /// The intent's timeline entry: what is about to be called, and on which platform.
    static func intent(of step: PlanStep, label: String, via kind: String) -> String {
        "\(label): roll back \(step.service) \(step.from.label) → \(step.to.label) via \(kind)"
    }

    /// One try with one provider, inside the step's deadline. `.success(true)` means the target
    /// was already live and nothing was called. `intentJournaled`: the opening wrote this try's intent.
    private func attempt(
        _ provider: any PlatformProvider, _ step: PlanStep, prior: StepRecord?, label: String,
        intentJournaled: Bool = false, timeout: Duration
    ) async -> Result<Bool, any Error> {
        let context = ActionContext(incidentID: incident.id, current: step.from, manual: incident.trigger == .manual)
        do {
            let alreadyLive = try await withDeadline(timeout, clock: clock) { () async throws -> Bool in
                if let prior, case .accepted(let operationID) = prior.state {
                    try await recorder.note(
                        .resumed, "\(step.id) was accepted before the restart; not calling the platform again")
                    if let operationID {
                        try await poll(provider, RollbackOperation(id: operationID, finished: false), step)
                    }
                    return false
                }
                if !intentJournaled {
                    try await recorder.step(
                        step.id, .intent,
                        note: recorder.entry(.stepIntent, Self.intent(of: step, label: label, via: provider.kind)))
                }
                recorder.phaseReached(.stepIntent)
                let live = try await retrying({ try await provider.currentDeployment(service: step.service) })
                if let live, live.serves(step.to.id) {
                    try await recorder.note(
                        .stepAttempt, "\(step.service) already serves \(step.to.label): nothing to call")
                    return true
                }
                if prior?.state == .intent, live == nil, !provider.isIdempotent {
                    let unknown = OutcomeUnknown(
                        reason:
                            "Rewind stopped after starting to roll \(step.service) back to \(step.to.label) via \(provider.kind) "
                            + "and before its answer, so the rollback may or may not have run; \(provider.kind) cannot say what "
                            + "is live and its rollback is not declared idempotent, so it is not run again: check \(step.service) by hand"
                    )
                    try await recorder.note(.resumed, "\(step.id): outcome unknown: \(unknown.reason)")
                    throw unknown
                }
                observer(.providerCalled(incidentID: incident.id, service: step.service, target: step.to.id))
                metrics.rollbackCalled(step.service, afterDetection: clock.now - incident.detectedAt)
                let operation = try await retrying {
                    try await provider.rollback(service: step.service, to: step.to, context: context)
                }
                recorder.phaseReached(.stepCalled)
                try await recorder.step(
                    step.id, .accepted(operationID: operation.finished ? nil : operation.id),
                    note: recorder.entry(
                        .stepAccepted,
                        (operation.followedRunningJob
                            ? "\(provider.kind) followed the rollback job already running"
                            : "\(provider.kind) accepted the \(label)")
                            + (operation.id.map { " (operation \($0))" } ?? "")))
                if let output = operation.output { try await recordOutput(output) }
                for note in operation.notes {
                    try await recorder.note(.stepAccepted, recorder.redactor.redact(note))
                }
                recorder.phaseReached(.stepAccepted)
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
            switch try await retrying({
                try await provider.status(of: operation, service: step.service, target: step.to)
            }) {
            case .succeeded:
                return
            case .failed(let reason):
                throw ProviderError(.rejected, "the platform reports the rollback of \(step.service) failed: \(reason)")
            case .inProgress:
                try await clock.sleep(for: max(pollInterval, provider.pollInterval ?? .zero))
            }
        }
    }

    /// Retries transient errors only, with full-jitter backoff; waits at least Retry-After, and gives up
    /// at once when Retry-After is longer than the whole retry budget.
    func retrying<T: Sendable>(_ call: @Sendable () async throws -> T) async throws -> T {
        var retry = 0
        while true {
            do {
                return try await call()
            } catch let error as any RewindError where error.isTransient && retry < policy.retry.attempts {
                if let asked = (error as? ProviderError)?.retryAfter, policy.retry.exceedsBudget(asked) {
                    throw ProviderError.beyondRetryBudget(error.message, asked: asked, budget: policy.retry.budget)
                }
                retry += 1
                var delay = policy.retry.delay(beforeRetry: retry, unitRandom: random())
                if let retryAfter = (error as? ProviderError)?.retryAfter { delay = max(delay, retryAfter) }
                try? await recorder.note(
                    .stepAttempt,
                    "transient error (\(error.message)); retry \(retry) of \(policy.retry.attempts) in \(delay.rewindDescription)"
                )
                try await clock.sleep(for: delay)
            }
        }
    }

    func recordOutput(_ output: CapturedOutput) async throws {
        let redactor = recorder.redactor
        try await recorder.note(
            .output, "\(output.command.first ?? "command") exited with status \(output.exitCode)",
            detail: .object([
                "command": .array(output.command.map { .string(redactor.redact($0)) }),
                "exit_code": .number(Double(output.exitCode)),
                "stdout": .string(redactor.redact(output.stdout)),
                "stderr": .string(redactor.redact(output.stderr)),
            ]))
    }

    func describe(_ error: any Error) -> String {
        recorder.redactor.redact((error as? any RewindError)?.message ?? String(describing: error))
    }
}

/// A step that may or may not have happened, and must not be called again to find out.
private struct OutcomeUnknown: Error {
    var reason: String
}
