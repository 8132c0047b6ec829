import NIOCore
import NIOPosix
import ServiceLifecycle

/// A small SMTP server on 127.0.0.1 (a port chosen by the OS) that keeps every message in an
/// ``SMTPSink``. Plain SMTP only; see ``SMTPSinkSession`` for what it speaks.
///
/// Runs until its task is cancelled or a graceful shutdown is triggered; then it closes the
/// listening socket and every open connection, and returns. Run a server once.
public struct SMTPSinkServer: Service {
    public let sink: SMTPSink
    private let readiness = ServerReadiness()

    public init(sink: SMTPSink) {
        self.sink = sink
    }

    public func run() async throws {
        defer { readiness.stopped() }
        do {
            try await cancelWhenGracefulShutdown {
                let server = try await bind()
                readiness.listening(port: server.channel.localAddress?.port ?? 0)
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await connection in connections {
                            group.addTask { await serve(connection) }
                        }
                    }
                }
            }
        } catch  where Task.isCancelled {
            // Stopping is not a failure.
        }
    }

    /// The port it listens on, once it does; 0 if it stopped (or the caller was cancelled) first.
    public func port() async -> Int {
        await readiness.port() ?? 0
    }

    private func bind() async throws -> NIOAsyncChannel<NIOAsyncChannel<String, ByteBuffer>, Never> {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SinkLineDecoder()))
                    return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// One client, until QUIT, its disconnect, or the server stopping. Errors only end the connection.
    private func serve(_ connection: NIOAsyncChannel<String, ByteBuffer>) async {
        var session = SMTPSinkSession(credentials: sink.credentials, rejectedRecipients: sink.rejectedRecipients)
        try? await connection.executeThenClose { lines, outbound in
            try await outbound.write(ByteBuffer(string: SMTPSinkSession.greeting + "\r\n"))
            for try await line in lines {
                let reaction = session.receive(line)
                if let email = reaction.received { sink.record(email) }
                if !reaction.replies.isEmpty {
                    try await outbound.write(ByteBuffer(string: reaction.replies.map { $0 + "\r\n" }.joined()))
                }
                if reaction.close { return }
            }
        }
    }
}

/// Splits the stream into lines at LF, dropping a CR before it. Lines longer than 64 KiB end the
/// connection (the session itself refuses commands over 512 octets and message lines over 998).
private struct SinkLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    struct LineTooLong: Error {}

    static let maximumLength = 64 * 1024

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let newline = buffer.withUnsafeReadableBytes { $0.firstIndex(of: UInt8(ascii: "\n")) }
        guard let newline else {
            if buffer.readableBytes > Self.maximumLength { throw LineTooLong() }
            return .needMoreData
        }
        guard newline <= Self.maximumLength, var bytes = buffer.readBytes(length: newline) else { throw LineTooLong() }
        buffer.moveReaderIndex(forwardBy: 1)
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        context.fireChannelRead(wrapInboundOut(String(decoding: bytes, as: UTF8.self)))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
