import Foundation
import RewindCore
import RewindPorts
import RewindSpecs
import RewindTestSupport
import Synchronization
import Testing

@testable import RewindNotify

/// How the e-mail channel classifies what goes wrong: deadlines, refused connections, 4xx and 5xx
/// replies, garbage, a STARTTLS downgrade or injection. Scripted servers on 127.0.0.1 play the part.
@Suite(.timeLimit(.minutes(1)))
struct EmailFailureTests {
    @Test func aServerThatNeverAnswersIsATimeoutWithinTheDeadline() async throws {
        let server = try await ScriptedServer.start(greeting: nil)
        let spec = EmailFixtures.spec(port: server.port, timeout: .milliseconds(500))
        let clock = ContinuousClock()
        let started = clock.now

        let error = await #expect(throws: ProviderError.self) {
            try await EmailFixtures.notifier(spec).send(EmailFixtures.notice())
        }

        let elapsed = clock.now - started
        try await server.stop()
        #expect(error?.kind == .timeout)
        #expect(error?.message.contains("500ms") == true)
        #expect(error?.message.contains("waiting for the server's greeting") == true)
        #expect(error?.isTransient == true)
        #expect(elapsed >= .milliseconds(500))
    }

    @Test func aRefusedConnectionIsAConnectionError() async throws {
        let server = try await ScriptedServer.start(greeting: nil)
        let port = server.port
        try await server.stop()

        let error = await #expect(throws: ProviderError.self) {
            try await EmailFixtures.notifier(EmailFixtures.spec(port: port)).send(EmailFixtures.notice())
        }

        #expect(error?.kind == .connection)
        #expect(error?.isTransient == true)
    }

    @Test func a4xxGreetingIsATransientServerError() async throws {
        let server = try await ScriptedServer.start(greeting: "421 4.3.2 Service not available, closing\r\n")

        let error = await #expect(throws: ProviderError.self) {
            try await EmailFixtures.notifier(EmailFixtures.spec(port: server.port)).send(EmailFixtures.notice())
        }

        try await server.stop()
        #expect(error?.kind == .server)
        #expect(error?.message.contains("421 4.3.2 Service not available, closing") == true)
        #expect(error?.isTransient == true)
    }

    @Test func a5xxToMailFromIsARejection() async throws {
        let server = try await ScriptedServer.start(greeting: "220 scripted ESMTP\r\n") { line in
            line.hasPrefix("MAIL") ? "550 5.7.1 Sender address rejected\r\n" : "250 ok\r\n"
        }

        let error = await #expect(throws: ProviderError.self) {
            try await EmailFixtures.notifier(EmailFixtures.spec(port: server.port)).send(EmailFixtures.notice())
        }

        try await server.stop()
        #expect(error?.kind == .rejected)
        #expect(error?.message.contains("answered MAIL FROM with 550 5.7.1 Sender address rejected") == true)
        #expect(error?.isTransient == false)
    }

    @Test func aServerWithoutEHLOIsGreetedWithHELO() async throws {
        let commands = CommandLog()
        let server = try await ScriptedServer.start(greeting: "220 old\r\n") { line in
            commands.append(line)
            switch line.prefix(4) {
            case "EHLO": return "502 5.5.1 Command not implemented\r\n"
            case "DATA": return "354 go ahead\r\n"
            case "QUIT": return "221 bye\r\n"
            default: return line == "." ? "250 queued\r\n" : (commands.inData ? nil : "250 ok\r\n")
            }
        }

        try await EmailFixtures.notifier(EmailFixtures.spec(port: server.port, to: ["a@example.com"])).send(
            EmailFixtures.notice()
        )

        try await server.stop()
        #expect(commands.verbs.prefix(5) == ["EHLO", "HELO", "MAIL", "RCPT", "DATA"])
        #expect(commands.verbs.last == "QUIT")
    }

    @Test func aRefusedLoginIsFollowedByQuitBeforeTheConnectionCloses() async throws {
        let commands = CommandLog()
        let server = try await Self.server(
            ["EHLO": "250-scripted\r\n250 AUTH PLAIN LOGIN\r\n", "AUTH": Self.refusedLogin, "QUIT": Self.bye],
            log: commands)
        let spec = EmailFixtures.spec(port: server.port, username: "rewind", password: "wrong-pass-123")

        let error = await #expect(throws: ProviderError.self) {
            try await EmailFixtures.notifier(spec).send(EmailFixtures.notice())
        }

        try await server.stop()
        #expect(error?.kind == .auth)
        #expect(error?.message.contains("answered AUTH PLAIN with 535 5.7.8") == true)
        #expect(commands.verbs == ["EHLO", "AUTH", "QUIT"])
    }

    @Test func aRefusedSenderIsFollowedByQuit() async throws {
        let commands = CommandLog()
        let server = try await Self.server(
            ["MAIL": "550 5.7.1 Sender address rejected\r\n", "QUIT": Self.bye], log: commands)

        let error = await #expect(throws: ProviderError.self) {
            try await EmailFixtures.notifier(EmailFixtures.spec(port: server.port)).send(EmailFixtures.notice())
        }

        try await server.stop()
        #expect(error?.kind == .rejected)
        #expect(commands.verbs == ["EHLO", "MAIL", "QUIT"])
    }

    @Test func aServerThatIgnoresQuitDoesNotHideTheRealError() async throws {
        let server = try await Self.server(
            ["EHLO": "250-scripted\r\n250 AUTH PLAIN\r\n", "AUTH": Self.refusedLogin], otherwise: String?.none)
        let spec = EmailFixtures.spec(
            port: server.port, username: "rewind", password: "wrong-pass-123", timeout: .seconds(600))
        let clock = ContinuousClock()
        let started = clock.now

        let error = await #expect(throws: ProviderError.self) {
            try await EmailFixtures.notifier(spec).send(EmailFixtures.notice())
        }

        let elapsed = clock.now - started
        try await server.stop()
        #expect(error?.kind == .auth)
        // QUIT after the refusal waits 2 s (quitGrace), not the conversation's 600 s: the bound is far from both,
        // so that a loaded machine cannot fail it and a wait for the whole timeout cannot pass it.
        #expect(elapsed < .seconds(120), "waited \(elapsed) for an answer to QUIT")
    }

    static let refusedLogin = "535 5.7.8 Authentication credentials invalid\r\n"
    static let bye = "221 2.0.0 Bye\r\n"

    /// A server that answers each command by its verb (`otherwise` for the others; nil: silence), and logs
    /// what it heard.
    private static func server(
        _ replies: [String: String], otherwise: String? = "250 ok\r\n", log: CommandLog? = nil
    ) async throws -> LoopbackTCPServer {
        try await ScriptedServer.start(greeting: "220 scripted ESMTP\r\n") { line in
            log?.append(line)
            return replies[String(line.prefix(4))] ?? otherwise
        }
    }

    @Test func garbageInsteadOfAReplyIsABadResponse() async throws {
        let server = try await ScriptedServer.start(greeting: "HTTP/1.1 400 Bad Request\r\n")

        let error = await #expect(throws: ProviderError.self) {
            try await EmailFixtures.notifier(EmailFixtures.spec(port: server.port)).send(EmailFixtures.notice())
        }

        try await server.stop()
        #expect(error?.kind == .badResponse)
    }

    @Test func starttlsIsNeverSkippedWhenTheServerDoesNotOfferIt() async throws {
        let server = try await ScriptedServer.start(greeting: "220 plain\r\n") { line in
            line.hasPrefix("EHLO") ? "250-plain\r\n250 AUTH PLAIN\r\n" : "250 ok\r\n"
        }
        let spec = EmailFixtures.spec(port: server.port, security: .starttls, username: "u", password: "p4ssw0rd")

        let error = await #expect(throws: ProviderError.self) {
            try await EmailFixtures.notifier(spec).send(EmailFixtures.notice())
        }

        try await server.stop()
        #expect(error?.kind == .rejected)
        #expect(error?.message.contains("does not offer STARTTLS") == true)
    }

    @Test func plaintextInjectedAfterTheSTARTTLSReplyIsRefused() async throws {
        let server = try await ScriptedServer.start(greeting: "220 sly\r\n") { line in
            switch line {
            case _ where line.hasPrefix("EHLO"): "250-sly\r\n250 STARTTLS\r\n"
            case "STARTTLS": "220 2.0.0 Ready to start TLS\r\n250-injected\r\n250 AUTH PLAIN\r\n"
            default: nil
            }
        }
        let spec = EmailFixtures.spec(port: server.port, security: .starttls, timeout: .seconds(5))

        let error = await #expect(throws: ProviderError.self) {
            try await EmailFixtures.notifier(spec).send(EmailFixtures.notice())
        }

        try await server.stop()
        #expect(error?.kind == .badResponse)
        #expect(error?.message.contains("before the TLS handshake") == true)
    }
}

/// What a scripted server heard, for asserting the order of commands.
private final class CommandLog: Sendable {
    private let state = Mutex<(lines: [String], inData: Bool)>(([], false))

    func append(_ line: String) {
        state.withLock { state in
            state.lines.append(line)
            if line == "DATA" { state.inData = true }
            if line == "." { state.inData = false }
        }
    }

    var inData: Bool { state.withLock { $0.inData } }

    var verbs: [String] {
        state.withLock { state in
            var verbs: [String] = []
            var inData = false
            for line in state.lines {
                if inData {
                    if line == "." { inData = false }
                    continue
                }
                verbs.append(String(line.prefix(4)))
                if line == "DATA" { inData = true }
            }
            return verbs
        }
    }
}
