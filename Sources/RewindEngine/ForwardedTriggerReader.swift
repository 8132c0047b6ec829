import Logging
import RewindCore
import RewindPorts

/// The coordinator's end of the shards' relay (`ha.shards`): every `interval` it reads what the shards'
/// holders forwarded (``ShardTriggerRelay``), hands it to the supervisor in the order forwarded, waits until the
/// supervisor has decided on all of it, and only then settles it (deletes it, fenced by the writer lease).
///
/// So a coordinator that dies between reading and deciding leaves the rows for the next one, which reads them
/// from the start: a trigger is decided on at least once. Twice is harmless: a second violation of a service
/// already rolled back or in an incident opens nothing.
struct ForwardedTriggerReader: Sendable {
    /// The store fenced by the coordinator's writer lease.
    let relay: any ShardTriggerRelay
    let inbox: Mailbox<SupervisorCommand>
    let clock: any RewindClock
    let interval: Duration
    let logger: Logger
    /// Rows read per round.
    static let batch = 512

    func run() async throws {
        var after: Int64 = 0
        var failure = RepeatedFailure()
        while true {
            var full = false
            do {
                let rows = try await relay.forwardedTriggers(after: after, limit: Self.batch)
                if let last = rows.last {
                    guard await decide(rows) else { return }
                    after = last.id
                    try await relay.settleForwardedTriggers(through: last.id)
                }
                full = rows.count == Self.batch
                failure.succeeded()
            } catch {
                failure.failed(
                    "could not read or settle the triggers the shards forwarded; trying again", error, logger: logger)
            }
            if !full { try await clock.sleep(for: interval) }
        }
    }

    /// Sends `rows` to the supervisor and returns once it has handled them; false when it no longer takes any.
    private func decide(_ rows: [ForwardedTriggerRow]) async -> Bool {
        for row in rows {
            guard let command = row.trigger.command else {
                logger.warning(
                    "skipped a forwarded trigger it does not know", metadata: ["rewind.shard": "\(row.shard)"])
                continue
            }
            guard inbox.send(command) else { return false }
        }
        let handled = Answer(cancelled: false)
        guard inbox.send(.handled(handled)) else { return false }
        return await handled.wait()
    }
}
