import NIOCore

/// One line from the server, without its line ending.
struct SMTPLine: Sendable, Equatable {
    var text: String
    /// True when more bytes had already arrived behind this line. After the reply to STARTTLS that
    /// means plaintext was injected before the TLS handshake (CVE-2011-0411): the client refuses it.
    var followedByBufferedBytes: Bool
}

/// Splits the byte stream into lines at LF (an optional CR before it is dropped).
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPLine

    struct LineTooLong: Error {}

    /// Replies are short; anything longer than this is not an SMTP server talking.
    let maximumLength: Int

    init(maximumLength: Int = 4096) {
        self.maximumLength = maximumLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let newline = buffer.withUnsafeReadableBytes { $0.firstIndex(of: UInt8(ascii: "\n")) }
        guard let newline else {
            if buffer.readableBytes > maximumLength { throw LineTooLong() }
            return .needMoreData
        }
        guard newline <= maximumLength, var bytes = buffer.readBytes(length: newline) else { throw LineTooLong() }
        buffer.moveReaderIndex(forwardBy: 1)
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        let line = SMTPLine(
            text: String(decoding: bytes, as: UTF8.self),
            followedByBufferedBytes: buffer.readableBytes > 0
        )
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws
        -> DecodingState
    {
        // A partial last line is dropped: the conversation notices the closed connection.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
