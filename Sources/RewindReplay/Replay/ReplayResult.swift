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
    /// The first early warning on it (``EarlyWarningState``), if any.
    public var warnedAt: Timestamp?

    /// From going live to the rollback decision.
    public var timeToDecision: Duration? { decidedAt.map { $0 - deployment.at } }
    /// How much earlier the early warning came than the rollback decision (negative: it came after).
    public var warningLead: Duration? {
        guard let warnedAt, let decidedAt else { return nil }
        return decidedAt - warnedAt
    }
    /// From going live to the first early warning.
    public var timeToWarning: Duration? { warnedAt.map { $0 - deployment.at } }
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
    /// Every early warning, in time order (notices only: none of them reached the supervisor).
    public var earlyWarnings: [EarlyWarning] = []
}
