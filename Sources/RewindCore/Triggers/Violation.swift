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
        service: ServiceName, trigger: TriggerKind, severity: Severity, at: Timestamp, rule: String,
        evidence: [Evidence],
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
