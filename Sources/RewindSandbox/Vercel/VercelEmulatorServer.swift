import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// One HTTP server on 127.0.0.1 (a free port) emulating the Vercel REST API, backed by
/// ``VercelEmulator``. Point a provider's `api_url` at ``endpoint()``.
///
/// | route | emulates |
/// |---|---|
/// | `GET /v2/user`, `GET /v2/teams/{id}` | the token's user, a team |
/// | `GET /v6/deployments` (and `/v7/`) | list deployments (`projectId`, `target`, `state`, `limit`, `until`, …) |
/// | `GET /v13/deployments/{idOrUrl}` | one deployment |
/// | `GET /v9/projects/{idOrName}[?rollbackInfo=true]` | the project, `targets.production`, `lastAliasRequest` |
/// | `POST /v1/projects/{id}/rollback/{deployment}`, `POST /v9/…` (body `{}`) | instant rollback → 201 |
/// | `POST /v10/projects/{id}/promote/{deployment}` (body `{}`) | promote → 201, or 202 behind a rolling release |
/// | `GET /v9/projects/{id}/rollback/aliases?failedOnly=true` | the domains a failed job did not move |
///
/// Every route wants `Authorization: Bearer <token>` (403 `forbidden` otherwise) and honours `teamId=`
/// (403 for a team the token cannot use; 404 for a project outside the scope).
///
/// Run it in a `ServiceGroup` and stop it with a graceful shutdown — or, when cancelling its task instead,
/// shut HTTP clients down first: cancelling while a connection is open can crash NIO
/// (apple/swift-nio#2813).
///
/// ```swift
/// let server = VercelEmulatorServer(emulator: vercel)
/// let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
/// async let running: Void = group.run()
/// let base = await server.endpoint()            // http://127.0.0.1:49152
/// …
/// await group.triggerGracefulShutdown()
/// ```
public struct VercelEmulatorServer: Service {
    static let maxBodyBytes = 1 << 20

    public let emulator: VercelEmulator
    private let readiness = ServerReadiness()
    private let logger: Logger

    public init(emulator: VercelEmulator, logger: Logger? = nil) {
        self.emulator = emulator
        self.logger = logger ?? Self.quietLogger
    }

    /// Serves until a graceful shutdown (or cancellation).
    public func run() async throws {
        defer { readiness.stopped() }
        let stopping = VercelStopping()
        let router = Router(context: SandboxRequestContext.self)
        router.add(middleware: VercelEmulatorResponder(emulator: emulator, stopping: stopping))
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "rewind-vercel-emulator"),
            onServerRunning: { [readiness] channel in
                if let port = channel.localAddress?.port { readiness.listening(port: port) }
            },
            logger: logger
        )
        // A delayed answer whose client gave up would hold the graceful shutdown until its delay ends.
        try await withGracefulShutdownHandler {
            try await runStoppingGracefully(app, logger: logger)
        } onGracefulShutdown: {
            stopping.begin()
        }
    }

    /// The base URL (`http://127.0.0.1:<port>`) once the server listens; empty when it stopped first or the
    /// calling task is cancelled.
    public func endpoint() async -> String {
        await readiness.baseURL()
    }

    private static var quietLogger: Logger {
        var logger = Logger(label: "rewind.sandbox.vercel")
        logger.logLevel = .critical
        return logger
    }
}

/// Answers every request from the emulator (the router has no routes of its own: the emulator
/// routes, so that faults apply to any path, unknown ones included).
struct VercelEmulatorResponder: RouterMiddleware {
    typealias Context = SandboxRequestContext

    let emulator: VercelEmulator
    let stopping: VercelStopping

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var request = request
        let body = try await request.collectBody(upTo: VercelEmulatorServer.maxBodyBytes)
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        let incoming = VercelIncoming(
            method: request.method.rawValue,
            path: request.uri.path,
            query: query,
            authorization: request.headers[.authorization],
            body: Data(body.readableBytesView)
        )
        let answer = emulator.answer(incoming)
        if let delay = answer.delay { try await hold(for: delay, channel: context.channel) }
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body))
        )
    }

    /// Waits `delay`, or less when the client hangs up (its deadline fired) or the server stops.
    private func hold(for delay: Duration, channel: any Channel) async throws {
        let until = ContinuousClock.now + delay
        while ContinuousClock.now < until, channel.isActive, !stopping.isStopping {
            try await Task.sleep(for: min(.milliseconds(20), until - ContinuousClock.now))
        }
        if !channel.isActive { throw CancellationError() }
    }
}

/// Set when the server's graceful shutdown begins: held answers are let go.
final class VercelStopping: Sendable {
    private let flag = Mutex(false)

    var isStopping: Bool { flag.withLock { $0 } }

    func begin() {
        flag.withLock { $0 = true }
    }
}
