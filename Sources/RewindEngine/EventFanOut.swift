import RewindCore
import Synchronization

/// Hands every ``EngineEvent`` to whoever subscribed (the dashboard's live streams), besides the
/// observer the engine was built with.
///
/// Bounded: each subscriber has a buffer of `buffer` events and loses the oldest when it reads
/// too slowly, so a stalled reader can neither slow the engine down nor grow its memory. A
/// subscription ends when its reader stops iterating, or for everyone at ``finish()``.
final class EventFanOut: Sendable {
    private struct State {
        var subscribers: [UInt64: AsyncStream<EngineEvent>.Continuation] = [:]
        var nextID: UInt64 = 0
        var finished = false
    }

    private let state = Mutex(State())

    /// The events from now on, until the reader stops or the engine stops.
    func subscribe(buffer: Int) -> AsyncStream<EngineEvent> {
        let (events, continuation) = AsyncStream.makeStream(
            of: EngineEvent.self, bufferingPolicy: .bufferingNewest(max(buffer, 1)))
        let id = state.withLock { state -> UInt64? in
            guard !state.finished else { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return events
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return events
    }

    /// How many subscriptions are open.
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    func publish(_ event: EngineEvent) {
        for subscriber in state.withLock({ Array($0.subscribers.values) }) { subscriber.yield(event) }
    }

    /// Ends every subscription; later ones end at once.
    func finish() {
        let ended = state.withLock { state -> [AsyncStream<EngineEvent>.Continuation] in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        ended.forEach { $0.finish() }
    }
}
