import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// One HTTP server on 127.0.0.1 (a free port) emulating the notification vendors' contracts, backed by
/// ``NotificationSinks``:
///
/// | route | emulates |
/// |---|---|
/// | `POST /slack/webhook/{id}` | a Slack incoming webhook |
/// | `POST /slack/api/chat.postMessage` | Slack's Web API (base URL `…/slack/api`) |
/// | `POST /pagerduty/v2/enqueue` | PagerDuty Events API v2 (base URL `…/pagerduty`) |
///
/// and whatever ``SinkRoute``s it is given beside them (RewindTestSupport's Teams, Opsgenie and webhook
/// receiver). Every request is recorded in ``sinks``, under its route's ``SinkKind``.
///
/// Run it in a `ServiceGroup` and stop it with a graceful shutdown — or, when cancelling its task instead,
/// shut HTTP clients down first: cancelling while a connection is open can crash NIO
/// (apple/swift-nio#2813).
///
/// ```swift
/// let server = NotificationSinksServer(sinks: sinks)
/// let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
/// async let running: Void = group.run()
/// let base = await server.endpoint()            // http://127.0.0.1:49152
/// …
/// await group.triggerGracefulShutdown()
/// ```
public struct NotificationSinksServer: Service {
    public let sinks: NotificationSinks
    private let routes: [SinkRoute]
    private let readiness = ServerReadiness()
    private let logger: Logger

    /// - Parameter more: routes served beside Slack's and PagerDuty's.
    public init(sinks: NotificationSinks, adding more: [SinkRoute] = [], logger: Logger? = nil) {
        self.sinks = sinks
        self.routes = SinkRoute.slackAndPagerDuty(sinks) + more
        self.logger = logger ?? Self.quietLogger
    }

    /// Serves until a graceful shutdown (or cancellation).
    public func run() async throws {
        defer { readiness.stopped() }
        let app = Application(
            router: NotificationRoutes(sinks: sinks, routes: routes).router(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "rewind-notification-sinks"),
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
        await readiness.baseURL()
    }

    private static var quietLogger: Logger {
        var logger = Logger(label: "rewind.sandbox.notify")
        logger.logLevel = .critical
        return logger
    }
}

/// One `POST` route of ``NotificationSinksServer``: its path (`:id` names the path parameter), the kind its
/// requests are recorded under, and the emulator that answers them.
public struct SinkRoute: Sendable {
    let path: RouterPath
    let kind: SinkKind
    let emulator: @Sendable (SinkRequest) -> SinkAnswer

    package init(_ path: String, _ kind: SinkKind, _ emulator: @escaping @Sendable (SinkRequest) -> SinkAnswer) {
        self.path = RouterPath(path)
        self.kind = kind
        self.emulator = emulator
    }

    /// Slack's incoming webhooks and `chat.postMessage`, and PagerDuty's Events API: the demo's channels.
    static func slackAndPagerDuty(_ sinks: NotificationSinks) -> [SinkRoute] {
        [
            SinkRoute("slack/webhook/:id", .slackWebhook, sinks.slackWebhook),
            SinkRoute("slack/api/chat.postMessage", .slackChat, sinks.slackPostMessage),
            SinkRoute("pagerduty/v2/enqueue", .pagerDuty, sinks.pagerDutyEnqueue),
        ]
    }
}

/// The routes of ``NotificationSinksServer``: each reads the request and hands it to its emulator.
struct NotificationRoutes: Sendable {
    static let maxBodyBytes = 1 << 20

    let sinks: NotificationSinks
    let routes: [SinkRoute]

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        for route in routes {
            self.route(router, route.path, route.kind, route.emulator)
        }
        return router
    }

    private func route(
        _ router: Router<BasicRequestContext>,
        _ path: RouterPath,
        _ kind: SinkKind,
        _ emulator: @escaping @Sendable (SinkRequest) -> SinkAnswer
    ) {
        router.post(path) { [sinks] request, context in
            var request = request
            let body = try await request.collectBody(upTo: Self.maxBodyBytes)
            let incoming = SinkRequest(
                path: request.uri.path,
                query: request.uri.query,
                headers: Self.headers(of: request),
                body: Data(body.readableBytesView),
                parameter: context.parameters.get("id")
            )
            return Self.response(sinks.answer(kind, incoming, route: emulator))
        }
    }

    private static func headers(of request: Request) -> [String: String] {
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        return headers
    }

    private static func response(_ answer: SinkAnswer) -> Response {
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
}
