import AsyncHTTPClient
import Foundation
import Logging
import RewindCore
import RewindSandbox
import RewindSignals
import RewindTestSupport
import ServiceLifecycle

/// The servers behind the Prometheus rounds: the loopback `PrometheusEmulatorServer` with a canned
/// answer per service, or a real Prometheus (optionally fed by a `SandboxMetricsServer` it scrapes).
/// Servers run in a `ServiceGroup` and stop with a graceful shutdown, after the HTTP client.
enum PrometheusRig {
    /// How many services (one P95 signal each) a round reads: 100, or `REWIND_BENCH_SERVICES`.
    static let services = ProcessInfo.processInfo.environment["REWIND_BENCH_SERVICES"].flatMap(Int.init) ?? 100

    enum Failure: Error, CustomStringConvertible {
        case notListening(String)
        case noData(String)

        var description: String {
            switch self {
            case .notListening(let what): "\(what) did not start listening on 127.0.0.1"
            case .noData(let detail): detail
            }
        }
    }

    // MARK: - Emulator

    /// Rounds against the emulator, which answers each service's P95 query with one sample.
    static func emulatorRounds(rounds: Int, warmup: Int) async throws -> PrometheusRounds.Figures {
        let emulator = PrometheusEmulator()
        let queries = PrometheusRounds.serviceNames(services).map(PrometheusRounds.p95Query)
        for (n, query) in queries.enumerated() {
            emulator.setInstant(query, [.init([:], 0.2 + Double(n) / 1000)])
        }
        let server = PrometheusEmulatorServer(emulator: emulator)
        return try await serving(server, endpoint: server.endpoint) { base in
            try await withClient(base: base) { reader in
                await PrometheusRounds(reader: reader, queries: queries).measure(rounds: rounds, warmup: warmup)
            }
        }
    }

    // MARK: - Real Prometheus

    /// Rounds against the Prometheus at `url`. With `metricsPort` (the port that Prometheus scrapes,
    /// `REWIND_SANDBOX_METRICS_PORT` after `scripts/monitoring/start`), a `SandboxMetricsServer` there
    /// streams healthy traffic for the services for `fill` first, so that every query has data.
    static func prometheusRounds(
        url: String, metricsPort: Int?, fill: Duration, rounds: Int, warmup: Int,
        log: @escaping @Sendable (String) -> Void
    ) async throws -> PrometheusRounds.Figures {
        let names = PrometheusRounds.serviceNames(services)
        let queries = names.map(PrometheusRounds.p95Query)
        let measure: @Sendable (PrometheusSignalReader) async -> PrometheusRounds.Figures = { reader in
            await PrometheusRounds(reader: reader, queries: queries).measure(rounds: rounds, warmup: warmup)
        }
        guard let metricsPort else {
            log("No REWIND_SANDBOX_METRICS_PORT: querying \(Redactor.safeURL(url)) for what it already has")
            return try await withClient(base: url, measure)
        }
        let server = SandboxMetricsServer(port: metricsPort)
        for name in names { server.traffic.set(.healthy(name, requestsPerSecond: 10)) }
        return try await serving(server, endpoint: server.endpoint) { _ in
            try await withClient(base: url) { reader in
                let start = ContinuousClock.now
                log("Feeding \(names.count) services' metrics on port \(metricsPort) for \(fill)")
                guard await waitForData(reader, query: queries[queries.count - 1], within: .seconds(60)) else {
                    return PrometheusRounds.Figures(
                        firstError: "no data after 60 s: does Prometheus scrape port "
                            + "\(metricsPort)?")
                }
                let remaining = fill - (ContinuousClock.now - start)
                if remaining > .zero { try? await Task.sleep(for: remaining) }
                // The traffic generator and Prometheus' scrapes cost CPU in this process too: 2 s
                // without queries say how much, to subtract from the rounds' process CPU.
                let idleStart = ProcessCPU.now
                try? await Task.sleep(for: .seconds(2))
                let idle = (ProcessCPU.now - idleStart) / 2
                log(String(format: "Background CPU without queries: %.2f ms per second", idle.doubleMilliseconds))
                return await measure(reader)
            }
        }
    }

    /// Polls `query` once a second until it has a value, at most `within`.
    private static func waitForData(_ reader: PrometheusSignalReader, query: String, within: Duration) async -> Bool {
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            if case .value = await reader.read(query: query, at: nil) { return true }
            try? await Task.sleep(for: .seconds(1))
        }
        return false
    }

    // MARK: - Plumbing

    /// Runs `server` in a service group while `body` uses its endpoint, then shuts it down gracefully.
    private static func serving<Result: Sendable>(
        _ server: some Service, endpoint: @escaping @Sendable () async -> String,
        _ body: @escaping @Sendable (String) async throws -> Result
    ) async throws -> Result {
        let group = ServiceGroup(configuration: .init(services: [server], logger: quietLogger))
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { tasks in
            tasks.addTask { try await group.run() }
            let outcome: Swift.Result<Result, any Error>
            let base = await endpoint()
            if base.isEmpty {
                outcome = .failure(Failure.notListening(String(describing: type(of: server))))
            } else {
                do { outcome = .success(try await body(base)) } catch { outcome = .failure(error) }
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try outcome.get()
        }
    }

    /// A reader over the daemon's HTTP client (`HTTPHealthProber.makeHTTPClient()`), shut down after `body`.
    private static func withClient<Result: Sendable>(
        base: String, _ body: @escaping @Sendable (PrometheusSignalReader) async throws -> Result
    ) async throws -> Result {
        let http = HTTPHealthProber.makeHTTPClient()
        let reader = PrometheusSignalReader(client: PrometheusClient(baseURL: base, client: http))
        let outcome: Swift.Result<Result, any Error>
        do { outcome = .success(try await body(reader)) } catch { outcome = .failure(error) }
        try await http.shutdown()
        return try outcome.get()
    }

    private static var quietLogger: Logger {
        Logger(label: "rewind.bench", factory: { _ in SwiftLogNoOpLogHandler() })
    }
}
