import Logging
import RewindSandbox
import ServiceLifecycle

/// One HTTP server on 127.0.0.1 (a free port) emulating Unleash's Admin API, backed by ``UnleashEmulator``.
/// Configure ``endpoint()`` as the Unleash `url` (the client appends `/api/admin/…`).
///
/// Run it in a `ServiceGroup` and stop it with a graceful shutdown — or, when cancelling its task instead,
/// shut HTTP clients down first: cancelling while a connection is open can crash NIO
/// (apple/swift-nio#2813). A graceful shutdown waits for delayed answers: keep injected delays short.
public struct UnleashEmulatorServer: Service {
    public let emulator: UnleashEmulator
    private let readiness = ServerReadiness()
    private let logger: Logger

    public init(emulator: UnleashEmulator, logger: Logger? = nil) {
        self.emulator = emulator
        self.logger = logger ?? LoopbackServer.quietLogger("rewind.sandbox.unleash")
    }

    /// Serves until a graceful shutdown (or cancellation).
    public func run() async throws {
        try await LoopbackServer(
            emulator: emulator, readiness: readiness, serverName: "rewind-unleash-emulator", logger: logger
        ).run()
    }

    /// The base URL (`http://127.0.0.1:<port>`) once the server listens; empty when it stopped first.
    public func endpoint() async -> String {
        await readiness.baseURL()
    }
}

/// One HTTP server on 127.0.0.1 (a free port) emulating LaunchDarkly's flag API, backed by
/// ``LaunchDarklyEmulator``. Configure ``apiURL()`` (`http://127.0.0.1:<port>/api/v2`) as `api_url`.
///
/// Stop it like ``UnleashEmulatorServer``: a graceful shutdown of its `ServiceGroup`.
public struct LaunchDarklyEmulatorServer: Service {
    public let emulator: LaunchDarklyEmulator
    private let readiness = ServerReadiness()
    private let logger: Logger

    public init(emulator: LaunchDarklyEmulator, logger: Logger? = nil) {
        self.emulator = emulator
        self.logger = logger ?? LoopbackServer.quietLogger("rewind.sandbox.launchdarkly")
    }

    /// Serves until a graceful shutdown (or cancellation).
    public func run() async throws {
        try await LoopbackServer(
            emulator: emulator, readiness: readiness, serverName: "rewind-launchdarkly-emulator", logger: logger
        ).run()
    }

    /// The base URL (`http://127.0.0.1:<port>`) once the server listens; empty when it stopped first.
    public func endpoint() async -> String {
        await readiness.baseURL()
    }

    /// The API base to configure as `api_url`.
    public func apiURL() async -> String {
        let base = await endpoint()
        return base.isEmpty ? "" : base + LaunchDarklyEmulator.apiPrefix
    }
}
