import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import RewindSandbox
import ServiceLifecycle

/// An HTTP server on 127.0.0.1 (a free port) serving a ``KubernetesEmulator`` as a Kubernetes API server (plain
/// HTTP unless `tls` is given: point the provider's `api_url` at ``endpoint()``).
///
/// Run it in a `ServiceGroup` and stop it with a graceful shutdown — or, when cancelling its task instead, shut
/// HTTP clients down first: cancelling while a connection is open can crash NIO (apple/swift-nio#2813). Call
/// ``KubernetesEmulator/releaseDelayedRequests()`` before stopping it when a test delayed requests, so that no
/// handler is still waiting.
///
/// ```swift
/// let kube = KubernetesEmulator(token: "t0ken")
/// let server = KubernetesEmulatorServer(emulator: kube)
/// let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
/// async let running: Void = group.run()
/// let apiURL = await server.endpoint()            // http://127.0.0.1:49152
/// …
/// kube.releaseDelayedRequests()
/// await group.triggerGracefulShutdown()
/// ```
///
/// With `tls`, it serves HTTPS instead (``endpoint()`` is then `https://127.0.0.1:<port>`); a configuration whose
/// `certificateVerification` is not `.none` and whose `trustRoots` name a client CA requires a client certificate
/// signed by that CA in the handshake (mutual TLS): a client without one is refused before any request, and the
/// requests of one with one are authenticated by it (``KubernetesReceivedRequest/clientCertificate``).
public struct KubernetesEmulatorServer: Service {
    static let maxBodyBytes = 1 << 20

    public let emulator: KubernetesEmulator
    private let readiness = ServerReadiness()
    private let logger: Logger
    private let tls: TLSConfiguration?

    public init(emulator: KubernetesEmulator, tls: TLSConfiguration? = nil, logger: Logger? = nil) {
        self.emulator = emulator
        self.tls = tls
        self.logger = logger ?? Self.quietLogger
    }

    /// Serves until a graceful shutdown (or cancellation).
    public func run() async throws {
        defer { readiness.stopped() }
        let app = Application(
            router: router(),
            server: try tls.map { try HTTPServerBuilder.tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "rewind-kubernetes-emulator"),
            onServerRunning: { [readiness] channel in
                if let port = channel.localAddress?.port { readiness.listening(port: port) }
            },
            logger: logger
        )
        try await runStoppingGracefully(app, logger: logger)
    }

    /// The base URL (`http://127.0.0.1:<port>`) once the server listens; empty when it stopped first or the
    /// calling task is cancelled.
    public func endpoint() async -> String {
        let url = await readiness.baseURL()
        return tls == nil || url.isEmpty ? url : "https" + url.dropFirst("http".count)
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let mutualTLS = tls.map { $0.certificateVerification != .none } ?? false
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("**", method: method) { [emulator] request, _ in
                var request = request
                let body = try await request.collectBody(upTo: Self.maxBodyBytes)
                let incoming = KubernetesRequest(
                    method: request.method.rawValue,
                    path: request.uri.path,
                    query: Self.query(of: request),
                    headers: Self.headers(of: request),
                    body: Data(body.readableBytesView),
                    clientCertificate: mutualTLS
                )
                return Self.response(await emulator.answer(incoming))
            }
        }
        return router
    }

    private static func query(of request: Request) -> [String: String] {
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            query[String(name)] = String(value)
        }
        return query
    }

    private static func headers(of request: Request) -> [String: String] {
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        return headers
    }

    private static func response(_ answer: KubernetesAnswer) -> Response {
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

    private static var quietLogger: Logger {
        var logger = Logger(label: "rewind.sandbox.kubernetes")
        logger.logLevel = .critical
        return logger
    }
}
