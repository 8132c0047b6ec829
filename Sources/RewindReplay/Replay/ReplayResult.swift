import RewindCore

/// What happened to one deployment in the replay.
public struct DeploymentVerdict: Sendable, Equatable {
    public enum Outcome: String, Sendable, Equatable {
        case rolledBack = "rolled_back"
        case kept
    }

    public var deployment: ReplayDeployment
    public var outcome: Outcome
    /// The first trigger that fired on the service while this deployment was live.
    public var detectedAt: Timestamp?
    /// The decision that rolled it back.
    public var decidedAt: Timestamp?
    /// The trigger behind that decision (or behind the first detection when it was kept).
    public var trigger: TriggerKind?

    /// From going live to the rollback decision.
    public var timeToDecision: Duration? { decidedAt.map { $0 - deployment.at } }
    /// From going live to the first trigger.
    public var timeToDetection: Duration? { detectedAt.map { $0 - deployment.at } }
}

/// The outcome of one replay: every decision in time order, and a verdict per deployment that went live
/// inside the replayed period.
public struct ReplayResult: Sendable, Equatable {
    public var from: Timestamp
    public var to: Timestamp
    public var decisions: [ReplayDecision]
    public var deployments: [DeploymentVerdict]
    /// How many probes and metric evaluations were replayed.
    public var probes: Int
    public var evaluations: Int
    /// Signals replay could not evaluate, with why.
    public var notReplayed: [String]
}
