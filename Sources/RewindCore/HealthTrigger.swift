/// The state of one health check's consecutive-result rule, fed one observation at a time.
///
/// "Consecutive means consecutive": one success resets the failure run and one failure resets
/// the success run. A run only counts while its first result is still inside the rule's window
/// (`within`): a run of three failures spread over ten minutes is not "3 within 2 minutes", so the
/// oldest failures fall off the front until the run fits the window again.
public struct HealthCheckState: Sendable, Equatable {
    public let service: ServiceName
    public let check: String
    public let severity: CheckSeverity
    public let failureRule: ConsecutiveRule
    public let recoveryRule: ConsecutiveRule
    /// The current run of consecutive failures, oldest first, trimmed to the window.
    public private(set) var failures: [Observation] = []
    /// The current run of consecutive successes, oldest first, trimmed to the recovery window.
    public private(set) var successes: [Observation] = []
    /// True after the rule fired and until the recovery rule is met.
    public private(set) var isFiring = false

    public init(service: ServiceName, check: String, severity: CheckSeverity, failureRule: ConsecutiveRule, recoveryRule: ConsecutiveRule) {
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
            successes.append(observation)
            successes.removeAll { observation.at - $0.at > recoveryRule.within }
            if isFiring && successes.count >= recoveryRule.count {
                isFiring = false
                return .recovered
            }
            return .none
        }
        successes.removeAll()
        failures.append(observation)
        failures.removeAll { observation.at - $0.at > failureRule.within }
        guard !isFiring else { return .none }
        if failures.count >= failureRule.count {
            isFiring = true
            return .fired(violation(at: observation.at))
        }
        return .failing(count: failures.count, of: failureRule.count)
    }

    /// Forgets the current runs, for example after a rollback, so that failures of the old
    /// deployment do not count against the new one.
    public mutating func reset() {
        failures.removeAll()
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
            evidence: failures.map { Evidence(at: $0.at, check: $0.check, result: $0.result.summary, latencyMs: $0.latencyMs) }
        )
    }
}

/// Which rule fired. Bounded: safe as a metric label.
public enum TriggerKind: String, Sendable, Codable, Hashable, CaseIterable {
    case healthCritical = "health_critical"
    case healthNonCritical = "health_non_critical"
    case performance
    case throughput
    case business
    case infrastructure
    case security
    case manual
    /// Not a rollback trigger: a monitoring source failed, and people are told.
    case monitoring = "monitoring_failure"

    /// The guide's mapping from trigger to strategy. Critical infrastructure is immediate; business
    /// asks for gradual (which falls back to fast without traffic control, see ``Assessment``).
    public func strategy(severity: Severity) -> Strategy {
        switch self {
        case .healthCritical, .security: .immediate
        case .infrastructure: severity == .critical ? .immediate : .fast
        case .business: .gradual
        case .healthNonCritical, .performance, .throughput, .manual, .monitoring: .fast
        }
    }
}

/// One piece of evidence: a single observation that made a rule fire.
public struct Evidence: Sendable, Equatable, Hashable, Codable {
    public var at: Timestamp
    /// The health check or signal name.
    public var check: String
    public var result: String
    public var latencyMs: Int64
    /// For a metric: the value at this evaluation (nil: no data), the limit it was compared with,
    /// and the baseline that limit came from.
    public var value: Double?
    public var threshold: Double?
    public var baseline: Double?

    public init(
        at: Timestamp, check: String, result: String, latencyMs: Int64, value: Double? = nil, threshold: Double? = nil,
        baseline: Double? = nil
    ) {
        self.at = at
        self.check = check
        self.result = result
        self.latencyMs = latencyMs
        self.value = value
        self.threshold = threshold
        self.baseline = baseline
    }
}

/// A trigger that fired, with everything a human needs to see why.
public struct Violation: Sendable, Equatable, Hashable, Codable {
    public var service: ServiceName
    public var trigger: TriggerKind
    public var severity: Severity
    public var at: Timestamp
    /// The rule in words, e.g. `health: 3 consecutive within 2m`.
    public var rule: String
    public var evidence: [Evidence]
    /// For a metric trigger: the signal, its query, window, threshold and baseline.
    public var signal: SignalContext?
    /// For an alert or a pushed event: where it came from and what it said.
    public var alert: AlertContext?

    public init(
        service: ServiceName, trigger: TriggerKind, severity: Severity, at: Timestamp, rule: String, evidence: [Evidence],
        signal: SignalContext? = nil, alert: AlertContext? = nil
    ) {
        self.service = service
        self.trigger = trigger
        self.severity = severity
        self.at = at
        self.rule = rule
        self.evidence = evidence
        self.signal = signal
        self.alert = alert
    }

    /// The strategy this violation asks for, before traffic control is considered.
    public var requestedStrategy: Strategy {
        signal?.requestedStrategy ?? trigger.strategy(severity: severity)
    }

    public var summary: String {
        let results = evidence.map(\.result).joined(separator: ", ")
        return "\(trigger.rawValue) on \(service): \(rule) [\(results)]"
    }
}
