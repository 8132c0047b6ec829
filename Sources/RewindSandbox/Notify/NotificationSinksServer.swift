import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

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
    private let readiness = SinkReadiness()
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
        await readiness.port().map { "http://127.0.0.1:\($0)" } ?? ""
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

/// The bound port, and whoever waits for it.
private final class SinkReadiness: Sendable {
    private struct State {
        var port: Int?
        var stopped = false
        var waiters: [UInt64: CheckedContinuation<Int?, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    func listening(port: Int) {
        let waiters = state.withLock { state in
            state.port = port
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    func stopped() {
        let (port, waiters) = state.withLock { state in
            state.stopped = true
            defer { state.waiters.removeAll() }
            return (state.port, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    func port() async -> Int? {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int?, Never>) in
                let immediate = state.withLock { state -> Int?? in
                    if state.port != nil || state.stopped || Task.isCancelled { return .some(state.port) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }
}
