/// Thrown by ``withTimeout(_:_:)`` when the operation did not finish in time.
struct TimeoutReached: Error {}

/// Runs `operation`, cancelling it and throwing ``TimeoutReached`` after `timeout` of real time.
///
/// Providers use it for their own per-call deadline; the engine's step timeout (on the injected
/// clock) wraps the whole call as well.
func withTimeout<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T)
    async throws -> T
{
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        guard let value = first else { throw TimeoutReached() }
        return value
    }
}
