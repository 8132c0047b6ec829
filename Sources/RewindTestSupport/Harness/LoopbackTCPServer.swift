import NIOCore
import NIOPosix

/// A TCP server on 127.0.0.1 (a free port) that serves each connection with a new handler from `makeHandler`: a
/// peer that does not speak HTTP, or speaks a protocol badly on purpose. Stop it with ``stop()``.
public struct LoopbackTCPServer: Sendable {
    let channel: any Channel

    public var port: Int { channel.localAddress?.port ?? 0 }

    public static func start(
        handler makeHandler: @escaping @Sendable () -> any ChannelHandler
    ) async throws
        -> LoopbackTCPServer
    {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(makeHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return LoopbackTCPServer(channel: channel)
    }

    public func stop() async throws {
        try await channel.close()
    }
}
