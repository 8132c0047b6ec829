import Synchronization

/// The port a loopback server bound, and whoever waits for it.
///
/// The server calls ``listening(port:)`` once it is bound and ``stopped()`` when it returns (bound or not). Callers
/// await ``port()``; every waiter is woken by whichever of the two comes first. A cancelled waiter gets nil at once.
package final class ServerReadiness: Sendable {
    private struct State {
        var port: Int?
        var stopped = false
        var waiters: [UInt64: CheckedContinuation<Int?, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// The server is bound to `port`: wakes every waiter with it.
    package func listening(port: Int) {
        let waiters = state.withLock { state in
            state.port = port
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    /// The server stopped: wakes every waiter with the port it had bound, if any.
    package func stopped() {
        let (port, waiters) = state.withLock { state in
            state.stopped = true
            defer { state.waiters.removeAll() }
            return (state.port, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    /// The port once the server listens; nil when it stopped first or the caller is cancelled.
    package func port() async -> Int? {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int?, Never>) in
                let immediate = state.withLock { state -> Int?? in
                    if state.port != nil || state.stopped || Task.isCancelled { return .some(state.port) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }

    /// `http://127.0.0.1:<port>` once the server listens; "" when it stopped first or the caller is cancelled.
    package func baseURL() async -> String {
        await port().map { "http://127.0.0.1:\($0)" } ?? ""
    }
}
