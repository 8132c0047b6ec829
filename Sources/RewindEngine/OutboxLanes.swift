import Synchronization

/// One delivery at a time per lane (one incident's notices to one channel), across every task
/// that delivers: the fresh attempts, the retries, the dispatchers of a reloaded policy.
///
/// Without it, a closing notice attempted while an earlier notice of the same lane was still in
/// its first attempt saw that one pending and waited for its retry slot (10 s later) although it
/// was being delivered that very moment. Inside its lane, a delivery sees every earlier attempt
/// finished.
///
/// Waiting for a lane ignores cancellation: the delivery ahead is bounded by the channel's timeout,
/// and the engine waits for the attempts in flight when it stops.
final class OutboxLanes: Sendable {
    private struct Lane {
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The lanes in use; a lane present is held, its waiters queued in arrival order.
    private let lanes = Mutex<[String: Lane]>([:])

    /// Runs `body` holding `lane`.
    func withLane<T: Sendable>(_ lane: String, _ body: () async -> T) async -> T {
        await acquire(lane)
        let result = await body()
        release(lane)
        return result
    }

    private func acquire(_ lane: String) async {
        let free = lanes.withLock { lanes -> Bool in
            guard lanes[lane] == nil else { return false }
            lanes[lane] = Lane()
            return true
        }
        if free { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let handedOver = lanes.withLock { lanes -> Bool in
                guard lanes[lane] != nil else {
                    // Released in between: take it.
                    lanes[lane] = Lane()
                    return true
                }
                lanes[lane]?.waiters.append(continuation)
                return false
            }
            if handedOver { continuation.resume() }
        }
    }

    /// Hands the lane to its first waiter, or frees it.
    private func release(_ lane: String) {
        let next = lanes.withLock { lanes -> CheckedContinuation<Void, Never>? in
            guard var held = lanes[lane], !held.waiters.isEmpty else {
                lanes[lane] = nil
                return nil
            }
            let next = held.waiters.removeFirst()
            lanes[lane] = held
            return next
        }
        next?.resume()
    }
}
