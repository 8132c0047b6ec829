import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOHTTP2

/// Refuses an answer whose status is under 100 before AsyncHTTPClient reads it.
///
/// AsyncHTTPClient 1.37 takes such a head for an informational one (NIO's decoder forwards only
/// 1xx as informational, so `HTTP/1.1 000` arrives as a final answer), keeps waiting for a head,
/// and traps when the answer ends (Fuzz/findings/ahc-status-below-100); over HTTP/2, NIOHTTP2 only
/// checks that `:status` is a number. One service, vendor or channel answering `HTTP/1.1 000` would
/// kill the daemon, and again after every restart. This handler sits between the response decoder
/// (HTTP/1) or the stream codec (HTTP/2) and the client's own handler: the request fails
/// with ``StatusOutOfRange`` (a failed check, a failed vendor call, a failed delivery: retried,
/// then escalated like any other) and the connection (or the HTTP/2 stream) is closed.
final class FinalStatusGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart

    /// After a refused head: the rest of that answer is dropped, the connection is closing.
    private var refusing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refusing else { return }
        if case .head(let head) = unwrapInboundIn(data), head.status.code < 100 {
            refusing = true
            context.fireErrorCaught(StatusOutOfRange(code: head.status.code))
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
    }

    /// For `HTTPClient.Configuration.http1_1ConnectionDebugInitializer`: puts the guard right after
    /// the response decoder of each new HTTP/1 connection.
    @Sendable static func install(on channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.submit {
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self)
            try pipeline.addHandler(FinalStatusGuard(), position: .after(decoder))
        }
    }

    /// For `HTTPClient.Configuration.http2StreamChannelDebugInitializer`: puts the guard right after
    /// the HTTP/2-to-HTTP/1 codec of each new stream, before the request is written.
    @Sendable static func install(onStream channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.submit {
            let pipeline = channel.pipeline.syncOperations
            let codec = try pipeline.handler(type: HTTP2FramePayloadToHTTP1ClientCodec.self)
            try pipeline.addHandler(FinalStatusGuard(), position: .after(codec))
        }
    }
}

/// An answer whose status line says a number HTTP does not have (under 100).
public struct StatusOutOfRange: Error, CustomStringConvertible {
    public let code: UInt

    public var description: String { "the answer's status \(code) is not an HTTP status (100–599)" }
}
