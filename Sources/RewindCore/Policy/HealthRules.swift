/// "N consecutive results within a window": the shape of every health rule in the guide.
public struct ConsecutiveRule: Sendable, Equatable, Codable {
    public var count: Int
    public var within: Duration

    public init(count: Int, within: Duration) {
        self.count = count
        self.within = within
    }

    public var summary: String { "\(count) consecutive within \(within.rewindDescription)" }

    enum CodingKeys: String, CodingKey {
        case count
        case withinMs = "within_ms"
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decode(Int.self, forKey: .count)
        within = .milliseconds(try c.decode(Int64.self, forKey: .withinMs))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(within.milliseconds, forKey: .withinMs)
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
