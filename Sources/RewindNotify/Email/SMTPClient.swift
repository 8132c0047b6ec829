import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import RewindCore
import RewindPorts
import RewindSpecs
import Synchronization

/// Who a message is from and to, as the SMTP envelope says it (bare addresses).
struct SMTPEnvelope: Sendable, Equatable {
    var sender: String
    var recipients: [String]
}

struct SMTPCredentials: Sendable {
    var username: String
    var password: String
}

/// Submits one message per connection: connect (TLS from the first byte, STARTTLS, or plain),
/// EHLO, AUTH, MAIL FROM, RCPT TO for every recipient, DATA, QUIT — all within `timeout`.
///
/// Errors are ``ProviderError``s that quote the server's reply and never the credentials:
/// 4xx replies, connection failures and the deadline are transient (`.server`, `.connection`,
/// `.timeout`); 5xx replies are `.rejected` (`.auth` for 530 and 535, naming where the username
/// and password are configured). Once the server has accepted the message, nothing later (QUIT, a
/// dropped connection) turns it into a failure. When the conversation stops while the server waits
/// for a command (a refused command, a capability Rewind will not do without), Rewind says `QUIT`
/// before closing, as RFC 5321 §4.1.1.10 asks; its answer is awaited for at most ``quitGrace``.
struct SMTPClient: Sendable {
    var host: String
    var port: Int
    var security: EmailSpec.Security
    var credentials: SMTPCredentials?
    var caFile: String?
    var timeout: Duration
    /// Where the username and password are configured, named when the server refuses them.
    var credential: String
    /// The name given in EHLO.
    var clientName = "rewind"
    var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    /// How long a `QUIT` after a failure waits for the server's `221`.
    static let quitGrace = Duration.seconds(2)

    /// - Parameter credential: where the username and password are configured (see ``EmailNotifier``).
    init(spec: EmailSpec, credential: String = "the channel's username and password") {
        self.credential = credential
        host = spec.host
        port = spec.port
        security = spec.security
        caFile = spec.caFile
        timeout = spec.timeout
        if let username = spec.username?.value, let password = spec.password?.value {
            credentials = SMTPCredentials(username: username, password: password)
        }
    }

    var endpoint: String { "\(host):\(port)" }

    func send(_ message: String, envelope: SMTPEnvelope) async throws -> EmailDelivery {
        if let refusal = Self.plaintextCredentialsRefusal(
            host: host,
            security: security,
            hasCredentials: credentials != nil
        ) {
            throw refusal
        }
        let data = try Self.dataPayload(message)
        let tls = try security == .none ? nil : makeTLSContext()
        let progress = ConversationProgress()
        do {
            return try await withDeadline(timeout, clock: SystemClock()) {
                try await converse(data: data, envelope: envelope, tls: tls, progress: progress)
            }
        } catch {
            if let delivery = progress.delivery { return delivery }
            throw classify(error, stage: progress.stage)
        }
    }

    /// Credentials go over a plain connection only to this machine (a local relay, a test sink).
    static func plaintextCredentialsRefusal(
        host: String,
        security: EmailSpec.Security,
        hasCredentials: Bool
    )
        -> ProviderError?
    {
        guard hasCredentials, security == .none, !isLoopback(host) else { return nil }
        return ProviderError(
            .rejected,
            "refusing to send SMTP credentials to \(host) over an unencrypted connection; "
                + "set security to starttls or tls (or remove the username and password)"
        )
    }

    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" { return true }
        guard name.hasPrefix("127."), let address = try? SocketAddress(ipAddress: name, port: 0) else { return false }
        return address.protocol == .inet
    }

    /// The DATA payload: CRLF line endings, dot-stuffed, ending in `CRLF . CRLF`.
    static func dataPayload(_ message: String) throws(ProviderError) -> ByteBuffer {
        var payload = ByteBuffer()
        for line in message.linesSplitAtAnyBreak {
            guard line.utf8.count <= 998 else {
                throw ProviderError(.rejected, "the e-mail has a line longer than 998 octets, which SMTP forbids")
            }
            if line.hasPrefix(".") { payload.writeString(".") }
            payload.writeString(line + "\r\n")
        }
        payload.writeString(".\r\n")
        return payload
    }

    // MARK: - The conversation

    private func converse(
        data: ByteBuffer,
        envelope: SMTPEnvelope,
        tls: NIOSSLContext?,
        progress: ConversationProgress
    )
        async throws -> EmailDelivery
    {
        progress.stage = "connecting"
        let asyncChannel = try await connect(implicitTLS: security == .tls ? tls : nil)
        return try await asyncChannel.executeThenClose { inbound, outbound in
            var conversation = SMTPConversation(
                lines: inbound.makeAsyncIterator(),
                outbound: outbound,
                endpoint: endpoint,
                progress: progress,
                secrets: credentials.map(SMTPConversation.secrets(of:)) ?? [],
                credential: credential
            )
            let channel = asyncChannel.channel
            do {
                return try await dialogue(&conversation, data: data, envelope: envelope, tls: tls, channel: channel)
            } catch {
                if conversation.awaitsCommand {
                    // A server that never answers QUIT is cut off after the grace, keeping the real error.
                    let cutOff = channel.eventLoop.scheduleTask(in: .milliseconds(Self.quitGrace.milliseconds)) {
                        channel.close(promise: nil)
                    }
                    try? await conversation.quit()
                    cutOff.cancel()
                }
                throw error
            }
        }
    }

    /// Greeting, EHLO, STARTTLS, AUTH and the transfer, then QUIT.
    private func dialogue(
        _ conversation: inout SMTPConversation,
        data: ByteBuffer,
        envelope: SMTPEnvelope,
        tls: NIOSSLContext?,
        channel: any Channel
    )
        async throws -> EmailDelivery
    {
        let progress = conversation.progress
        progress.stage = "waiting for the server's greeting"
        try conversation.expect(await conversation.readReply(to: "the connection"), 220, to: "the connection")
        var capabilities = try await conversation.hello(clientName)
        if security == .starttls, let tls {
            guard capabilities.startTLS else {
                throw ProviderError(
                    .rejected,
                    "SMTP server \(endpoint) does not offer STARTTLS; refusing to continue without TLS"
                )
            }
            try conversation.expect(await conversation.command("STARTTLS"), 220, to: "STARTTLS")
            // From here until TLS is up, nothing more is said in plaintext.
            conversation.awaitsCommand = false
            guard !conversation.lastLineHadBytesBehindIt else {
                throw ProviderError(.badResponse, "SMTP server \(endpoint) sent data before the TLS handshake")
            }
            progress.stage = "the TLS handshake"
            try await startTLS(on: channel, context: tls)
            capabilities = try await conversation.hello(clientName)
        }
        if let credentials { try await conversation.authenticate(credentials, capabilities: capabilities) }
        let delivery = try await conversation.transfer(data, envelope: envelope, capabilities: capabilities)
        progress.delivery = delivery
        try? await conversation.quit()
        return delivery
    }

    private func connect(implicitTLS: NIOSSLContext?) async throws -> NIOAsyncChannel<SMTPLine, ByteBuffer> {
        let serverName = serverHostname
        return try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(.milliseconds(max(1, timeout.milliseconds)))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicitTLS {
                        let handler = try NIOSSLClientHandler(context: implicitTLS, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                    return try NIOAsyncChannel<SMTPLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Puts TLS in front of everything: the line decoder and the async bridge then see plaintext.
    /// Returns once the handshake is done, so that a refused certificate surfaces as the TLS error it
    /// is, never as a write on a channel the failed handshake already closed.
    private func startTLS(on channel: any Channel, context: NIOSSLContext) async throws {
        let serverName = serverHostname
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        try await channel.eventLoop.submit {
            let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName)
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
            try channel.pipeline.syncOperations.addHandler(
                HandshakeWaiter(promise: handshake), position: .after(handler))
        }.get()
        try await handshake.futureResult.get()
    }

    /// The name checked against the certificate and sent as SNI. For an IP address NIOSSL checks the
    /// certificate's IP entries against the peer address instead.
    private var serverHostname: String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }

    private func makeTLSContext() throws(ProviderError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        if let caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw ProviderError(.rejected, "cannot read the e-mail CA file \(caFile)")
            }
            configuration.additionalTrustRoots = [.file(caFile)]
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ProviderError(.rejected, "cannot set up TLS for \(endpoint): \(error)")
        }
    }

    // MARK: - Errors

    private func classify(_ error: any Error, stage: String) -> any Error {
        switch error {
        case let error as ProviderError:
            return error
        case is DeadlineExceeded:
            return ProviderError(
                .timeout,
                "SMTP server \(endpoint) did not finish within \(timeout.rewindDescription) (\(stage))"
            )
        case is CancellationError:
            return error
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            return ProviderError(.rejected, "the TLS certificate of \(endpoint) is not valid for \(host)")
        case let error as NIOSSLError:
            if case .handshakeFailed = error {
                return ProviderError(
                    .rejected,
                    "TLS handshake with \(endpoint) failed (is the certificate trusted? "
                        + "set ca_file for a private CA): \(error)"
                )
            }
            return ProviderError(.connection, "TLS with \(endpoint) failed during \(stage): \(error)")
        case is SMTPLineDecoder.LineTooLong:
            return ProviderError(.badResponse, "SMTP server \(endpoint) sent an overlong line during \(stage)")
        default:
            return ProviderError(.connection, "SMTP connection to \(endpoint) failed during \(stage): \(error)")
        }
    }
}

/// How far one conversation got: for timeout messages, and so that a message the server already
/// accepted is never reported as failed.
private final class ConversationProgress: Sendable {
    private struct State {
        var stage = "connecting"
        var delivery: EmailDelivery?
    }

    private let state = Mutex(State())

    var stage: String {
        get { state.withLock { $0.stage } }
        set { state.withLock { $0.stage = newValue } }
    }

    var delivery: EmailDelivery? {
        get { state.withLock { $0.delivery } }
        set { state.withLock { $0.delivery = newValue } }
    }
}

/// The reading and writing half of one SMTP connection, and the dialogue steps.
private struct SMTPConversation {
    var lines: NIOAsyncChannelInboundStream<SMTPLine>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let endpoint: String
    let progress: ConversationProgress
    /// Texts that must never appear in an error: the password and the AUTH payloads.
    let secrets: [String]
    /// Where the username and password are configured, for a refused login.
    let credential: String
    private(set) var lastLineHadBytesBehindIt = false
    /// True while the server waits for a command: the last reply was complete and well formed, and no
    /// TLS handshake is pending. A conversation that stops then says QUIT first.
    var awaitsCommand = false

    init(
        lines: NIOAsyncChannelInboundStream<SMTPLine>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        endpoint: String,
        progress: ConversationProgress,
        secrets: [String],
        credential: String
    ) {
        self.lines = lines
        self.outbound = outbound
        self.endpoint = endpoint
        self.progress = progress
        self.secrets = secrets
        self.credential = credential
    }

    static func secrets(of credentials: SMTPCredentials) -> [String] {
        [credentials.password, base64(credentials.password), plainToken(credentials)].filter { !$0.isEmpty }
    }

    /// EHLO, or HELO when the server does not know EHLO (a 5xx reply).
    mutating func hello(_ name: String) async throws -> SMTPCapabilities {
        let reply = try await command("EHLO \(name)", label: "EHLO")
        if reply.isSuccess { return SMTPCapabilities(ehlo: reply) }
        guard reply.isPermanentFailure else { throw failure(reply, to: "EHLO") }
        try expect(await command("HELO \(name)", label: "HELO"), 250, to: "HELO")
        return SMTPCapabilities()
    }

    /// AUTH PLAIN when offered, else AUTH LOGIN.
    mutating func authenticate(_ credentials: SMTPCredentials, capabilities: SMTPCapabilities) async throws {
        if capabilities.authMechanisms.contains("PLAIN") {
            let token = Self.plainToken(credentials)
            var reply = try await command("AUTH PLAIN \(token)", label: "AUTH PLAIN")
            if reply.code == 334 { reply = try await command(token, label: "AUTH PLAIN") }
            try expect(reply, 235, to: "AUTH PLAIN")
        } else if capabilities.authMechanisms.contains("LOGIN") {
            try expect(await command("AUTH LOGIN", label: "AUTH LOGIN"), 334, to: "AUTH LOGIN")
            try expect(await command(Self.base64(credentials.username), label: "AUTH LOGIN"), 334, to: "AUTH LOGIN")
            try expect(await command(Self.base64(credentials.password), label: "AUTH LOGIN"), 235, to: "AUTH LOGIN")
        } else {
            throw ProviderError(
                .unsupported,
                "SMTP server \(endpoint) offers no AUTH PLAIN or AUTH LOGIN, so the credentials cannot be used"
            )
        }
    }

    /// MAIL FROM, RCPT TO for every recipient, DATA and the message. Recipients the server refuses
    /// are reported; the message still goes to the others.
    mutating func transfer(
        _ data: ByteBuffer,
        envelope: SMTPEnvelope,
        capabilities: SMTPCapabilities
    )
        async throws -> EmailDelivery
    {
        let needsUTF8 = ([envelope.sender] + envelope.recipients).contains { !$0.utf8.allSatisfy { $0 < 0x80 } }
        if needsUTF8, !capabilities.smtpUTF8 {
            throw ProviderError(.rejected, "SMTP server \(endpoint) does not accept non-ASCII addresses (no SMTPUTF8)")
        }
        try expect(
            await command("MAIL FROM:<\(envelope.sender)>" + (needsUTF8 ? " SMTPUTF8" : ""), label: "MAIL FROM"),
            250,
            to: "MAIL FROM"
        )
        var delivery = EmailDelivery(accepted: [], rejected: [])
        var refusals: [SMTPReply] = []
        for recipient in envelope.recipients {
            let reply = try await command("RCPT TO:<\(recipient)>", label: "RCPT TO")
            if reply.code == 250 || reply.code == 251 {
                delivery.accepted.append(recipient)
            } else if reply.isTransientFailure || reply.isPermanentFailure {
                delivery.rejected.append(.init(recipient: recipient, reply: redact(reply.summary)))
                refusals.append(reply)
            } else {
                throw failure(reply, to: "RCPT TO")
            }
        }
        guard !delivery.accepted.isEmpty else {
            let all = delivery.rejected.map { "\($0.recipient): \($0.reply)" }.joined(separator: "; ")
            let transient = refusals.contains { $0.isTransientFailure }
            throw ProviderError(
                transient ? .server : .rejected,
                "SMTP server \(endpoint) accepted no recipient (\(all))"
            )
        }
        try expect(await command("DATA"), 354, to: "DATA")
        progress.stage = "waiting for the reply to the message"
        awaitsCommand = false
        try await outbound.write(data)
        try expect(await readReply(to: "the message"), 250, to: "the message")
        return delivery
    }

    mutating func quit() async throws {
        _ = try await command("QUIT")
    }

    // MARK: Lines and replies

    /// Sends one command line; `label` replaces it in messages (AUTH payloads are never shown).
    mutating func command(_ line: String, label: String? = nil) async throws -> SMTPReply {
        let label = label ?? line
        progress.stage = "waiting for the reply to \(label)"
        awaitsCommand = false
        try await outbound.write(ByteBuffer(string: line + "\r\n"))
        return try await readReply(to: label)
    }

    mutating func readReply(to label: String) async throws -> SMTPReply {
        var parser = SMTPReplyParser()
        while true {
            guard let line = try await lines.next() else {
                throw ProviderError(
                    .connection,
                    "SMTP server \(endpoint) closed the connection (waiting for the reply to \(label))"
                )
            }
            lastLineHadBytesBehindIt = line.followedByBufferedBytes
            do {
                if let reply = try parser.consume(line.text) {
                    awaitsCommand = true
                    return reply
                }
            } catch {
                throw ProviderError(
                    .badResponse,
                    "SMTP server \(endpoint) sent a malformed reply to \(label): \"\(redact(error.line))\""
                )
            }
        }
    }

    func expect(_ reply: SMTPReply, _ code: Int, to label: String) throws(ProviderError) {
        guard reply.code == code else { throw failure(reply, to: label) }
    }

    func failure(_ reply: SMTPReply, to label: String) -> ProviderError {
        let kind: ProviderError.Kind =
            switch reply.code {
            case 530, 535: .auth
            case 400..<500: .server
            case 500..<600: .rejected
            default: .badResponse
            }
        let answered = "SMTP server \(endpoint) answered \(label) with \(redact(reply.summary))"
        switch reply.code {
        case 535: return ProviderError(kind, "\(answered); check \(credential)")
        case 530: return ProviderError(kind, "\(answered): the server wants a login; set \(credential)")
        default: return ProviderError(kind, answered)
        }
    }

    private func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "<redacted>") }
    }

    private static func plainToken(_ credentials: SMTPCredentials) -> String {
        base64("\0\(credentials.username)\0\(credentials.password)")
    }

    private static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }
}

/// Completes its promise when the TLS handshake finishes, or fails it with the handshake's error
/// (or when the channel closes first). Passes every event on.
private final class HandshakeWaiter: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    private let promise: EventLoopPromise<Void>
    /// Only touched on the channel's event loop.
    private var completed = false

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    private func complete(_ result: Result<Void, any Error>) {
        guard !completed else { return }
        completed = true
        promise.completeWith(result)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent { complete(.success(())) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        complete(.failure(error))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        complete(.failure(ChannelError.ioOnClosedChannel))
        context.fireChannelInactive()
    }
}
