import AsyncHTTPClient
import Foundation
import Logging
import RewindPorts
import ServiceLifecycle
import Testing

/// Runs an emulator server for the duration of `body` with a fresh HTTP client, then shuts the client down
/// and stops the server with a graceful shutdown (never by cancelling it with a connection open).
func withSwitchEmulator<Server: Service, T: Sendable>(
    _ server: Server, _ body: @Sendable (HTTPClient) async throws -> T
) async throws -> T {
    var logger = Logger(label: "rewind.tests.switches")
    logger.logLevel = .critical
    let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(client))
        } catch {
            result = .failure(error)
        }
        try await client.shutdown()
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try result.get()
    }
}

/// The ``ProviderError`` `operation` throws, or nil (recorded as a failure) when it throws nothing or another error.
func expectProviderError(
    sourceLocation: SourceLocation = #_sourceLocation, _ operation: () async throws -> Void
) async -> ProviderError? {
    do {
        try await operation()
        Issue.record("expected a ProviderError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as ProviderError {
        return error
    } catch {
        Issue.record("expected a ProviderError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
