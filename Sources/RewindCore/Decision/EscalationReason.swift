/// Why Rewind escalates to people instead of rolling back. Bounded: safe as a metric label.
public enum EscalationReason: String, Sendable, Codable, Hashable {
    /// The failing service runs a known-good deployment and nothing else is suspect.
    case notCausedByDeployment = "not_caused_by_deployment"
    /// Rewind does not know which deployment of the failing service is live, so it cannot tell
    /// whether a deployment caused the failure nor what to roll back (and nothing else is suspect).
    case liveUnknown = "live_unknown"
    /// A rollback of this service finished less than a cooldown ago: rolling back again would loop.
    case cooldown
    /// Too many automatic rollbacks of this service in the last hour.
    case stormCap = "storm_cap"
    /// No known-good deployment to go back to.
    case noKnownGoodTarget = "no_known_good_target"
    /// A rollback step failed, and so did its fallback.
    case rollbackFailed = "rollback_failed"
    /// The rollback finished but the service did not recover.
    case verificationFailed = "verification_failed"
    /// A monitoring source (Prometheus, a probe command) stopped answering: Rewind is blind to
    /// the signals behind it, and will not roll back on their silence.
    /// A deployment went live during a freeze, and the policy says to tell people only.
    case deployedDuringFreeze = "deployed_during_freeze"
    case monitoringFailure = "monitoring_failure"

    public var sentence: String {
        switch self {
        case .notCausedByDeployment:
            "the failing service runs a known-good deployment and nothing is suspect: not caused by a deployment"
        case .liveUnknown:
            "the failing service's live deployment is unknown to Rewind, so there is nothing to roll back; "
                + "tell Rewind with rewind deployments record SERVICE ID (or POST /api/v1/deployments)"
        case .cooldown: "the service was rolled back within its cooldown: another automatic rollback would loop"
        case .stormCap: "the cap on automatic rollbacks per hour is reached"
        case .noKnownGoodTarget: "there is no known-good deployment to roll back to"
        case .rollbackFailed: "the rollback failed, and so did its fallback"
        case .verificationFailed: "the rollback finished but the service did not recover"
        case .monitoringFailure: "a monitoring source stopped answering; its signals cannot trigger until it is back"
        case .deployedDuringFreeze: "a deployment went live while deployments were frozen (freeze.enforce: notify)"
        }
    }
}
