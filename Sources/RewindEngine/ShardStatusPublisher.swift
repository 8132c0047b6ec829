import Foundation
import Logging
import RewindCore
import RewindPorts

/// The checks and signals of one shard's services as its holder shows them, in the state (``ShardStatusBoard``):
/// written by the holder every ``interval``, read by any replica's status.
struct ShardStatuses: Codable, Equatable {
    var checks: [CheckStatus]
    var signals: [SignalStatus]

    static func encode(_ statuses: ShardStatuses) throws -> String {
        String(decoding: try JSONEncoder().encode(statuses), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> ShardStatuses {
        try JSONDecoder().decode(ShardStatuses.self, from: Data(text.utf8))
    }
}

/// Publishes what a shard's watchers show (``ShardWatch``), every ``interval`` while the shard is held, fenced by
/// its lease: a refusal is thrown (``StoreFenced``), and the shard's watching stops.
struct ShardStatusPublisher: Sendable {
    /// How often a holder publishes its shards' statuses: a status read on another replica is at most this old.
    static let interval = Duration.seconds(2)

    let board: any ShardStatusBoard
    let watchBoard: StatusBoard
    let clock: any RewindClock
    let logger: Logger

    func run(shard: Int, services: Set<ServiceName>, under grant: LeaseGrant) async throws {
        var failure = RepeatedFailure()
        while true {
            try await clock.sleep(for: Self.interval)
            let statuses = ShardStatuses(
                checks: watchBoard.checks.filter { services.contains($0.service) },
                signals: watchBoard.signals.filter { services.contains($0.service) })
            do {
                try await board.publishShardStatuses(
                    try ShardStatuses.encode(statuses), shard: shard, grant: grant, at: clock.now)
                failure.succeeded()
            } catch let fenced as StoreFenced {
                throw fenced
            } catch {
                guard !Task.isCancelled else { return }
                failure.failed(
                    "could not publish a shard's statuses; other replicas show older ones", error, logger: logger,
                    metadata: ["rewind.shard": "\(shard)"])
            }
        }
    }
}
