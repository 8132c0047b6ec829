import AsyncHTTPClient
import NIOCore
import NIOPosix
import RewindCore
import RewindNotify
import RewindPorts
import Testing

/// A TCP server on 127.0.0.1 that accepts connections and never answers.
private func withSilentServer<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .bind(host: "127.0.0.1", port: 0)
        .get()
    let port = try #require(server.localAddress?.port)
    let result: Result<T, any Error>
    do { result = .success(try await body(port)) } catch { result = .failure(error) }
    try await server.close()
    return try result.get()
}

@Suite("Delivery deadline")
struct DeliveryDeadlineTests {
    @Test func aVendorThatNeverAnswersTimesOutAsTransient() async throws {
        try await withSilentServer { port in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let notifier = PagerDutyNotifier(
                routingKey: ConfigText(pagerDutyRoutingKey, isSecret: true),
                url: "http://127.0.0.1:\(port)",
                name: "pagerduty",
                client: client,
                timeout: .milliseconds(300)
            )
            let error = await #expect(throws: ProviderError.self) { try await notifier.send(channelNotice(.initiated)) }
            try await client.shutdown()
            let failure = try #require(error)
            #expect(failure.kind == .timeout)
            #expect(failure.isTransient)
            #expect(failure.message.contains("300ms"))
            #expect(!failure.message.contains(pagerDutyRoutingKey))
        }
    }
}
