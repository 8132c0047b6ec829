import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

// The plumbing shared by the Cloudflare emulator here and RewindTestSupport's Unleash and LaunchDarkly emulators
// (hence `package`): a request as they see it, their answer, injected faults and the middleware that serves them
// (the bound port's readiness is ``ServerReadiness``).

/// One request as an emulator sees it. Header names are lower-cased.
package struct LoopbackRequest: Sendable {
    package var method: String
    package var path: String
    package var query: [String: String]
    package var headers: [String: String]
    package var body: Data

    package func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The path after `prefix`, split at `/` (percent-decoded), or nil when the path does not start with it.
    package func segments(after prefix: String) -> [String]? {
        guard path == prefix || path.hasPrefix(prefix + "/") else { return nil }
        return path.dropFirst(prefix.count).split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
    }

    /// The body as a JSON object, or nil.
    package var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }
}

/// What an emulator answers; `delay` holds the answer back (until the client hangs up or the time passes).
package struct LoopbackAnswer: Sendable {
    package var status: Int
    package var headers: [(name: String, value: String)] = []
    package var body: Data = Data()
    package var delay: Duration?

    package init(
        status: Int, headers: [(name: String, value: String)] = [], body: Data = Data(), delay: Duration? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
    }

    /// A JSON answer from `JSONSerialization`-compatible values.
    package static func json(
        _ value: Any, status: Int = 200, headers: [(name: String, value: String)] = []
    ) -> LoopbackAnswer {
        let data =
            (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return LoopbackAnswer(status: status, headers: [("Content-Type", "application/json")] + headers, body: data)
    }

    package static func empty(status: Int = 200) -> LoopbackAnswer { LoopbackAnswer(status: status) }

    /// A body that starts like JSON and stops halfway.
    package static func malformed(status: Int = 200) -> LoopbackAnswer {
        LoopbackAnswer(
            status: status, headers: [("Content-Type", "application/json")], body: Data("{\"success\": tr".utf8))
    }
}

/// Faults armed by a test, consumed one per request: failures first, then malformed bodies, then delays.
package struct LoopbackFaults: Sendable {
    package enum Fault: Sendable, Equatable {
        case fail(status: Int, retryAfter: Int?)
        case malformed
        case delay(Duration)
    }

    private var failures: [(status: Int, retryAfter: Int?)] = []
    private var malformed = 0
    private var delays: [Duration] = []

    package init() {}

    package mutating func failNext(_ count: Int, status: Int, retryAfter: Int?) {
        failures += Array(repeating: (status, retryAfter), count: max(0, count))
    }

    package mutating func malformedNext(_ count: Int) { malformed += max(0, count) }

    package mutating func delayNext(_ count: Int, by delay: Duration) {
        delays += Array(repeating: delay, count: max(0, count))
    }

    package mutating func take() -> Fault? {
        if !failures.isEmpty {
            let failure = failures.removeFirst()
            return .fail(status: failure.status, retryAfter: failure.retryAfter)
        }
        if malformed > 0 {
            malformed -= 1
            return .malformed
        }
        if !delays.isEmpty { return .delay(delays.removeFirst()) }
        return nil
    }
}

/// An emulator behind ``LoopbackResponder``: one call per request, state behind its own lock.
package protocol LoopbackEmulator: Sendable {
    func answer(_ request: LoopbackRequest) -> LoopbackAnswer
}

/// Runs one emulator on 127.0.0.1 (a free port) until a graceful shutdown or cancellation.
package struct LoopbackServer: Sendable {
    static let maxBodyBytes = 1 << 20

    let emulator: any LoopbackEmulator
    let readiness: ServerReadiness
    let serverName: String
    let logger: Logger

    package init(emulator: any LoopbackEmulator, readiness: ServerReadiness, serverName: String, logger: Logger) {
        self.emulator = emulator
        self.readiness = readiness
        self.serverName = serverName
        self.logger = logger
    }

    package func run() async throws {
        defer { readiness.stopped() }
        let router = Router(context: SandboxRequestContext.self)
        router.add(middleware: LoopbackResponder(emulator: emulator))
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: serverName),
            onServerRunning: { [readiness] channel in
                if let port = channel.localAddress?.port { readiness.listening(port: port) }
            },
            logger: logger
        )
        try await runStoppingGracefully(app, logger: logger)
    }

    package static func quietLogger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        return logger
    }
}

/// Answers every request from the emulator (the router has no routes of its own, so that faults apply to any
/// path, unknown ones included).
struct LoopbackResponder: RouterMiddleware {
    typealias Context = SandboxRequestContext

    let emulator: any LoopbackEmulator

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var request = request
        let body = try await request.collectBody(upTo: LoopbackServer.maxBodyBytes)
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName.lowercased()
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        let incoming = LoopbackRequest(
            method: request.method.rawValue, path: request.uri.path, query: query, headers: headers,
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
        while ContinuousClock.now < until, channel.isActive {
            try await Task.sleep(for: min(.milliseconds(20), until - ContinuousClock.now))
        }
        if !channel.isActive { throw CancellationError() }
    }
}
