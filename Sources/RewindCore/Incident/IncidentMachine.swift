/// How an incident ended.
public enum IncidentOutcome: String, Sendable, Codable, Hashable {
    /// Rolled back and verified.
    case completed
    /// A step or a verification failed; people were escalated to.
    case failed
    /// No rollback was attempted; people were escalated to.
    case escalated
    /// Observe mode: Rewind recorded what it would have done.
    case observed
}

/// An effect the incident asks for. The engine performs it and feeds back the result.
public enum IncidentAction: Sendable, Equatable {
    case notify(NoticeKind)
    case freezeDeployments(Duration)
    case runStep(PlanStep)
    case verify(ServiceName)
    case finish(IncidentOutcome)
}

/// The lifecycle of one incident with a rollback plan, as a pure state machine: each event
/// returns the actions to perform, and the engine owns the one task that drives it.
///
/// ```
/// start ──▶ steps run as their dependencies finish ──▶ each succeeded service is verified
///            │ a step fails (fallback included) ─▶ its dependents are skipped
///            │ a step's outcome is unknown ─▶ its service is verified, its dependents are skipped
///            ▼
///  all steps and verifications done ──▶ completed (all good) │ failed (notify failed: escalate)
/// ```
/// A failed verification never triggers a second rollback. A step gated on a watch
/// (`unlessImproved`, the gradual strategy) is not needed when the watch saw improvement, and
/// runs when it did not, or when the watch could not run.
public struct IncidentMachine: Sendable, Equatable {
    public enum StepState: Sendable, Equatable {
        case pending, running
        case done(StepOutcome)
    }

    public enum VerificationState: Sendable, Equatable {
        case pending, running
        case done(passed: Bool)
    }

    public let plan: Plan
    public let mode: Mode
    public private(set) var steps: [String: StepState]
    public private(set) var verifications: [ServiceName: VerificationState] = [:]
    public private(set) var outcome: IncidentOutcome?
    private var started = false

    public init(plan: Plan, mode: Mode) {
        self.plan = plan
        self.mode = mode
        self.steps = Dictionary(uniqueKeysWithValues: plan.steps.map { ($0.id, .pending) })
    }

    /// Starts the incident: announce, freeze, and run every step with no dependency.
    public mutating func start() -> [IncidentAction] {
        guard !started else { return [] }
        started = true
        if mode == .observe {
            outcome = .observed
            return [.notify(.wouldRollBack), .finish(.observed)]
        }
        var actions: [IncidentAction] = [.notify(.initiated)]
        if let freeze = plan.freeze { actions.append(.freezeDeployments(freeze)) }
        return actions + advance()
    }

    /// Resumes after a restart from the journal: steps with a recorded outcome are done; steps
    /// that were running are run again (the executor re-reads the platform first); verifications
    /// that were running are started again. Nothing already announced is announced again.
    public mutating func resume(finishedSteps: [String: StepOutcome], verified: [ServiceName: Bool]) -> [IncidentAction]
    {
        started = true
        for (id, outcome) in finishedSteps where steps[id] != nil {
            steps[id] = .done(outcome)
        }
        for (service, passed) in verified {
            verifications[service] = .done(passed: passed)
        }
        var actions: [IncidentAction] = []
        for step in plan.steps where needsVerification(step) {
            if case .done(let outcome) = steps[step.id], outcome.needsVerification, verifications[step.service] == nil {
                verifications[step.service] = .running
                actions.append(.verify(step.service))
            }
        }
        return actions + advance()
    }

    public mutating func stepFinished(_ id: String, _ result: StepOutcome) -> [IncidentAction] {
        guard let state = steps[id], state == .running, let step = plan.steps.first(where: { $0.id == id }) else {
            return []
        }
        steps[id] = .done(result)
        var actions: [IncidentAction] = []
        if result.needsVerification, needsVerification(step), verifications[step.service] == nil {
            verifications[step.service] = .running
            actions.append(.verify(step.service))
        }
        return actions + advance()
    }

    /// A platform rollback that happened is verified, unless the plan was forced. A rollback that
    /// a watch made unnecessary is not.
    private func needsVerification(_ step: PlanStep) -> Bool {
        guard plan.verify, step.action == .rollback, case .done(let outcome) = steps[step.id] else { return false }
        if case .notNeeded = outcome { return false }
        return true
    }

    public mutating func verificationFinished(_ service: ServiceName, passed: Bool) -> [IncidentAction] {
        guard verifications[service] == .running else { return [] }
        verifications[service] = .done(passed: passed)
        return advance()
    }

    private enum Readiness {
        case wait, run
        case finish(StepOutcome)
    }

    /// Whether a pending step can run: a failed hard dependency skips it; a watch that saw
    /// improvement makes it unnecessary; otherwise it runs once every dependency, ordering
    /// predecessor and gating watch has finished.
    private func readiness(of step: PlanStep) -> Readiness {
        func outcome(_ id: String) -> StepOutcome? {
            if case .done(let outcome) = steps[id] { return outcome }
            return nil
        }
        if let failed = step.dependsOn.first(where: { outcome($0).map { !$0.isSuccess } ?? false }) {
            return .finish(.skipped("\(failed) did not succeed"))
        }
        if let watch = step.unlessImproved, let seen = outcome(watch) {
            if case .improved = seen { return .finish(.notNeeded("\(watch) saw the service improve")) }
        }
        let waitsOn = step.dependsOn + step.after + (step.unlessImproved.map { [$0] } ?? [])
        return waitsOn.allSatisfy({ outcome($0) != nil || steps[$0] == nil }) ? .run : .wait
    }

    private mutating func advance() -> [IncidentAction] {
        guard outcome == nil else { return [] }
        var actions: [IncidentAction] = []
        var changed = true
        while changed {
            changed = false
            for step in plan.steps where steps[step.id] == .pending {
                switch readiness(of: step) {
                case .wait:
                    continue
                case .finish(let outcome):
                    steps[step.id] = .done(outcome)
                    changed = true
                case .run:
                    steps[step.id] = .running
                    actions.append(.runStep(step))
                }
            }
        }
        let allStepsDone = steps.values.allSatisfy { if case .done = $0 { return true } else { return false } }
        let allVerified = verifications.values.allSatisfy { if case .done = $0 { return true } else { return false } }
        guard allStepsDone && allVerified else { return actions }
        let stepsOK = steps.values.allSatisfy { if case .done(let o) = $0 { return o.isSuccess } else { return false } }
        let verifiedOK = verifications.values.allSatisfy { $0 == .done(passed: true) }
        let result: IncidentOutcome = stepsOK && verifiedOK ? .completed : .failed
        outcome = result
        return actions + [.notify(result == .completed ? .completed : .failed), .finish(result)]
    }
}
