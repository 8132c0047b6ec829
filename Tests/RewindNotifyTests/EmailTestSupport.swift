import Foundation
import NIOCore
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSpecs
import RewindTestSupport
import Subprocess
import Synchronization
import SystemPackage
import Testing

@testable import RewindNotify

#if canImport(Glibc)
    import Glibc
#endif

// Helpers for the Email* tests: notices, the sandbox sink, aiosmtpd as a subprocess, and scripted
// servers on 127.0.0.1.

enum EmailFixtures {
    static let evidence = "checkout: HTTP 503 after 2400 ms > 2000 ms <p95> & rising"

    static func notice(
        kind: NoticeKind = .initiated,
        services: [ServiceName] = ["backend"],
        evidence: [String] = [evidence],
        error: String? = nil
    ) -> Notice {
        Notice(
            kind: kind,
            incidentID: 7,
            services: services,
            trigger: .healthCritical,
            severity: .critical,
            timestamp: Timestamp(millisecondsSinceEpoch: 1_772_366_880_000),
            strategy: .immediate,
            actions: ["roll back backend from v2 (dpl_2) to v1 (dpl_1)"],
            status: "rolling_back",
            error: error,
            evidence: evidence
        )
    }

    /// `timeout` bounds each SMTP conversation. Its default is generous (the suite's limit is a minute): the whole
    /// test run shares two cores, and under that load one conversation of a passing exchange took over 10 s.
    static func spec(
        port: Int,
        security: EmailSpec.Security = .none,
        username: String? = nil,
        password: String? = nil,
        to: [String] = ["oncall@example.com", "devops@example.com"],
        caFile: String? = nil,
        timeout: Duration = .seconds(40)
    ) -> EmailSpec {
        EmailSpec(
            host: "127.0.0.1",
            port: port,
            security: security,
            username: username.map { ConfigText($0) },
            password: password.map { ConfigText($0, isSecret: true) },
            from: "Rewind <rewind@example.com>",
            to: to,
            caFile: caFile,
            timeout: timeout
        )
    }

    /// The time in every `Date:` header the fixtures' notifier writes: Sun, 01 Mar 2026 12:08:00 +0000.
    static let sendingTime = Timestamp(millisecondsSinceEpoch: 1_772_366_880_000)

    static func notifier(_ spec: EmailSpec) throws -> EmailNotifier {
        EmailNotifier(spec: spec, name: "email-oncall", templates: try NoticeTemplates(), now: { sendingTime })
    }
}

/// Runs an ``SMTPSinkServer`` around `body`, then stops it (cancellation) and waits until it has.
func withSMTPSink<T: Sendable>(_ sink: SMTPSink, _ body: (Int) async throws -> T) async throws -> T {
    let server = SMTPSinkServer(sink: sink)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        let port = await server.port()
        try #require(port > 0, "the SMTP sink did not start listening")
        return try await body(port)
    }
}

// MARK: - aiosmtpd

/// `scripts/smtp-test-server.py`: aiosmtpd with STARTTLS (or implicit TLS), AUTH against fixed
/// credentials, a private CA it generates. Reports what it received as JSON lines.
final class AiosmtpdServer: Sendable {
    struct Ready: Decodable {
        var port: Int?
        var caFile: String?
        var error: String?
    }

    struct Received: Decodable {
        struct Part: Decodable {
            var contentType: String
            var charset: String?
            var transferEncoding: String?
            var text: String
        }

        var mailFrom: String
        var rcptTos: [String]
        var subject: String
        var to: String
        var from: String
        var date: String
        var messageId: String
        var contentType: String
        var headerNames: [String]
        var defects: [String]
        var maxLineLength: Int
        var parts: [Part]
    }

    static let username = "rewind"
    static let password = "correct horse battery staple"

    let port: Int
    let caFile: String
    private let pid: Int32
    private let lines: JSONLines

    private init(pid: Int32, lines: JSONLines, port: Int, caFile: String) {
        self.pid = pid
        self.lines = lines
        self.port = port
        self.caFile = caFile
    }

    /// Starts the server (through swift-subprocess: Foundation's `Process.run` can crash the test process on Linux)
    /// and waits for its first line. Fails the test with the script's message when aiosmtpd is missing.
    static func start(tls: String = "starttls") async throws -> AiosmtpdServer {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/smtp-test-server.py")
        let arguments = ["python3", script.path, "--tls", tls, "--username", username, "--password", password]
        let (output, outputSink) = AsyncStream.makeStream(of: String.self)
        let (started, reportStart) = AsyncStream.makeStream(of: Int32.self)
        Task.detached {
            _ = try? await Subprocess.run(
                .path("/usr/bin/env"), arguments: Arguments(arguments), input: .inputWriter, output: .sequence,
                error: .discarded
            ) { execution in
                reportStart.yield(execution.processIdentifier.value)
                reportStart.finish()
                for try await line in execution.standardOutput.strings() { outputSink.yield(line) }
                // Standard input stays open while the server runs: it stops when it closes (or on SIGTERM).
                try? await execution.standardInputWriter.finish()
            }
            reportStart.finish()
            outputSink.finish()
        }
        var starts = started.makeAsyncIterator()
        guard let pid = await starts.next() else {
            Issue.record("the aiosmtpd test server could not be started (python3 \(script.path))")
            throw CancellationError()
        }
        let lines = JSONLines(output)
        let ready: Ready? = await lines.next()
        guard let ready, let port = ready.port, let caFile = ready.caFile else {
            kill(pid, SIGTERM)
            let reason = ready?.error ?? "it exited without reporting a port"
            Issue.record("the aiosmtpd test server did not start: \(reason) (pip install aiosmtpd cryptography)")
            throw CancellationError()
        }
        return AiosmtpdServer(pid: pid, lines: lines, port: port, caFile: caFile)
    }

    /// The next message the server received (it reports one before answering 250).
    func nextMessage() async -> Received? {
        await lines.next()
    }

    /// Sends SIGTERM, which makes it exit. Does not wait: the exit takes a moment.
    func stop() {
        kill(pid, SIGTERM)
    }
}

/// Decodes the JSON objects a subprocess writes, one per line.
final class JSONLines: Sendable {
    private let stream: AsyncStream<String>

    init(_ stream: AsyncStream<String>) {
        self.stream = stream
    }

    /// The next line decoded as `T`; nil when the output ended or the line is not a `T`.
    /// One reader at a time (an `AsyncStream` has a single consumer).
    func next<T: Decodable>() async -> T? {
        var lines = stream.makeAsyncIterator()
        guard let line = await lines.next() else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(T.self, from: Data(line.utf8))
    }
}

// MARK: - Scripted servers

/// A TCP server on 127.0.0.1 that greets with `greeting` (nothing when nil) and answers each line
/// with `reply(line)` (nothing when it returns nil): enough to play a broken or silent SMTP server.
enum ScriptedServer {
    static func start(
        greeting: String?,
        reply: @escaping @Sendable (String) -> String? = { _ in nil }
    ) async throws
        -> LoopbackTCPServer
    {
        try await LoopbackTCPServer.start { ScriptedHandler(greeting: greeting, reply: reply) }
    }
}

private final class ScriptedHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let greeting: String?
    private let reply: @Sendable (String) -> String?
    private var buffer: [UInt8] = []

    init(greeting: String?, reply: @escaping @Sendable (String) -> String?) {
        self.greeting = greeting
        self.reply = reply
    }

    func channelActive(context: ChannelHandlerContext) {
        if let greeting { context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: greeting)), promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        buffer += unwrapInboundIn(data).readableBytesView
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: buffer[..<newline], as: UTF8.self).trimmingCharacters(in: .newlines)
            buffer.removeSubrange(...newline)
            if let answer = reply(line) {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
            }
        }
    }
}
