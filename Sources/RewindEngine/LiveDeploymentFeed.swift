import Logging
import RewindCore
import RewindPorts

/// Counts trigger generations from the live deployments read from the state, the way the supervisor counts
/// them from what it makes live (``Supervisor/generations``): a new deployment going live starts a new
/// generation (its service's triggers start afresh); a rollback, which makes an older deployment live, does not.
/// "New" is judged by `deployedAt`: a live deployment deployed after every one seen live before.
struct LiveGenerations: Equatable {
    private(set) var generations: [ServiceName: Int] = [:]
    private var liveIDs: [ServiceName: String] = [:]
    private var newest: [ServiceName: Timestamp] = [:]

    /// Takes in one read of the live deployments.
    mutating func observe(_ live: [ServiceName: Deployment]) {
        for (service, deployment) in live where liveIDs[service] != deployment.id {
            defer {
                liveIDs[service] = deployment.id
                newest[service] = max(newest[service] ?? deployment.deployedAt, deployment.deployedAt)
            }
            // The first deployment seen live is where watching starts: nothing to restart.
            guard let seen = newest[service] else { continue }
            if deployment.deployedAt > seen { generations[service, default: 0] += 1 }
        }
    }
}

/// Keeps a shard holder's board up to date with the live deployments (`ha.shards`): every `interval` it reads
/// them from the state (``LiveDeploymentListing``) and publishes them with their generations, so that the
/// watchers of its shards watch the deployment the coordinator made live, and start afresh on a new one, at
/// most `interval` after the coordinator stored it. A read that fails keeps the last one.
struct LiveDeploymentFeed: Sendable {
    /// How often a shard holder reads the live deployments.
    static let interval = Duration.seconds(1)

    let listing: any LiveDeploymentListing
    let board: StatusBoard
    let clock: any RewindClock
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var generations = LiveGenerations()
        var failure = RepeatedFailure()
        while true {
            do {
                let rows = try await listing.liveDeployments()
                generations.observe(rows.mapValues(\.deployment))
                board.publish(live: rows, generations: generations.generations)
                if failure.succeeded() { logger.notice("reading the live deployments again") }
            } catch {
                failure.failed(
                    "could not read the live deployments; the shards' watchers keep the last read", error,
                    logger: logger)
            }
            try await clock.sleep(for: interval)
        }
    }
}
