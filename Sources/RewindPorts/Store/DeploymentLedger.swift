import RewindCore

/// What was deployed where: every deployment Rewind saw, which one is live, which are trusted,
/// when Rewind rolled a service back by itself, and whether deployments are frozen.
///
/// Writes are single-part ``StateChange``s: a store that is a ``StateCommitter`` gets them from
/// `StateCommitter+SingleWrites.swift` and implements only the reads.
public protocol DeploymentLedger: Sendable {
    /// Inserts a deployment, or merges it into the stored one with the same service and id
    /// (``DeploymentRecordMerge``: re-recording never lowers trust nor forgets what Rewind
    /// learnt), and when `makeLive` records it as the service's live deployment — atomically.
    func recordDeployment(_ deployment: Deployment, makeLive: Bool) async throws

    /// The service's deployments, oldest first: by `deployedAt`, ties in the order Rewind first
    /// recorded them. Empty for a service with none.
    func deployments(of service: ServiceName) async throws -> [Deployment]

    /// What a decision needs of the service's deployments: ``deployments(of:)`` without those
    /// ``DeploymentRetention`` drops (`newest: limit`), oldest first. Reads a bounded number of
    /// rows however many deployments are stored: what the engine loads at start.
    func recentDeployments(of service: ServiceName, limit: Int) async throws -> [Deployment]

    /// The stored record of the service's live deployment; nil when none was ever made live.
    func liveDeployment(of service: ServiceName) async throws -> Deployment?

    /// When the service's live deployment went live (the time it was last made live; its bake
    /// counts from there, never from when the platform built it). Nil when none is live. A state
    /// written before Rewind kept this time answers the live deployment's `deployedAt`.
    func liveSince(of service: ServiceName) async throws -> Timestamp?

    /// Records `deploymentID` as the service's live deployment. Throws `store_not_found` when
    /// that deployment was never recorded (the live one is then unchanged).
    func setLive(service: ServiceName, deploymentID: String) async throws

    /// Sets a deployment's trust explicitly — any transition, unlike ``recordDeployment(_:makeLive:)``.
    /// `knownGood` stamps `knownGoodAt` with `at`; `suspect` clears it; `bad` keeps it as history.
    /// Throws `store_not_found` when the deployment was never recorded.
    func setTrust(service: ServiceName, deploymentID: String, trust: DeploymentTrust, at: Timestamp) async throws

    /// Appends one automatic rollback of `service` to its history (the hourly cap and the
    /// cooldown read it).
    func recordAutomaticRollback(service: ServiceName, at: Timestamp) async throws

    /// Times of the service's automatic rollbacks at or after `since`, oldest first (ties in the
    /// order recorded).
    func automaticRollbacks(service: ServiceName, since: Timestamp) async throws -> [Timestamp]

    /// Sets the one deployment freeze, replacing any, or clears it with nil (clearing when there
    /// is none is not an error).
    func setFreeze(_ freeze: Freeze?) async throws

    /// The stored freeze, expired or not (callers check `isActive(at:)`); nil when none is set.
    func currentFreeze() async throws -> Freeze?

    /// The automation pauses in force: the one of every service first, then by service name.
    func automationPauses() async throws -> [AutomationPause]
}
