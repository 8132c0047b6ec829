/// Messages for one consumer task, in the order they were sent. Sending never waits; after
/// ``finish()`` nothing more is accepted and the consumer's loop ends once it has read the rest.
final class Mailbox<Message: Sendable>: Sendable {
    let messages: AsyncStream<Message>
    private let continuation: AsyncStream<Message>.Continuation

    init() {
        (messages, continuation) = AsyncStream.makeStream(of: Message.self, bufferingPolicy: .unbounded)
    }

    /// False when the mailbox no longer accepts messages.
    @discardableResult
    func send(_ message: Message) -> Bool {
        if case .terminated = continuation.yield(message) { return false }
        return true
    }

    func finish() {
        continuation.finish()
    }
}

/// A wake-up call for a task that otherwise waits for time: rings coalesce, so the task does its
/// round once for any number of rings since its last round.
final class Doorbell: Sendable {
    let rings: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (rings, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func ring() {
        continuation.yield()
    }

    func finish() {
        continuation.finish()
    }
}

/// Where watchers send what they saw: the supervisor's inbox, or with `ha.shards` the relay of the shard they
/// watch for (``ShardTriggerBuffer``). False when it no longer accepts anything.
protocol CommandSink: Sendable {
    @discardableResult
    func send(_ command: SupervisorCommand) -> Bool
}

extension Mailbox: CommandSink where Message == SupervisorCommand {}
