import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// One HTTP server on 127.0.0.1 (a free port) emulating Railway's public GraphQL API at `POST /graphql/v2`,
/// backed by ``RailwayEmulator``. Point a Railway provider's `api_url` at ``graphQLURL()``.
///
/// Run it in a `ServiceGroup` and stop it with a graceful shutdown: requests held by
/// ``RailwayEmulator/delayNext(_:by:field:)`` are answered as soon as the shutdown starts, so it never waits
/// for them. When cancelling its task instead, shut HTTP clients down first: cancelling while a connection is
/// open can crash NIO (apple/swift-nio#2813).
///
/// ```swift
/// let server = RailwayEmulatorServer(emulator: railway)
/// let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
/// async let running: Void = group.run()
/// let url = await server.graphQLURL()            // http://127.0.0.1:49152/graphql/v2
/// …
/// await group.triggerGracefulShutdown()
/// ```
public struct RailwayEmulatorServer: Service {
    public static let path = "/graphql/v2"
    static let maxBodyBytes = 1 << 20

    public let emulator: RailwayEmulator
    private let readiness = ServerReadiness()
    private let logger: Logger

    public init(emulator: RailwayEmulator, logger: Logger? = nil) {
        self.emulator = emulator
        self.logger = logger ?? Self.quietLogger
    }

    /// Serves until a graceful shutdown (or cancellation).
    public func run() async throws {
        defer { readiness.stopped() }
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "rewind-railway-emulator"),
            onServerRunning: { [readiness] channel in
                if let port = channel.localAddress?.port { readiness.listening(port: port) }
            },
            logger: logger
        )
        try await withGracefulShutdownHandler {
            try await runStoppingGracefully(app, logger: logger)
        } onGracefulShutdown: { [emulator] in
            emulator.stopDelaying()
        }
    }

    /// The base URL (`http://127.0.0.1:<port>`) once the server listens; empty when it stopped first or the
    /// calling task is cancelled.
    public func endpoint() async -> String {
        await readiness.baseURL()
    }

    /// The GraphQL endpoint (`http://127.0.0.1:<port>/graphql/v2`); empty like ``endpoint()``.
    public func graphQLURL() async -> String {
        let base = await endpoint()
        return base.isEmpty ? "" : base + Self.path
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post(RouterPath(Self.path)) { [emulator] request, _ in
            var request = request
            let body = try await request.collectBody(upTo: Self.maxBodyBytes)
            var headers: [String: String] = [:]
            for field in request.headers {
                let name = field.name.canonicalName
                headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
            }
            let answer = await emulator.answer(body: Data(body.readableBytesView), headers: headers)
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
        return router
    }

    private static var quietLogger: Logger {
        var logger = Logger(label: "rewind.sandbox.railway")
        logger.logLevel = .critical
        return logger
    }
}
