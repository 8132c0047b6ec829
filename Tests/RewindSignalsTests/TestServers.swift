import Hummingbird
import Logging
import NIOCore
import RewindTestSupport
import Synchronization

/// A real HTTP server on 127.0.0.1 (a free port) with one route per kind of health answer. It runs
/// for the duration of `body` and is then shut down gracefully.
///
/// Graceful, not cancelled: cancelling a NIO async server while it accepts a connection traps in
/// NIO (apple/swift-nio#2813). So `body` must be done with its connections (shut its client down)
/// before it returns, and handlers that would outlive the test wait on a gate opened at shutdown.
func withHealthServer(_ body: @Sendable (_ baseURL: String) async throws -> Void) async throws {
    let shutdown = Gate()
    let router = Router()
    router.get("ok") { _, _ in "ok" }
    router.get("no-content") { _, _ in Response(status: .noContent) }
    router.get("error") { _, _ in Response(status: .internalServerError) }
    router.get("unavailable") { _, _ in Response(status: .serviceUnavailable) }
    router.get("redirect") { _, _ in Response(status: .found, headers: [.location: "/ok"]) }
    router.get("secret") { _, _ in Response(status: .forbidden) }
    router.get("slow") { _, _ -> Response in
        // The server's behaviour: it answers only when the test is over, long after any timeout.
        await shutdown.wait()
        return Response(status: .ok)
    }
    router.get("stream") { _, _ in
        // Answers 200 at once, then never finishes its body.
        Response(
            status: .ok,
            body: ResponseBody { writer in
                let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 512)
                // One chunk, then the body stalls until the test is over: the deadline must cover
                // the body, not only the response head.
                try await writer.write(chunk)
                await shutdown.wait()
                try await writer.finish(nil)
            }
        )
    }
    router.get("large") { _, _ in
        let megabyte = ByteBuffer(repeating: UInt8(ascii: "y"), count: 1 << 20)
        return Response(status: .ok, body: ResponseBody(byteBuffer: megabyte))
    }

    var logger = Logger(label: "rewind.test.health-server")
    logger.logLevel = .error
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        },
        logger: logger
    )
    try await withLoopbackServices([app], beforeShutdown: { shutdown.open() }) { _ in
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        guard port > 0 else { throw TestServerError.didNotStart }
        try await body("http://127.0.0.1:\(port)")
    }
}

enum TestServerError: Error {
    case didNotStart
}

/// A one-shot gate: `wait()` returns once `open()` was called.
final class Gate: Sendable {
    private struct State {
        var isOpen = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var isOpen: Bool { state.withLock { $0.isOpen } }

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let openAlready = state.withLock { state in
                if state.isOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if openAlready { continuation.resume() }
        }
    }
}

/// A TCP server on 127.0.0.1 that does not speak HTTP.
enum RawTCPServer {
    enum Behaviour: Sendable {
        /// Reads the request, then answers bytes that are not HTTP (and keeps the connection open).
        case answerGarbage
        /// Accepts the connection and closes it at once.
        case closeOnAccept
        /// Reads the request, then closes without answering.
        case closeAfterRequest
        /// Reads the request, answers these bytes verbatim, then closes.
        case answer(String)
    }

    static func start(_ behaviour: Behaviour) async throws -> LoopbackTCPServer {
        try await LoopbackTCPServer.start { RawHandler(behaviour: behaviour) }
    }
}

private final class RawHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let behaviour: RawTCPServer.Behaviour
    private var answered = false

    init(behaviour: RawTCPServer.Behaviour) {
        self.behaviour = behaviour
    }

    func channelActive(context: ChannelHandlerContext) {
        if case .closeOnAccept = behaviour { context.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        switch behaviour {
        case .answerGarbage:
            let garbage = ByteBuffer(string: "SSH-2.0-OpenSSH_9.6 this is not http\r\n\u{0}\u{1}\u{2}\r\n\r\n")
            context.writeAndFlush(wrapOutboundOut(garbage), promise: nil)
        case .answer(let text):
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text))).whenComplete { _ in
                context.close(promise: nil)
            }
        case .closeAfterRequest, .closeOnAccept:
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
