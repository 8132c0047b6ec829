/// Thrown by ``withDeadline(_:_:)`` when the operation did not finish in time.
struct DeadlineReached: Error {}

/// Runs `operation`, cancelling it and throwing ``DeadlineReached`` after `timeout` of real time.
func withDeadline<T: Sendable>(
    _ timeout: Duration,
    _ operation: @escaping @Sendable () async throws -> T
)
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
        guard let value = first else { throw DeadlineReached() }
        return value
    }
}
