/// The state of one health check's consecutive-result rule, fed one observation at a time.
///
/// "Consecutive means consecutive": one success resets the failure run and one failure resets
/// the success run. A run only counts while its first result is still inside the rule's window
/// (`within`): a run of three failures spread over ten minutes is not "3 within 2 minutes", so the
/// oldest failures fall off the front until the run fits the window again. A rule with a minimum duration also
/// waits until the failure run has lasted that long (from its first failure to the newest), so that a blip —
/// an instance draining, one dropped connection — never fires however fast the confirmation re-checks come.
public struct HealthCheckState: Sendable, Equatable {
    public let service: ServiceName
    public let check: String
    public let severity: CheckSeverity
    public let failureRule: ConsecutiveRule
    public let recoveryRule: ConsecutiveRule
    /// The current run of consecutive failures, oldest first, trimmed to the window and to the
    /// rule's count (the newest ones: a check that keeps failing never grows the evidence).
    public private(set) var failures: [Observation] = []
    /// The current run of consecutive successes, oldest first, trimmed to the recovery window and
    /// to the recovery rule's count.
    public private(set) var successes: [Observation] = []
    /// True after the rule fired and until the recovery rule is met.
    public private(set) var isFiring = false
    /// When the current failure run began (its first failure since the last success); nil while passing.
    public private(set) var failingSince: Timestamp?

    public init(
        service: ServiceName, check: String, severity: CheckSeverity, failureRule: ConsecutiveRule,
        recoveryRule: ConsecutiveRule
    ) {
        self.service = service
        self.check = check
        self.severity = severity
        self.failureRule = failureRule
        self.recoveryRule = recoveryRule
    }

    public enum Event: Sendable, Equatable {
        /// Nothing to report.
        case none
        /// A failure run began or grew but has not reached the threshold.
        case failing(count: Int, of: Int)
        /// The failure rule was met now: a violation with its evidence.
        case fired(Violation)
        /// The recovery rule was met after the trigger had fired.
        case recovered
    }

    /// Feeds one observation. Observations must come in time order.
    public mutating func observe(_ observation: Observation) -> Event {
        if observation.result.isSuccess {
            failures.removeAll()
            failingSince = nil
            successes.append(observation)
            successes.removeAll { observation.at - $0.at > recoveryRule.within }
            Self.keepNewest(&successes, recoveryRule.count)
            if isFiring && successes.count >= recoveryRule.count {
                isFiring = false
                return .recovered
            }
            return .none
        }
        successes.removeAll()
        if failingSince == nil { failingSince = observation.at }
        failures.append(observation)
        failures.removeAll { observation.at - $0.at > failureRule.within }
        Self.keepNewest(&failures, failureRule.count)
        guard !isFiring else { return .none }
        if failures.count >= failureRule.count,
            observation.at - (failingSince ?? observation.at) >= failureRule.minDuration
        {
            isFiring = true
            return .fired(violation(at: observation.at))
        }
        return .failing(count: failures.count, of: failureRule.count)
    }

    /// Drops the oldest of `run` beyond `count`: "`count` within the window" holds for the newest
    /// `count` exactly when it holds for the whole run, so nothing the rule reads is lost.
    private static func keepNewest(_ run: inout [Observation], _ count: Int) {
        let excess = run.count - max(count, 1)
        if excess > 0 { run.removeFirst(excess) }
    }

    /// Forgets the current runs, for example after a rollback, so that failures of the old
    /// deployment do not count against the new one.
    public mutating func reset() {
        failures.removeAll()
        failingSince = nil
        successes.removeAll()
        isFiring = false
    }

    private func violation(at now: Timestamp) -> Violation {
        let trigger: TriggerKind = severity == .critical ? .healthCritical : .healthNonCritical
        return Violation(
            service: service,
            trigger: trigger,
            severity: severity == .critical ? .critical : .high,
            at: now,
            rule: "\(check): \(failureRule.summary)",
            evidence: failures.map {
                Evidence(at: $0.at, check: $0.check, result: $0.result.summary, latencyMs: $0.latencyMs)
            }
        )
    }
}
