import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RewindSandbox
import ServiceLifecycle

/// One HTTP server on 127.0.0.1 (a free port) serving a ``PrometheusEmulator``:
///
/// | route | emulates |
/// |---|---|
/// | `GET`/`POST /api/v1/query` | instant queries (parameters in the URL or a form body) |
/// | `GET`/`POST /api/v1/query_range` | range queries |
/// | `GET /-/ready`, `GET /-/healthy` | readiness and liveness |
/// | `GET /api/v1/status/buildinfo` | build information |
///
/// Run it in a `ServiceGroup` and stop it with a graceful shutdown, which also releases answers held by
/// ``PrometheusEmulator/respondSlowly(after:)``. When cancelling its task instead, shut HTTP clients down first:
/// cancelling while a connection is open can crash NIO (apple/swift-nio#2813).
///
/// ```swift
/// let server = PrometheusEmulatorServer(emulator: prometheus)
/// let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
/// async let running: Void = group.run()
/// let base = await server.endpoint()            // http://127.0.0.1:49152
/// …
/// await group.triggerGracefulShutdown()
/// ```
public struct PrometheusEmulatorServer: Service {
    public let emulator: PrometheusEmulator
    private let readiness = ServerReadiness()
    private let logger: Logger

    public init(emulator: PrometheusEmulator, logger: Logger? = nil) {
        self.emulator = emulator
        self.logger = logger ?? Self.quietLogger
    }

    /// Serves until a graceful shutdown (or cancellation).
    public func run() async throws {
        defer {
            readiness.stopped()
            emulator.respondPromptly()
        }
        let app = Application(
            router: PrometheusEmulatorRoutes(emulator: emulator).router(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "rewind-prometheus-emulator"),
            onServerRunning: { [readiness] channel in
                if let port = channel.localAddress?.port { readiness.listening(port: port) }
            },
            logger: logger
        )
        try await withGracefulShutdownHandler {
            try await runStoppingGracefully(app, logger: logger)
        } onGracefulShutdown: { [emulator] in
            // Held answers would keep their connections, and so the shutdown, waiting.
            emulator.respondPromptly()
        }
    }

    /// The base URL (`http://127.0.0.1:<port>`) once the server listens; empty when it stopped first or the
    /// calling task is cancelled.
    public func endpoint() async -> String {
        await readiness.baseURL()
    }

    private static var quietLogger: Logger {
        var logger = Logger(label: "rewind.sandbox.prometheus")
        logger.logLevel = .critical
        return logger
    }
}

/// The routes of ``PrometheusEmulatorServer``: each reads the request, records it and asks the emulator.
struct PrometheusEmulatorRoutes: Sendable {
    static let maxBodyBytes = 1 << 20

    let emulator: PrometheusEmulator

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        for path in ["api/v1/query", "api/v1/query_range"] {
            router.get(RouterPath(path)) { [emulator] request, _ in try await Self.serve(request, emulator) }
            router.post(RouterPath(path)) { [emulator] request, _ in try await Self.serve(request, emulator) }
        }
        for path in ["-/ready", "-/healthy", "api/v1/status/buildinfo"] {
            router.get(RouterPath(path)) { [emulator] request, _ in try await Self.serve(request, emulator) }
        }
        return router
    }

    private static func serve(_ request: Request, _ emulator: PrometheusEmulator) async throws -> Response {
        var request = request
        let headers = headers(of: request)
        var parameters = PrometheusEmulator.parseForm(request.uri.query ?? "")
        if request.method == .post {
            let body = try await request.collectBody(upTo: maxBodyBytes)
            let contentType = headers["content-type"] ?? ""
            if contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") {
                let form = PrometheusEmulator.parseForm(String(buffer: body))
                parameters.merge(form) { _, fromBody in fromBody }
            }
        }
        let received = PrometheusEmulator.Request(
            method: request.method.rawValue,
            path: request.uri.path,
            parameters: parameters,
            headers: headers
        )
        emulator.record(received)
        if received.path.hasPrefix("/api/v1/query") { await emulator.waitIfSlow() }
        let reply = emulator.reply(to: received, now: Date().timeIntervalSince1970)
        return Response(
            status: HTTPResponse.Status(code: reply.status),
            headers: [.contentType: reply.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: reply.body))
        )
    }

    private static func headers(of request: Request) -> [String: String] {
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        return headers
    }
}
