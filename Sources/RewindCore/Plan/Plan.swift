/// An ordered rollback plan.
public struct Plan: Sendable, Equatable, Codable {
    public var strategy: Strategy
    public var steps: [PlanStep]
    /// Freeze deployments for this long when the plan starts (immediate strategy).
    public var freezeMs: Int64?
    /// The whole incident's deadline (immediate strategy): a step still waiting when it passes
    /// is skipped, and a running one has only what is left of it.
    public var deadlineMs: Int64?
    /// Verify rolled-back services (health checks, then validation phases). Off only for a
    /// forced manual rollback (`rewind rollback --force`), which the journal says.
    public var verify: Bool

    public init(
        strategy: Strategy, steps: [PlanStep], freeze: Duration?, deadline: Duration? = nil, verify: Bool = true
    ) {
        self.strategy = strategy
        self.steps = steps
        self.freezeMs = freeze?.milliseconds
        self.deadlineMs = deadline?.milliseconds
        self.verify = verify
    }

    public var freeze: Duration? { freezeMs.map { .milliseconds($0) } }
    public var deadline: Duration? { deadlineMs.map { .milliseconds($0) } }

    enum CodingKeys: String, CodingKey { case strategy, steps, freezeMs, deadlineMs, verify }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        strategy = try c.decode(Strategy.self, forKey: .strategy)
        steps = try c.decode([PlanStep].self, forKey: .steps)
        freezeMs = try c.decodeIfPresent(Int64.self, forKey: .freezeMs)
        deadlineMs = try c.decodeIfPresent(Int64.self, forKey: .deadlineMs)
        verify = try c.decodeIfPresent(Bool.self, forKey: .verify) ?? true
    }
}
