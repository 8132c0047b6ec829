import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import RewindSandbox
import RewindSignals
import RewindTestSupport
import ServiceLifecycle
import Testing

/// Every monitoring test, one at a time: the tests against the real servers share the fixed ports that
/// `scripts/monitoring/start` configured (Prometheus scrapes 19100, Alertmanager posts to 19101).
@Suite(.serialized)
struct MonitoringTests {}

/// Where `scripts/monitoring/start` put Prometheus and Alertmanager (its `export …` line).
///
/// When `REWIND_PROMETHEUS_URL` is unset the tests against the real servers are disabled, unless
/// `REWIND_REQUIRE_MONITORING=1` (as in `scripts/test`): then they run and fail, saying how to start them.
enum MonitoringEnvironment {
    static let howToStart = "start Prometheus with scripts/monitoring/start (scripts/test does)"

    private static var variables: [String: String] { ProcessInfo.processInfo.environment }

    private static func variable(_ name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    static var isRequired: Bool { variable("REWIND_REQUIRE_MONITORING") == "1" }
    static var prometheusIsConfigured: Bool { variable("REWIND_PROMETHEUS_URL") != nil }
    static var alertmanagerIsConfigured: Bool { variable("REWIND_ALERTMANAGER_URL") != nil }

    /// The port Prometheus scrapes; a ``SandboxMetricsServer`` must listen there.
    static var sandboxMetricsPort: Int { variable("REWIND_SANDBOX_METRICS_PORT").flatMap(Int.init) ?? 19100 }
    /// The port Alertmanager posts its webhook to.
    static var webhookPort: Int { variable("REWIND_WEBHOOK_PORT").flatMap(Int.init) ?? 19101 }
    /// The bearer token Alertmanager sends (the script's default unless it was given another).
    static var webhookToken: String { variable("REWIND_ALERTMANAGER_WEBHOOK_TOKEN") ?? "sandbox-alert-token" }

    static func prometheusURL() throws -> String {
        guard let url = variable("REWIND_PROMETHEUS_URL") else { throw IntegrationError(howToStart) }
        return url
    }

    static func alertmanagerURL() throws -> String {
        guard let url = variable("REWIND_ALERTMANAGER_URL") else { throw IntegrationError(howToStart) }
        return url
    }
}

/// The PromQL of the tests: the guide's performance triggers as a user would write them.
enum SandboxQueries {
    static func p95(_ service: String) -> String {
        "histogram_quantile(0.95, sum by (le) ("
            + #"rate(http_request_duration_seconds_bucket{service="\#(service)"}[30s])))"#
    }

    /// Requests per second. `rate` divides by the whole window, so a series younger than the window reads low
    /// until it fills it: a test that wants the full rate soon asks over a short window.
    static func requestRate(_ service: String, over window: String = "30s") -> String {
        #"sum(rate(http_requests_total{service="\#(service)"}[\#(window)]))"#
    }

    static func errorRatio(_ service: String) -> String {
        #"sum(rate(http_requests_total{service="\#(service)",code=~"5.."}[30s]))"#
            + " / " + requestRate(service)
    }
}

/// A quiet logger for the servers of these tests.
let monitoringTestLogger: Logger = {
    var logger = Logger(label: "rewind.tests.monitoring")
    logger.logLevel = .critical
    return logger
}()

/// A ``SandboxMetricsServer`` on the port Prometheus scrapes, and readers of that Prometheus.
struct ScrapedSandbox: Sendable {
    let server: SandboxMetricsServer
    let prometheus: PrometheusClient
    var reader: PrometheusSignalReader { PrometheusSignalReader(client: prometheus) }

    /// Reads `query` after each scrape of the sandbox until `accept` holds, at most `scrapes` times (one per
    /// second), and returns the accepted reading. Waiting on scrapes, not on time: every new try reads newer
    /// samples. When Prometheus stops scraping, the test's time limit ends the wait.
    func waitForReading(
        _ query: String,
        _ what: String,
        scrapes: Int = 50,
        until accept: (PrometheusReading) -> Bool
    ) async throws -> PrometheusReading {
        var last: PrometheusReading?
        for _ in 0..<scrapes {
            await server.nextScrape()
            let reading = await reader.read(query: query, at: nil)
            if accept(reading) { return reading }
            last = reading
        }
        throw IntegrationError(
            "after \(scrapes) scrapes, still waiting for \(what); last reading: \(String(describing: last))"
        )
    }
}

/// Runs a ``SandboxMetricsServer`` on `REWIND_SANDBOX_METRICS_PORT` (and `extra` services beside it) with a client
/// of `REWIND_PROMETHEUS_URL`, for the duration of `body`.
func withScrapedSandbox<T: Sendable>(
    alongside extra: [any Service] = [],
    _ body: @Sendable (ScrapedSandbox) async throws -> T
) async throws -> T {
    let prometheusURL = try MonitoringEnvironment.prometheusURL()
    let port = MonitoringEnvironment.sandboxMetricsPort
    let server = SandboxMetricsServer(port: port)
    return try await withLoopbackServices([server] + extra) { client in
        let endpoint = await server.endpoint()
        guard endpoint == "http://127.0.0.1:\(port)" else {
            throw IntegrationError(
                "the sandbox metrics server could not listen on 127.0.0.1:\(port) (is it taken?)"
            )
        }
        let prometheus = PrometheusClient(baseURL: prometheusURL, client: client, timeout: .seconds(5))
        guard await prometheus.ready() else {
            throw IntegrationError(
                "Prometheus at \(prometheusURL) is not ready; \(MonitoringEnvironment.howToStart)"
            )
        }
        return try await body(ScrapedSandbox(server: server, prometheus: prometheus))
    }
}

extension PrometheusReading {
    /// The value, when the reading is one.
    var number: Double? {
        if case .value(let value, _) = self { return value }
        return nil
    }

    var isNoData: Bool {
        if case .noData = self { return true }
        return false
    }
}

/// A test-local receiver of Alertmanager's webhook: records every `POST /hooks/alertmanager` on
/// 127.0.0.1:`port`. (Rewind's own endpoint lives in RewindServer; this one only tells what Alertmanager sent.)
struct AlertWebhookReceiver: Service {
    struct Delivery: Sendable {
        var authorization: String?
        var body: [UInt8]
        /// The body decoded as Alertmanager's webhook payload, when it is one.
        var payload: AlertmanagerWebhook.Payload? {
            try? JSONDecoder().decode(AlertmanagerWebhook.Payload.self, from: Data(body))
        }
    }

    let port: Int
    /// Every delivery, in arrival order; finishes when the receiver stops.
    let deliveries: AsyncStream<Delivery>
    private let continuation: AsyncStream<Delivery>.Continuation

    init(port: Int) {
        self.port = port
        (deliveries, continuation) = AsyncStream.makeStream(of: Delivery.self)
    }

    func run() async throws {
        defer { continuation.finish() }
        let router = Router()
        router.post("hooks/alertmanager") { [continuation] request, _ in
            let body = try await request.body.collect(upTo: 4 << 20)
            continuation.yield(
                Delivery(authorization: request.headers[.authorization], body: Array(body.readableBytesView))
            )
            return HTTPResponse.Status.ok
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "rewind-test-alert-webhook"),
            logger: monitoringTestLogger
        )
        try await runStoppingGracefully(app, logger: monitoringTestLogger)
    }

    /// The first delivery (from now on, in order) that `matches`; throws when the receiver stops first.
    func first(_ what: String, where matches: (Delivery) -> Bool) async throws -> Delivery {
        for await delivery in deliveries where matches(delivery) {
            return delivery
        }
        throw IntegrationError("the webhook receiver on 127.0.0.1:\(port) stopped (port taken?) before \(what)")
    }
}
