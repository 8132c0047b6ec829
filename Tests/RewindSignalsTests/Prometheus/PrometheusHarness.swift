import AsyncHTTPClient
import RewindCore
import RewindPorts
import RewindSignals
import RewindTestSupport
import Testing

/// The running Prometheus emulator, its base URL and an HTTP client for Rewind's Prometheus client.
struct PrometheusHarness: Sendable {
    let emulator: PrometheusEmulator
    let base: String
    let http: HTTPClient

    func client(
        timeout: Duration = .seconds(5),
        headers: [String: ConfigText] = [:],
        clock: any RewindClock = SystemClock()
    ) -> PrometheusClient {
        PrometheusClient(baseURL: base, client: http, headers: headers, timeout: timeout, clock: clock)
    }

    func reader() -> PrometheusSignalReader {
        PrometheusSignalReader(client: client())
    }
}

/// Runs the emulator for the duration of `body`, then shuts the client down and stops the server with a
/// graceful shutdown (never by cancelling it with a connection open).
func withPrometheus<T: Sendable>(_ body: @Sendable (PrometheusHarness) async throws -> T) async throws -> T {
    let emulator = PrometheusEmulator()
    let server = PrometheusEmulatorServer(emulator: emulator)
    // The client the composition root shares: a refused connection fails at once, without retries.
    return try await withLoopbackServices([server], client: HTTPHealthProber.makeHTTPClient()) { http in
        let base = await server.endpoint()
        try #require(base.hasPrefix("http://127.0.0.1:"))
        return try await body(PrometheusHarness(emulator: emulator, base: base, http: http))
    }
}

/// A timestamp from Unix milliseconds.
func promTime(_ milliseconds: Int64) -> Timestamp {
    Timestamp(millisecondsSinceEpoch: milliseconds)
}
