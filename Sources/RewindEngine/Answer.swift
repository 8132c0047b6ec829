import Synchronization

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
