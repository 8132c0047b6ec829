import AsyncHTTPClient
import NIOCore

extension HTTPHealthProber {
    /// A client tuned for frequent small health checks, for the composition root to create once and
    /// share (with the prober and with anything else that makes small HTTP calls).
    ///
    /// - Runs on the process-wide shared event loop group (`HTTPClient.defaultEventLoopGroup`).
    /// - Keeps connections alive in the pool between checks, so a check costs one round trip.
    /// - Does not follow redirects: a health endpoint that redirects is answering something else.
    /// - Connects directly (no proxy) with a 5 s connect timeout; a check's own timeout, when shorter,
    ///   still bounds it.
    /// - Does not retry failed connection establishment: a refused connection fails the check at
    ///   once (the failure policy, not the client, decides how many failures matter).
    ///
    /// - Fails a request answered with a status under 100 (``FinalStatusGuard``): the client would trap.
    /// - Traces nothing, even when the process exports traces: async-http-client's spans record
    ///   each request's full URL, and a webhook URL (Slack, Teams) or a query can be a secret.
    ///
    /// The caller owns the client and must shut it down (`try await client.shutdown()`) when it is
    /// done, after the last check.
    public static func makeHTTPClient() -> HTTPClient {
        HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration())
    }

    /// What ``makeHTTPClient()`` builds its client with (a test adds the trust of its throwaway CA).
    public static func clientConfiguration() -> HTTPClient.Configuration {
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(55),
            concurrentHTTP1ConnectionsPerHostSoftLimit: 8
        )
        pool.retryConnectionEstablishment = false
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5)),
            connectionPool: pool,
            proxy: nil,
            decompression: .disabled
        )
        configuration.httpVersion = .automatic
        configuration.tracing.tracer = nil
        // An `HTTP/1.1 000` answer fails its request instead of trapping in AsyncHTTPClient (``FinalStatusGuard``).
        configuration.http1_1ConnectionDebugInitializer = FinalStatusGuard.install(on:)
        configuration.http2StreamChannelDebugInitializer = FinalStatusGuard.install(onStream:)
        return configuration
    }
}
