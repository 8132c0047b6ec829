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
/// | `POST /teams/{id}` | a Teams Workflows webhook |
/// | `POST /opsgenie/v2/alerts`, `POST /opsgenie/v2/alerts/{alias}/close` | Opsgenie (base URL `…/opsgenie`) |
/// | `POST /webhook/{id}` | a receiver of Rewind's signed webhook |
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
    private let readiness = ServerReadiness()
    private let logger: Logger

    public init(sinks: NotificationSinks, logger: Logger? = nil) {
        self.sinks = sinks
        self.logger = logger ?? Self.quietLogger
    }

    /// Serves until a graceful shutdown (or cancellation).
    public func run() async throws {
        defer { readiness.stopped() }
        let app = Application(
            router: NotificationRoutes(sinks: sinks).router(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "rewind-notification-sinks"),
            onServerRunning: { [readiness] channel in
                if let port = channel.localAddress?.port { readiness.listening(port: port) }
            },
            logger: logger
        )
        try await app.run()
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

/// The routes of ``NotificationSinksServer``: each reads the request and hands it to its emulator.
struct NotificationRoutes: Sendable {
    static let maxBodyBytes = 1 << 20

    let sinks: NotificationSinks

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        route(router, "slack/webhook/:id", .slackWebhook, sinks.slackWebhook)
        route(router, "slack/api/chat.postMessage", .slackChat, sinks.slackPostMessage)
        route(router, "pagerduty/v2/enqueue", .pagerDuty, sinks.pagerDutyEnqueue)
        route(router, "teams/:id", .teams, sinks.teams)
        route(router, "opsgenie/v2/alerts", .opsgenie, sinks.opsgenieCreate)
        route(router, "opsgenie/v2/alerts/:id/close", .opsgenie, sinks.opsgenieClose)
        route(router, "webhook/:id", .webhook, sinks.webhook)
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
