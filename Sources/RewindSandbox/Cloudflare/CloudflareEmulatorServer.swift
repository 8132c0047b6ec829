import Logging
import ServiceLifecycle

/// One HTTP server on 127.0.0.1 (a free port) emulating the Cloudflare API, backed by ``CloudflareEmulator``.
/// Point `api_url` at ``apiURL()`` (`http://127.0.0.1:<port>/client/v4`).
///
/// | route (under `/client/v4`) | emulates |
/// |---|---|
/// | `GET /user/tokens/verify`, `GET /accounts/{id}/tokens/verify` | token verification |
/// | `GET /accounts/{id}/load_balancers/pools` | list pools (one page) |
/// | `GET`, `PUT`, `PATCH`, `DELETE /accounts/{id}/load_balancers/pools/{pool}` | one pool |
/// | `POST /zones/{zone}/purge_cache` | cache purge |
///
/// Run it in a `ServiceGroup` and stop it with a graceful shutdown — or, when cancelling its task instead,
/// shut HTTP clients down first: cancelling while a connection is open can crash NIO
/// (apple/swift-nio#2813). A graceful shutdown waits for delayed answers: keep injected delays short.
///
/// ```swift
/// let server = CloudflareEmulatorServer(emulator: cloudflare)
/// let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
/// async let running: Void = group.run()
/// let api = await server.apiURL()               // http://127.0.0.1:49152/client/v4
/// …
/// await group.triggerGracefulShutdown()
/// ```
public struct CloudflareEmulatorServer: Service {
    public let emulator: CloudflareEmulator
    private let readiness = ServerReadiness()
    private let logger: Logger

    public init(emulator: CloudflareEmulator, logger: Logger? = nil) {
        self.emulator = emulator
        self.logger = logger ?? LoopbackServer.quietLogger("rewind.sandbox.cloudflare")
    }

    /// Serves until a graceful shutdown (or cancellation).
    public func run() async throws {
        try await LoopbackServer(
            emulator: emulator, readiness: readiness, serverName: "rewind-cloudflare-emulator", logger: logger
        ).run()
    }

    /// The base URL (`http://127.0.0.1:<port>`) once the server listens; empty when it stopped first or the
    /// calling task is cancelled.
    public func endpoint() async -> String {
        await readiness.baseURL()
    }

    /// The API base to configure as `api_url`.
    public func apiURL() async -> String {
        let base = await endpoint()
        return base.isEmpty ? "" : base + CloudflareEmulator.apiPrefix
    }
}
