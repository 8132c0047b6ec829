import Synchronization

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

/// One answer, given once, for a task that waits for it; a waiter that is cancelled gets `cancelled` instead,
/// so that it never waits for an answer that cannot come (its message left unread by a loop that stopped).
final class Answer<Value: Sendable>: Sendable {
    private let state = Mutex<(given: Value?, waiter: CheckedContinuation<Value, Never>?)>((nil, nil))
    private let cancelled: Value

    init(cancelled: Value) {
        self.cancelled = cancelled
    }

    /// Gives the answer; later ones are ignored.
    func give(_ value: Value) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, Never>? in
            guard state.given == nil else { return nil }
            state.given = value
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: value)
    }

    /// Waits for the answer (one waiter).
    func wait() async -> Value {
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiter in
                let given = state.withLock { state -> Value? in
                    if state.given == nil { state.waiter = waiter }
                    return state.given
                }
                if let given { waiter.resume(returning: given) }
            }
        } onCancel: {
            give(cancelled)
        }
    }
}
