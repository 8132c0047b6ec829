import Logging
import RewindSandbox
import ServiceLifecycle

/// One HTTP server on 127.0.0.1 (a free port) emulating Argo CD's Application API, backed by ``ArgoCDEmulator``.
/// Configure ``endpoint()`` as the `url` of `gitops: {type: argocd}`.
///
/// Stop it with a graceful shutdown of its `ServiceGroup` (``withLoopbackServices(_:_:)``); keep injected delays
/// short, a graceful shutdown waits for them.
public struct ArgoCDEmulatorServer: Service {
    public let emulator: ArgoCDEmulator
    private let readiness = ServerReadiness()
    private let logger: Logger

    public init(emulator: ArgoCDEmulator, logger: Logger? = nil) {
        self.emulator = emulator
        self.logger = logger ?? LoopbackServer.quietLogger("rewind.sandbox.argocd")
    }

    public func run() async throws {
        try await LoopbackServer(
            emulator: emulator, readiness: readiness, serverName: "rewind-argocd-emulator", logger: logger
        ).run()
    }

    /// The base URL (`http://127.0.0.1:<port>`) once the server listens; empty when it stopped first.
    public func endpoint() async -> String {
        await readiness.baseURL()
    }
}
