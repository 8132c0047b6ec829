import RewindSandbox

/// Runs a ``Sandbox`` of `world` for the duration of `body`, which gets its endpoints, then stops it by
/// cancellation (a deployment that hangs would hold a graceful shutdown up): shut down any HTTP client that
/// still has a connection open to it before `body` returns.
public func withSandbox<T: Sendable>(
    _ world: SandboxWorld, _ body: @Sendable (SandboxEndpoints) async throws -> T
) async throws -> T {
    let sandbox = Sandbox(world: world)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await sandbox.run()
            return nil
        }
        defer { group.cancelAll() }
        let endpoints = await sandbox.endpoints()
        return try await body(endpoints)
    }
}
