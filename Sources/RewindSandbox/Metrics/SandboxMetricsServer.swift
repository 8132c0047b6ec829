import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The sandbox services' metrics endpoint for a real Prometheus, on 127.0.0.1: a free port by default, or the fixed
/// port a Prometheus configuration scrapes (`scripts/monitoring/start` scrapes 19100).
///
/// | route | does |
/// |---|---|
/// | `GET /metrics` | every series of ``metrics`` in the Prometheus text format |
/// | `POST /traffic` | records requests now (a) |
/// | `PUT /traffic/{service}` | streams a ``TrafficProfile`` from now on (b) |
/// | `DELETE /traffic/{service}` | stops that stream |
/// | `PUT /infrastructure/{service}` | sets gauges: `{"cpu_ratio": 0.95, "memory_ratio": 0.5}` |
///
/// (a) `{"service": "frontend", "latency_seconds": 0.1, "status": 200, "count": 1}`; status and count optional.
/// (b) `{"requests_per_second": 20, "latency": "fast", "error_ratio": 0.1, "error_status": 500}`, every key
/// optional; `latency` is `fast` or `slow`, or give `latency_seconds` (and `latency_deviation_seconds`) instead.
///
/// The streams of ``traffic`` run while the server runs. Run it in a `ServiceGroup` and stop it with a graceful
/// shutdown: Prometheus keeps a connection open to scrape, and cancelling a server while a connection is open can
/// crash NIO (apple/swift-nio#2813).
///
/// ```swift
/// let server = SandboxMetricsServer(port: 19100)
/// let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
/// async let running: Void = group.run()
/// let base = await server.endpoint()            // http://127.0.0.1:19100
/// server.traffic.set(.slow("frontend"))
/// …
/// await group.triggerGracefulShutdown()
/// ```
public struct SandboxMetricsServer: Service {
    public let metrics: SandboxMetrics
    /// The synthetic traffic streamed into ``metrics`` while the server runs.
    public let traffic: SandboxTraffic
    private let port: Int
    private let readiness = ServerReadiness()
    private let scrapes = ScrapeLog()
    private let logger: Logger

    /// - Parameter port: the port to listen on, 0 for one the OS picks.
    public init(metrics: SandboxMetrics = SandboxMetrics(), port: Int = 0, logger: Logger? = nil) {
        self.metrics = metrics
        self.traffic = SandboxTraffic(metrics: metrics)
        self.port = port
        self.logger = logger ?? Self.quietLogger
    }

    /// Serves and streams traffic until a graceful shutdown (or cancellation). Throws when the port is taken.
    public func run() async throws {
        defer { readiness.stopped() }
        let app = Application(
            router: MetricsRoutes(metrics: metrics, traffic: traffic, scrapes: scrapes).router(),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "rewind-sandbox-metrics"),
            onServerRunning: { [readiness] channel in
                if let port = channel.localAddress?.port { readiness.listening(port: port) }
            },
            logger: logger
        )
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await runStoppingGracefully(app, logger: logger) }
            group.addTask { try await traffic.run() }
        }
    }

    /// The base URL (`http://127.0.0.1:<port>`) once the server listens; empty when it stopped first (the port was
    /// taken) or the calling task is cancelled.
    public func endpoint() async -> String {
        await readiness.baseURL()
    }

    /// How many times `GET /metrics` was answered.
    public var scrapeCount: Int { scrapes.count }

    /// Returns once `GET /metrics` is answered after this call (Prometheus scrapes on its interval), with the new
    /// ``scrapeCount``; returns at once, with the count so far, when the calling task is cancelled. A test that
    /// polls Prometheus waits on this between queries: each wait means Prometheus has read newer values.
    @discardableResult
    public func nextScrape() async -> Int {
        await scrapes.next()
    }

    private static var quietLogger: Logger {
        var logger = Logger(label: "rewind.sandbox.metrics")
        logger.logLevel = .critical
        return logger
    }
}

/// The routes of ``SandboxMetricsServer``.
struct MetricsRoutes: Sendable {
    static let maxBodyBytes = 64 * 1024
    static let maxCount = 100_000

    let metrics: SandboxMetrics
    let traffic: SandboxTraffic
    let scrapes: ScrapeLog

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("metrics") { _, _ in exposition() }
        router.post("traffic") { request, _ in
            let body: RecordedRequests = try await Self.decode(request)
            return recordRequests(body)
        }
        router.put("traffic/:service") { request, context in
            let body: StreamSettings = try await Self.decode(request)
            return streamTraffic(body, service: try context.parameters.require("service"))
        }
        router.delete("traffic/:service") { _, context in
            let service = try context.parameters.require("service")
            traffic.stop(service: service)
            return JSONResponse.make(["stopped": service])
        }
        router.put("infrastructure/:service") { request, context in
            let body: InfrastructureSettings = try await Self.decode(request)
            return setInfrastructure(body, service: try context.parameters.require("service"))
        }
        return router
    }

    private func exposition() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        let body = ByteBuffer(bytes: metrics.exposition())
        scrapes.scraped()
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    private func recordRequests(_ body: RecordedRequests) -> Response {
        let count = body.count ?? 1
        let status = body.status ?? 200
        guard Self.isServiceName(body.service) else { return Self.badServiceName }
        guard (0...Self.maxCount).contains(count) else {
            return JSONResponse.error("count must be 0…\(Self.maxCount)", status: 400)
        }
        guard (100...599).contains(status) else {
            return JSONResponse.error("status must be an HTTP status code", status: 400)
        }
        guard body.latencySeconds >= 0, body.latencySeconds.isFinite else {
            return JSONResponse.error("latency_seconds must be a number ≥ 0", status: 400)
        }
        for _ in 0..<count {
            traffic.record(service: body.service, latencySeconds: body.latencySeconds, status: status)
        }
        return JSONResponse.make(["recorded": count])
    }

    private func streamTraffic(_ body: StreamSettings, service: String) -> Response {
        guard Self.isServiceName(service) else { return Self.badServiceName }
        let latency: LatencyDistribution
        switch (body.latency, body.latencySeconds) {
        case ("fast", nil), (nil, nil): latency = .fast
        case ("slow", nil): latency = .slow
        case (nil, let mean?) where mean >= 0 && mean.isFinite:
            latency = .gaussian(meanSeconds: mean, deviationSeconds: max(0, body.latencyDeviationSeconds ?? 0))
        default:
            return JSONResponse.error("give latency (fast or slow) or latency_seconds ≥ 0, not both", status: 400)
        }
        let rate = body.requestsPerSecond ?? 20
        let errorRatio = body.errorRatio ?? 0
        guard (0...10_000).contains(rate) else {
            return JSONResponse.error("requests_per_second must be 0…10000", status: 400)
        }
        guard (0...1).contains(errorRatio) else { return JSONResponse.error("error_ratio must be 0…1", status: 400) }
        let errorStatus = body.errorStatus ?? 500
        guard (100...599).contains(errorStatus) else {
            return JSONResponse.error("error_status must be an HTTP status code", status: 400)
        }
        traffic.set(
            TrafficProfile(
                service: service,
                requestsPerSecond: rate,
                latency: latency,
                errorRatio: errorRatio,
                errorStatus: errorStatus
            )
        )
        return JSONResponse.make(["streaming": service])
    }

    private func setInfrastructure(_ body: InfrastructureSettings, service: String) -> Response {
        guard Self.isServiceName(service) else { return Self.badServiceName }
        for ratio in [body.cpuRatio, body.memoryRatio].compactMap({ $0 }) where !(0...1).contains(ratio) {
            return JSONResponse.error("cpu_ratio and memory_ratio must be 0…1", status: 400)
        }
        if let cpu = body.cpuRatio { metrics.setCPURatio(cpu, service: service) }
        if let memory = body.memoryRatio { metrics.setMemoryRatio(memory, service: service) }
        return JSONResponse.make(["updated": service])
    }

    /// Service names become label values: short and plain, so a sandbox cannot be made to grow without bound.
    static func isServiceName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy(serviceNameBytes.contains)
    }

    private static let serviceNameBytes = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.".utf8)

    private static let badServiceName = JSONResponse.error(
        "service must be 1–64 letters, digits, '-', '_' or '.'",
        status: 400
    )

    private static func decode<Body: Decodable>(_ request: Request) async throws -> Body {
        var request = request
        let buffer = try await request.collectBody(upTo: maxBodyBytes)
        do {
            return try JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView))
        } catch {
            throw HTTPError(.badRequest, message: "the body is not the JSON this route takes")
        }
    }
}

/// `POST /traffic`.
private struct RecordedRequests: Decodable {
    var service: String
    var latencySeconds: Double
    var status: Int?
    var count: Int?

    enum CodingKeys: String, CodingKey {
        case service, status, count
        case latencySeconds = "latency_seconds"
    }
}

/// `PUT /traffic/{service}`.
private struct StreamSettings: Decodable {
    var requestsPerSecond: Double?
    var latency: String?
    var latencySeconds: Double?
    var latencyDeviationSeconds: Double?
    var errorRatio: Double?
    var errorStatus: Int?

    enum CodingKeys: String, CodingKey {
        case latency
        case requestsPerSecond = "requests_per_second"
        case latencySeconds = "latency_seconds"
        case latencyDeviationSeconds = "latency_deviation_seconds"
        case errorRatio = "error_ratio"
        case errorStatus = "error_status"
    }
}

/// `PUT /infrastructure/{service}`.
private struct InfrastructureSettings: Decodable {
    var cpuRatio: Double?
    var memoryRatio: Double?

    enum CodingKeys: String, CodingKey {
        case cpuRatio = "cpu_ratio"
        case memoryRatio = "memory_ratio"
    }
}

/// Counts scrapes, and wakes whoever waits for the next one.
final class ScrapeLog: Sendable {
    private struct State {
        var count = 0
        var waiters: [UInt64: CheckedContinuation<Int, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.count } }

    func scraped() {
        let (count, waiters) = state.withLock { state in
            state.count += 1
            defer { state.waiters.removeAll() }
            return (state.count, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.resume(returning: count) }
    }

    func next() async -> Int {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
                let cancelled = state.withLock { state -> Int? in
                    if Task.isCancelled { return state.count }
                    state.waiters[id] = continuation
                    return nil
                }
                if let cancelled { continuation.resume(returning: cancelled) }
            }
        } onCancel: {
            let (waiter, count) = state.withLock { ($0.waiters.removeValue(forKey: id), $0.count) }
            waiter?.resume(returning: count)
        }
    }
}
