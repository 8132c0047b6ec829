import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Prometheus
import RewindCore
import RewindEngine
import RewindPorts
import RewindSignals
import Testing

@testable import RewindServer

/// The API's contract (`/openapi.json`) against the router, and its one error shape (RFC 9457).
@Suite("API contract: the OpenAPI document and problem details")
struct APIContractTests {
    /// An API server over an engine that is never started: enough to route, refuse and sample state.
    static func server(tokens: [APIToken] = [], store: MemoryStore = MemoryStore()) -> APIServer {
        let client = HTTPClient.shared
        let registry = PrometheusCollectorRegistry()
        let policy = Policy(services: [ServicePolicy(name: "backend")])
        var dependencies = EngineDependencies(
            policy: policy, store: store, clock: SystemClock(), prober: HTTPHealthProber(client: client),
            providers: [:], watch: false)
        dependencies.rewindMetrics = RewindMetrics(factory: PrometheusMetricsFactory(registry: registry))
        return APIServer(
            engine: RewindEngine(dependencies), store: store,
            access: APIAccess(tokens: tokens, listenHost: "127.0.0.1"), registry: registry, clock: SystemClock())
    }

    struct Document: Decodable {
        var openapi: String
        var paths: [String: [String: Operation]]
        struct Operation: Decodable {
            var operationId: String
            var security: [[String: [String]]]
        }
    }

    static func document() throws -> Document {
        try JSONDecoder().decode(Document.self, from: Data(APIServer.openAPIDocument))
    }

    @Test("the document names every route the router has and nothing else, each with its method")
    func documentMatchesTheRouter() throws {
        let routes = RouteIndex()
        routes.load(from: Self.server().router())
        let routed = Set(
            routes.all.map { route in
                let path = route.segments.map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : $0 }
                return "\(route.method.rawValue) /\(path.joined(separator: "/"))"
            })
        let document = try Self.document()
        #expect(document.openapi.hasPrefix("3.1"))
        let documented = Set(
            document.paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
        #expect(routed.subtracting(documented).isEmpty, "routes missing from openapi.json")
        #expect(documented.subtracting(routed).isEmpty, "openapi.json names routes the router does not have")
    }

    @Test("docs/openapi.json is the document the daemon serves")
    func publishedCopyIsCurrent() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let published = try Data(contentsOf: repository.appendingPathComponent("docs/openapi.json"))
        #expect(Array(published) == APIServer.openAPIDocument)
    }

    @Test("every refusal is problem details: the router's 404 and 405, a 401, a 400 naming the field, a 413")
    func refusalsAreProblems() async throws {
        let tokens = [
            APIToken(name: "oncall", token: ConfigText("oncall-secret", isSecret: true), scopes: [.read, .operate])
        ]
        let app = Application(router: Self.server(tokens: tokens).router())
        try await app.test(.router) { client in
            func problem(_ response: TestResponse) throws -> ProblemDetails {
                #expect(response.headers[.contentType] == "application/problem+json")
                return try JSONDecoder().decode(ProblemDetails.self, from: Data(response.body.readableBytesView))
            }
            let bearer: HTTPFields = [.authorization: "Bearer oncall-secret"]
            let json: HTTPFields = [.authorization: "Bearer oncall-secret", .contentType: "application/json"]

            let missing = try await client.execute(uri: "/api/v1/nothing-here", method: .get, headers: bearer)
            #expect(missing.status == .notFound)
            #expect(try problem(missing).detail.contains("/openapi.json"))

            let wrongMethod = try await client.execute(uri: "/api/v1/freeze", method: .put, headers: bearer)
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "DELETE, GET, POST")
            #expect(
                try problem(wrongMethod)
                    == ProblemDetails(.methodNotAllowed, detail: "PUT is not allowed here; use DELETE, GET, POST"))

            let anonymous = try await client.execute(uri: "/api/v1/status", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(try problem(anonymous).status == 401)

            let malformed = try await client.execute(
                uri: "/api/v1/freeze", method: .post, headers: json, body: ByteBuffer(string: #"{"reason":"x"}"#))
            #expect(malformed.status == .badRequest)
            #expect(try problem(malformed).detail.contains("missing field 'duration'"))

            let notANumber = try await client.execute(uri: "/api/v1/incidents/seven", method: .get, headers: bearer)
            #expect(notANumber.status == .badRequest)
            #expect(try problem(notANumber).status == 400)

            let large = try await client.execute(
                uri: "/api/v1/freeze", method: .post, headers: json,
                body: ByteBuffer(
                    string: #"{"duration":"1h","reason":""# + String(repeating: "x", count: 70_000) + #""}"#))
            #expect(large.status == .contentTooLarge)
            #expect(try problem(large).title == "Content Too Large")

            let document = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(document.status == .ok && Array(buffer: document.body) == APIServer.openAPIDocument)
        }
    }

    @Test("/metrics samples the state when scraped: open incidents, freeze, pauses, the outbox, the build")
    func stateGauges() async throws {
        let store = MemoryStore()
        let now = SystemClock().now
        try await store.commit(
            StateChange(
                freeze: .set(Freeze(until: now + .seconds(3600), reason: "release review", setAt: now)),
                automation: [.pause(AutomationPause(service: "backend", reason: "maintenance", setAt: now))]))
        let app = Application(router: Self.server(store: store).router())
        try await app.test(.router) { client in
            let first = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(first.contains("rewind_open_incidents 0"))
            #expect(first.contains("rewind_deployments_frozen 1"))
            #expect(first.contains(#"rewind_automation_paused{scope="backend"} 1"#))
            #expect(first.contains("rewind_outbox_pending 0"))
            #expect(first.contains(#"rewind_build_info{version="\#(RewindVersion.current)"} 1"#))

            try await store.commit(StateChange(freeze: .clear, automation: [.resume(service: nil)]))
            let second = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(second.contains("rewind_deployments_frozen 0"))
            #expect(second.contains(#"rewind_automation_paused{scope="backend"} 0"#), "a resumed scope reads 0")
        }
    }
}
