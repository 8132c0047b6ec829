import Synchronization

/// One git operation at a time per working copy, across every provider of this process: two services
/// configured on the same clone (a monorepo with `paths:`) would otherwise collide on git's own locks
/// (`index.lock`) or revert on top of each other.
///
/// A waiter that is cancelled stops waiting; the holder's git commands all have deadlines, so a wait
/// is bounded.
final class WorkingCopyLock: Sendable {
    private static let registry = Mutex<[String: WorkingCopyLock]>([:])

    /// The lock of the working copy at `path` (one per path for the life of the process).
    static func forWorkingCopy(_ path: String) -> WorkingCopyLock {
        registry.withLock { locks in
            if let lock = locks[path] { return lock }
            let lock = WorkingCopyLock()
            locks[path] = lock
            return lock
        }
    }

    private struct State {
        var held = false
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Runs `body` while holding the lock.
    func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Now { case acquired, cancelled, queued }
                let now = state.withLock { state -> Now in
                    if Task.isCancelled { return .cancelled }
                    if !state.held {
                        state.held = true
                        return .acquired
                    }
                    state.waiters.append((id, continuation))
                    return .queued
                }
                switch now {
                case .acquired: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Hands the lock to the first waiter, or frees it.
    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard !state.waiters.isEmpty else {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume()
    }
}
