/// "N consecutive results within a window": the shape of every health rule in the guide.
public struct ConsecutiveRule: Sendable, Equatable, Codable {
    public var count: Int
    public var within: Duration
    /// How long the run must last, from its first result to the newest, before the rule is met (a failure rule's
    /// `min_duration`): a blip shorter than this never fires however many results it holds. Zero: the count alone.
    public var minDuration: Duration

    public init(count: Int, within: Duration, minDuration: Duration = .zero) {
        self.count = count
        self.within = within
        self.minDuration = minDuration
    }

    public var summary: String {
        let lasting = minDuration > .zero ? ", failing for at least \(minDuration.rewindDescription)" : ""
        return "\(count) consecutive within \(within.rewindDescription)\(lasting)"
    }

    enum CodingKeys: String, CodingKey {
        case count
        case withinMs = "within_ms"
        case minDurationMs = "min_duration_ms"
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decode(Int.self, forKey: .count)
        within = .milliseconds(try c.decode(Int64.self, forKey: .withinMs))
        minDuration = .milliseconds(try c.decodeIfPresent(Int64.self, forKey: .minDurationMs) ?? 0)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(within.milliseconds, forKey: .withinMs)
        if minDuration > .zero { try c.encode(minDuration.milliseconds, forKey: .minDurationMs) }
    }
}

/// The guide's health-check rules: when a critical or non-critical check fires, and when it recovers.
public struct HealthRules: Sendable, Equatable {
    public var critical: ConsecutiveRule
    public var nonCritical: ConsecutiveRule
    public var recovery: ConsecutiveRule

    public init(
        critical: ConsecutiveRule = Defaults.criticalHealth, nonCritical: ConsecutiveRule = Defaults.nonCriticalHealth,
        recovery: ConsecutiveRule = Defaults.recovery
    ) {
        self.critical = critical
        self.nonCritical = nonCritical
        self.recovery = recovery
    }

    public func failureRule(for severity: CheckSeverity) -> ConsecutiveRule {
        severity == .critical ? critical : nonCritical
    }
}
