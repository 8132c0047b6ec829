import AsyncHTTPClient
import Logging
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSignals
import ServiceLifecycle
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
    var logger = Logger(label: "rewind.tests.prometheus")
    logger.logLevel = .critical
    let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let base = await server.endpoint()
        // The client the composition root shares: a refused connection fails at once, without retries.
        let http = HTTPHealthProber.makeHTTPClient()
        let result: Result<T, any Error>
        do {
            try #require(base.hasPrefix("http://127.0.0.1:"))
            result = .success(try await body(PrometheusHarness(emulator: emulator, base: base, http: http)))
        } catch {
            result = .failure(error)
        }
        try await http.shutdown()
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try result.get()
    }
}

/// The `PrometheusError` `body` throws; fails the test when it throws something else or nothing.
func prometheusError(_ body: () async throws -> Void) async -> PrometheusError? {
    do {
        try await body()
        Issue.record("expected a PrometheusError, nothing was thrown")
        return nil
    } catch let error as PrometheusError {
        return error
    } catch {
        Issue.record("expected a PrometheusError, got \(error)")
        return nil
    }
}

/// A timestamp from Unix milliseconds.
func promTime(_ milliseconds: Int64) -> Timestamp {
    Timestamp(millisecondsSinceEpoch: milliseconds)
}
