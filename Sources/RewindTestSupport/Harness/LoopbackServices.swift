import AsyncHTTPClient
import Logging
import ServiceLifecycle

/// Runs `services` (loopback servers: emulators, sinks, the sandbox's metrics) in one `ServiceGroup` for the
/// duration of `body`, which gets an HTTP client to talk to them. Then, whatever `body` did: `beforeShutdown`
/// (release what a server holds back, such as delayed answers), the client is shut down, and the servers stop with
/// a graceful shutdown — never by cancelling them with a connection open, which can crash NIO
/// (apple/swift-nio#2813).
///
/// `body`'s error wins over a server's; a server that failed (a port already taken) is reported when `body`
/// succeeded.
///
/// ```swift
/// let server = VercelEmulatorServer(emulator: vercel)
/// try await withLoopbackServices([server]) { client in
///     let base = await server.endpoint()
///     …
/// }
/// ```
public func withLoopbackServices<T: Sendable>(
    _ services: [any Service],
    client: HTTPClient = HTTPClient(eventLoopGroupProvider: .singleton),
    beforeShutdown: @Sendable () -> Void = {},
    _ body: @Sendable (HTTPClient) async throws -> T
) async throws -> T {
    var logger = Logger(label: "rewind.tests.loopback")
    logger.logLevel = .critical
    let group = ServiceGroup(configuration: .init(services: services, logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(client))
        } catch {
            outcome = .failure(error)
        }
        beforeShutdown()
        try? await client.shutdown()
        await group.triggerGracefulShutdown()
        let stopped: Result<Void, any Error>
        do {
            try await tasks.waitForAll()
            stopped = .success(())
        } catch {
            stopped = .failure(error)
        }
        let value = try outcome.get()
        try stopped.get()
        return value
    }
}
