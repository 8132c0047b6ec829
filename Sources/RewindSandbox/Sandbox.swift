import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Base URLs of a running sandbox, all on 127.0.0.1.
public struct SandboxEndpoints: Sendable, Equatable {
    /// Service name → base URL such as `http://127.0.0.1:49152`.
    public var services: [String: String]
    /// Base URL of the platform API.
    public var platform: String

    public init(services: [String: String], platform: String) {
        self.services = services
        self.platform = platform
    }
}

/// A local world on loopback: one HTTP server per simulated service (`GET /health`, `GET /`) and
/// one for the deployment platform API (`/v1/…`). Ports are chosen by the OS.
///
/// ```swift
/// let sandbox = Sandbox(world: world)
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { try await sandbox.run() }
///     let endpoints = await sandbox.endpoints()
///     …
///     group.cancelAll()
/// }
/// ```
///
/// The servers are fixed when the sandbox is created: one per service the world knows at that time.
/// Run a sandbox once.
public struct Sandbox: Service {
    public let world: SandboxWorld
    private let serviceNames: [String]
    private let readiness: Readiness
    private let logger: Logger

    public init(world: SandboxWorld, logger: Logger? = nil) {
        self.world = world
        self.serviceNames = world.serviceNames
        self.readiness = Readiness(expectedServices: Set(world.serviceNames))
        self.logger = logger ?? Self.quietLogger
    }

    /// Runs every HTTP server until the task is cancelled or a graceful shutdown is triggered.
    public func run() async throws {
        defer { readiness.stopped() }
        try await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                for name in serviceNames {
                    let router = ServiceRoutes(world: world, service: name).router()
                    group.addTask { try await serve(router) { readiness.listening(service: name, port: $0) } }
                }
                let router = PlatformRoutes(world: world).router()
                group.addTask { try await serve(router) { readiness.listening(platformPort: $0) } }
            }
        }
    }

    /// Returns once every server is listening. If ``run()`` ends first (a server could not start)
    /// or the calling task is cancelled, returns the endpoints known so far.
    public func endpoints() async -> SandboxEndpoints {
        await readiness.endpoints()
    }

    private func serve(
        _ router: Router<SandboxRequestContext>, onPort: @escaping @Sendable (Int) -> Void
    )
        async throws
    {
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "rewind-sandbox"),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { onPort(port) }
            },
            logger: logger
        )
        try await runStoppingGracefully(app, logger: logger)
    }

    /// Stopping by cancellation makes HummingbirdCore log errors that mean nothing here: the sandbox
    /// is silent unless given a logger.
    private static var quietLogger: Logger {
        var logger = Logger(label: "rewind.sandbox")
        logger.logLevel = .critical
        return logger
    }
}

/// The request context of every sandbox server: the basics plus the connection, so that a
/// simulated service can hang on it or drop it.
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Collects the bound ports and wakes whoever waits for all of them.
private final class Readiness: Sendable {
    private struct State {
        var services: [String: Int] = [:]
        var platform: Int?
        var waiters: [UInt64: CheckedContinuation<SandboxEndpoints, Never>] = [:]
        var nextWaiter: UInt64 = 0
        var stopped = false
    }

    private let expectedServices: Set<String>
    private let state = Mutex(State())

    init(expectedServices: Set<String>) {
        self.expectedServices = expectedServices
    }

    func listening(service: String, port: Int) {
        resume(
            state.withLock { state in
                state.services[service] = port
                return takeWaitersIfReady(&state)
            })
    }

    func listening(platformPort port: Int) {
        resume(
            state.withLock { state in
                state.platform = port
                return takeWaitersIfReady(&state)
            })
    }

    /// The servers stopped: nothing more will start listening.
    func stopped() {
        let (endpoints, waiters) = state.withLock { state in
            state.stopped = true
            defer { state.waiters.removeAll() }
            return (Self.endpoints(of: state), Array(state.waiters.values))
        }
        waiters.forEach { $0.resume(returning: endpoints) }
    }

    func endpoints() async -> SandboxEndpoints {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<SandboxEndpoints, Never>) in
                let immediate = state.withLock { state -> SandboxEndpoints? in
                    if isReady(state) || state.stopped || Task.isCancelled { return Self.endpoints(of: state) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let cancelled = state.withLock { state in
                state.waiters.removeValue(forKey: id).map { ($0, Self.endpoints(of: state)) }
            }
            if let (continuation, partial) = cancelled { continuation.resume(returning: partial) }
        }
    }

    private func isReady(_ state: State) -> Bool {
        state.platform != nil && expectedServices.isSubset(of: state.services.keys)
    }

    private typealias Wakeup = (SandboxEndpoints, [CheckedContinuation<SandboxEndpoints, Never>])

    private func takeWaitersIfReady(_ state: inout State) -> Wakeup? {
        guard isReady(state) else { return nil }
        let waiters = Array(state.waiters.values)
        state.waiters.removeAll()
        return (Self.endpoints(of: state), waiters)
    }

    private func resume(_ ready: Wakeup?) {
        guard let (endpoints, waiters) = ready else { return }
        waiters.forEach { $0.resume(returning: endpoints) }
    }

    private static func endpoints(of state: State) -> SandboxEndpoints {
        SandboxEndpoints(
            services: state.services.mapValues { "http://127.0.0.1:\($0)" },
            platform: state.platform.map { "http://127.0.0.1:\($0)" } ?? ""
        )
    }
}
