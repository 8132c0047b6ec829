import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import RewindCore
import RewindPorts
import RewindTestSupport
import Synchronization
import Testing

@testable import RewindEngine
@testable import RewindServer

/// The dashboard's server side: its routes and their scopes, what its HTML escapes, the recent
/// values behind its charts, and the live stream (framing, heartbeats, the cap, a client that leaves,
/// a server that shuts down). A real server on loopback around an engine that is not running; the
/// browser side is `scripts/dashboard-browser-test` (headless Chromium against a real daemon).
@Suite("Dashboard: routes, escaping, charts, live stream", .serialized)
struct DashboardTests {
    static let reader = "dash-read-0001"
    static let pusher = "dash-events-0003"
    static let hostile = #"<script>alert('x')</script>"><img src=x onerror=alert(1)>"#

    // MARK: Rendering

    @Test func theOverviewEscapesHostileNamesAndText() throws {
        let service = ServiceName(Self.hostile)
        let now = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)
        let live = Deployment(service: service, id: "v2<b>", version: "v2<b>", deployedAt: now - .seconds(60))
        let incident = Incident(
            id: 7, openedAt: now, services: [service], trigger: .healthCritical, severity: .critical,
            strategy: .immediate, status: .open, summary: "summary \(Self.hostile)",
            plan: Plan(
                strategy: .immediate,
                steps: [
                    PlanStep(
                        id: "rollback-x", service: service, from: live,
                        to: Deployment(service: service, id: "v1", version: "v1", deployedAt: now - .seconds(3600)),
                        timeout: .seconds(1), dependsOn: [])
                ], freeze: nil),
            reason: "reason \(Self.hostile)")
        let report = StatusReport(
            mode: .enforce, daemon: true,
            services: [
                .init(
                    service: service, live: live, knownGood: nil,
                    checks: [
                        CheckStatus(
                            service: service, check: "health \(Self.hostile)", severity: .critical,
                            lastResult: "HTTP 500 \(Self.hostile)", lastAt: now, consecutiveFailures: 2, firing: false)
                    ])
            ],
            openIncidents: [incident],
            freeze: Freeze(until: now + .seconds(3600), reason: "freeze \(Self.hostile)", setAt: now, setBy: "token x"),
            automationPauses: [
                AutomationPause(service: nil, reason: "pause \(Self.hostile)", setAt: now, setBy: "token x")
            ],
            channels: [], generatedAt: now)
        let html = DashboardTemplates.render(
            OverviewView(
                report: report, policy: Policy(), recentValues: [],
                steps: [7: [StepRecord(incidentID: 7, stepID: "rollback-x", state: .intent, at: now)]],
                recent: [incident]
            ))
        #expect(!html.contains("<script"), "\(html)")
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>"))
        #expect(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;")
        )
        #expect(html.contains(#"data-service="&lt;script&gt;"#), "an attribute value cannot be closed by a name")
        #expect(html.contains("freeze &lt;script&gt;"))
        #expect(html.contains(#"<span class="badge warn">running</span>"#), "the step's journal state is shown")
        #expect(html.contains("fires at 3 consecutive within 2m"), "a check's threshold is the policy's rule")
        #expect(html.contains(#"data-frozen="true""#))
        #expect(html.contains(#"data-paused="true""#))
        #expect(html.contains("pause &lt;script&gt;"))
        #expect(html.contains(#"<button type="button" data-action="resume">Resume automation</button>"#))
    }

    @Test func chartsAreDrawnFromTheLastHourOnly() {
        let now = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)
        let chart = ChartView(
            [
                RecentPoint(at: now - .seconds(7200), value: 999, ok: true),
                RecentPoint(at: now - .seconds(3600), value: 10, ok: true),
                RecentPoint(at: now - .seconds(1800), value: 30, ok: false),
                RecentPoint(at: now, value: 20, ok: true),
            ], now: now)
        #expect(chart.points == "0.0,34.0 120.0,2.0 240.0,18.0", "older than an hour is left out; low at the bottom")
        #expect(chart.dots == [.init(x: "120.0", y: "2.0")], "an unhealthy point is marked")
        #expect(chart.last == .init(x: "240.0", y: "18.0"), "the newest value is marked")
        #expect(chart.range == "10 – 30")
        #expect(ChartView([], now: now).empty)
    }

    @Test func recentValuesKeepOnePointPer15SecondsForAnHour() {
        var ring = RecentValues()
        // On a 15 s boundary: the last interval holds seconds 7185 to 7199.
        let start = Timestamp(millisecondsSinceEpoch: 15_000 * 119_333_334)
        for second in 0..<7200 {
            ring.add(at: start + .seconds(Int64(second)), value: Double(second), ok: second != 7190)
        }
        #expect(ring.points.count <= 241)
        #expect(ring.points.first!.at >= start + .seconds(7199 - 3600))
        #expect(ring.points.last!.value == 7199, "a point holds the latest value of its interval")
        #expect(ring.points.last!.ok == false, "and is unhealthy when any reading in it was")
        let earlierHealthy = ring.points.dropLast().allSatisfy { $0.ok }
        #expect(earlierHealthy)
        ring.add(at: start, value: 1, ok: true)
        #expect(ring.points.last!.value == 7199, "a reading older than the newest point is ignored")
    }

    // MARK: Over HTTP

    @Test func routesNeedTheirScopesAndThePagesHoldNoData() async throws {
        try await withDashboardServer { server, api, store, _ in
            let incident = try await store.createIncident(
                Incident(
                    id: 0, openedAt: Timestamp(millisecondsSinceEpoch: 1_790_000_000_000),
                    services: [ServiceName("backend")], trigger: .manual, severity: .high, strategy: .immediate,
                    status: .failed, summary: "summary \(Self.hostile)", reason: "because \(Self.hostile)"))
            try await store.append(
                TimelineEvent(
                    incidentID: incident.id, at: incident.openedAt, kind: .detected, message: "said \(Self.hostile)"))

            for path in ["/", "/dashboard.js", "/dashboard.css"] {
                let page = try await api.get(path)
                #expect(page.status == 200, "\(path)")
                #expect(page.headers["content-security-policy"].first == APIServer.contentSecurityPolicy)
                #expect(page.headers["x-content-type-options"].first == "nosniff")
                #expect(!page.body.contains("backend"), "\(path) holds no data")
            }
            let shell = try await api.get("/")
            #expect(shell.body.contains(#"<script src="/dashboard.js" defer></script>"#))
            #expect(!shell.body.contains("<script>"), "no inline script")
            #expect(APIServer.contentSecurityPolicy.contains("frame-ancestors 'none'"))
            #expect(!APIServer.contentSecurityPolicy.contains("unsafe-inline"))

            // Data needs `read`.
            for path in [
                "/dashboard/overview", "/dashboard/incidents/\(incident.id)", "/api/v1/series", "/api/v1/stream",
            ] {
                #expect(try await api.get(path).status == 401, "\(path)")
                #expect(try await api.get(path, token: Self.pusher).status == 403, "\(path)")
            }
            let overview = try await api.get("/dashboard/overview", token: Self.reader)
            #expect(overview.status == 200)
            #expect(overview.headers["content-type"].first == "text/html; charset=utf-8")
            #expect(overview.body.contains(#"data-service="backend""#))
            #expect(!overview.body.contains("<script"))
            let detail = try await api.get("/dashboard/incidents/\(incident.id)", token: Self.reader)
            #expect(detail.status == 200)
            #expect(detail.body.contains("said &lt;script&gt;alert(&#39;x&#39;)"), "\(detail.body)")
            #expect(detail.body.contains("because &lt;script&gt;"))
            #expect(!detail.body.contains("<script") && !detail.body.contains("<img"))
            #expect(try await api.get("/dashboard/incidents/999", token: Self.reader).status == 404)
            let series = try await api.get("/api/v1/series?service=backend", token: Self.reader)
            #expect(series.status == 200 && series.body == #"{"series":[]}"#, "\(series.body)")

            // The actions the page sends need `operate`: a read token is refused before the engine is asked.
            let actions: [(HTTPMethod, String, String?)] = [
                (.POST, "/api/v1/freeze", #"{"duration":"1h","reason":"r"}"#), (.DELETE, "/api/v1/freeze", nil),
                (.POST, "/api/v1/rollbacks", #"{"service":"backend","to":"be-v1","reason":"r"}"#),
                (.POST, "/api/v1/incidents/\(incident.id)/ack", #"{"by":"dana"}"#),
            ]
            for (method, path, body) in actions {
                let refused = try await api.send(method, path, json: body, token: Self.reader)
                #expect(refused.status == 403, "\(method) \(path)")
                #expect(refused.body.contains("token reader lacks the 'operate' scope"))
                #expect(try await api.send(method, path, json: body, token: nil).status == 401)
            }
            #expect(server.streams.count == 0)
        }
    }

    /// The time limit turns a stream that outlives the server's graceful shutdown into a failure, not a hang.
    @Test(.timeLimit(.minutes(1)))
    func theLiveStreamFramesEventsBeatsAndEndsWhenTheClientLeaves() async throws {
        let clock = ManualClock()
        try await withDashboardServer(clock: clock, maxStreams: 2) { server, api, _, engine in
            let first = try await LiveStream.open(api, token: Self.reader)
            #expect(first.status == 200)
            #expect(first.contentType == "text/event-stream; charset=utf-8")
            try await first.read(until: ": rewind live stream\n\n")
            #expect(first.text.hasPrefix("retry: 3000\n"))

            // An engine event: one `engine` event, one line of JSON without free text.
            try await eventually("the stream subscribed to the engine", within: 10) { engine.eventSubscribers == 1 }
            let step = PlanStep(
                id: "rollback-backend", service: ServiceName("backend"),
                from: Deployment(service: ServiceName("backend"), id: "v2", version: "v2", deployedAt: clock.now),
                to: Deployment(service: ServiceName("backend"), id: "v1", version: "v1", deployedAt: clock.now),
                timeout: .seconds(1), dependsOn: [])
            engine.deps.observer(.stepStarted(incidentID: 4, step))
            try await first.read(
                until:
                    #"event: engine\#ndata: {"incident":4,"kind":"step_started","service":"backend","step":"rollback-backend"}\#n\#n"#
            )

            // A heartbeat on the injected clock.
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(15))
            try await first.read(until: ": heartbeat\n\n")

            // The cap: a third stream is refused while two are open.
            let second = try await LiveStream.open(api, token: Self.reader)
            #expect(second.status == 200)
            let third = try await api.get("/api/v1/stream", token: Self.reader)
            #expect(third.status == 503)
            #expect(third.headers["retry-after"].first == "15")
            #expect(third.body.contains("2 live streams are open"))

            // The client leaves: the next heartbeat finds the connection closed, and its place is free again.
            first.close()
            try await eventually("the stream that lost its client ends", within: 20) {
                clock.advance(by: .seconds(15))
                return server.streams.count == 1
            }
            try await eventually("its engine subscription ends", within: 10) { engine.eventSubscribers == 1 }
            let again = try await LiveStream.open(api, token: Self.reader)
            #expect(again.status == 200)
            // `second` and `again` stay open: the server's graceful shutdown must end them (or this test hangs).
        }
    }

    // MARK: Harness

    /// A server on loopback with two tokens (read, events) around an engine that is not
    /// running: the routes read its store and status board, and its events can be played by hand.
    func withDashboardServer(
        clock: ManualClock = ManualClock(), maxStreams: Int = 16,
        _ body: @Sendable (APIServer, DashboardAPI, MemoryStore, RewindEngine) async throws -> Void
    ) async throws {
        let store = MemoryStore()
        let policy = Policy(
            services: [
                ServicePolicy(
                    name: ServiceName("backend"),
                    checks: [HealthCheckPolicy(name: "health", url: "http://127.0.0.1:9/health")])
            ])
        let engine = RewindEngine(
            EngineDependencies(policy: policy, store: store, clock: clock, prober: UnusedProber(), providers: [:]))
        let tokens = [
            APIToken(name: "reader", token: ConfigText(Self.reader, isSecret: true), scopes: [.read]),
            APIToken(name: "pusher", token: ConfigText(Self.pusher, isSecret: true), scopes: [.events]),
        ]
        var logger = Logger(label: "rewind.tests.dashboard")
        logger.logLevel = .critical
        let server = APIServer(
            engine: engine, store: store, access: APIAccess(tokens: tokens, listenHost: "127.0.0.1"),
            limits: .init(maxStreams: maxStreams), registry: PrometheusCollectorRegistry(), clock: clock,
            logger: logger)
        let port = Mutex<Int?>(nil)
        let app = server.makeApplication(host: "127.0.0.1", port: 0) { bound in port.withLock { $0 = bound } }
        try await withLoopbackServices([app]) { client in
            try await eventually("the server listens", within: 10) { port.withLock { $0 } != nil }
            let api = DashboardAPI(client: client, base: "http://127.0.0.1:\(port.withLock { $0 }!)")
            try await body(server, api, store, engine)
        }
    }
}

struct UnusedProber: HealthProber {
    func check(_ check: HealthCheckPolicy) async -> ProbeResult {
        ProbeResult(result: .failure(.connection("not probed in these tests")), latencyMs: 0)
    }
}

/// Requests to the dashboard's server, with their headers.
struct DashboardAPI: Sendable {
    let client: HTTPClient
    let base: String

    func get(_ path: String, token: String? = nil) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        try await send(.GET, path, json: nil, token: token)
    }

    func send(
        _ method: HTTPMethod, _ path: String, json: String?, token: String?
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1024 * 1024)
        return (Int(response.status.code), response.headers, String(buffer: body))
    }
}

/// A client of `/api/v1/stream` that reads in a task of its own, so that the test can wait for text
/// and then hang up.
final class LiveStream: Sendable {
    let status: Int
    let contentType: String?
    private let received: Received
    private let reader: Task<Void, Never>

    final class Received: Sendable {
        let text = Mutex("")
    }

    init(status: Int, contentType: String?, body: HTTPClientResponse.Body) {
        self.status = status
        self.contentType = contentType
        let received = Received()
        self.received = received
        self.reader = Task {
            do {
                for try await chunk in body { received.text.withLock { $0 += String(buffer: chunk) } }
            } catch {
                // Cancelled by close(), or the server ended the stream.
            }
        }
    }

    static func open(_ api: DashboardAPI, token: String) async throws -> LiveStream {
        var request = HTTPClientRequest(url: api.base + "/api/v1/stream")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await api.client.execute(request, timeout: .seconds(60))
        return LiveStream(
            status: Int(response.status.code), contentType: response.headers["content-type"].first, body: response.body)
    }

    var text: String { received.text.withLock { $0 } }

    func read(until expected: String) async throws {
        try await eventually("the stream says \(expected.debugDescription)", within: 10) { text.contains(expected) }
    }

    func close() {
        reader.cancel()
    }
}
