import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSpecs
import RewindTestSupport
import Testing

@testable import RewindProviders

@Suite("HTTP provider against the sandbox platform")
struct HTTPProviderTests {
    static let token = "platform-token-7f3a9c"

    /// The sandbox platform API as an `http` provider spec.
    static func spec(
        _ endpoints: SandboxEndpoints, token: String? = HTTPProviderTests.token, currentField: String = "id",
        withStatus: Bool = true, timeout: Duration? = nil
    ) -> HTTPProviderSpec {
        let base = endpoints.platform
        var headers: [String: ConfigText] = [:]
        if let token { headers["Authorization"] = ConfigText("Bearer \(token)", isSecret: true) }
        return HTTPProviderSpec(
            rollback: HTTPRequestSpec(
                method: "POST", url: "\(base)/v1/services/{{service}}/rollback", headers: headers,
                body: .object(["deployment": .string("{{target.id}}")]), expectedStatuses: [202]
            ),
            current: HTTPRequestSpec(url: "\(base)/v1/services/{{service}}/current", headers: headers),
            currentField: currentField,
            status: withStatus ? HTTPRequestSpec(url: "\(base)/v1/operations/{{operation.id}}", headers: headers) : nil,
            timeout: timeout
        )
    }

    static func provider(_ spec: HTTPProviderSpec, secrets: [String] = [HTTPProviderTests.token]) -> HTTPProvider {
        HTTPProvider(spec: spec, client: .shared, redactor: Redactor(secrets: secrets))
    }

    static let v1 = Deployment(
        service: "api", id: "dpl_1", version: "1.0.0", deployedAt: Timestamp(millisecondsSinceEpoch: 0),
        trust: .knownGood
    )
    static let context = ActionContext(incidentID: 7, current: nil)

    @Test("rolls back, polls the operation to success, and the service serves the target again")
    func fullRollback() async throws {
        let world = twoVersionWorld(token: Self.token)
        world.rollbackDuration = .milliseconds(50)
        try await withSandbox(world) { endpoints in
            let provider = Self.provider(Self.spec(endpoints))
            #expect(provider.kind == "http")
            let before = try await provider.currentDeployment(service: "api")
            #expect(before == PlatformDeployment(id: "dpl_2", version: "2.0.0"))

            let operation = try await provider.rollback(service: "api", to: Self.v1, context: Self.context)
            #expect(operation == RollbackOperation(id: "op-1", finished: false))
            var status = OperationStatus.inProgress
            let settled = try await eventually {
                status = try await provider.status(of: operation, service: "api", target: Self.v1)
                return status != .inProgress
            }
            #expect(settled)
            #expect(status == .succeeded)
            #expect(try await provider.currentDeployment(service: "api")?.id == "dpl_1")
            let health = try await get("\(endpoints.services["api"]!)/health")
            #expect(health.status == 200)
            #expect(health.headers["x-deployment"] == "dpl_1")
            #expect(try await provider.listDeployments(service: "api") == [])
        }
    }

    @Test("a rollback the platform ends in failure reports the platform's value")
    func failedOperation() async throws {
        let world = twoVersionWorld(token: Self.token)
        world.rollbackDuration = .zero
        world.failNextRollbacks(1)
        try await withSandbox(world) { endpoints in
            let provider = Self.provider(Self.spec(endpoints))
            let operation = try await provider.rollback(service: "api", to: Self.v1, context: Self.context)
            #expect(try await provider.status(of: operation, service: "api", target: Self.v1) == .failed("failed"))
        }
    }

    @Test("without a status request an accepted rollback is finished")
    func synchronousRollback() async throws {
        let world = twoVersionWorld(token: Self.token)
        try await withSandbox(world) { endpoints in
            let provider = Self.provider(Self.spec(endpoints, withStatus: false))
            let operation = try await provider.rollback(service: "api", to: Self.v1, context: Self.context)
            #expect(operation == RollbackOperation(finished: true))
            #expect(try await provider.status(of: operation, service: "api", target: Self.v1) == .succeeded)
        }
    }

    @Test("an unknown deployment is a permanent notFound")
    func unknownDeployment() async throws {
        try await withSandbox(twoVersionWorld(token: Self.token)) { endpoints in
            let provider = Self.provider(Self.spec(endpoints))
            var target = Self.v1
            target.id = "dpl_missing"
            let error = try await #require(throws: ProviderError.self) {
                try await provider.rollback(service: "api", to: target, context: Self.context)
            }
            #expect(error.kind == .notFound)
            #expect(!error.isTransient)
            #expect(error.message.contains("api"))
            #expect(error.message.contains("/v1/services/api/rollback"))
        }
    }

    @Test("a token mismatch is auth, names the header and never shows a token")
    func tokenMismatch() async throws {
        let wrong = "wrong-token-d41d8c"
        try await withSandbox(twoVersionWorld(token: Self.token)) { endpoints in
            let provider = Self.provider(Self.spec(endpoints, token: wrong), secrets: [wrong, Self.token])
            let error = try await #require(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "api")
            }
            #expect(error.kind == .auth)
            #expect(!error.isTransient)
            #expect(error.message.contains("401"))
            #expect(error.message.contains("Authorization"))
            #expect(!error.message.contains(wrong))
            #expect(!error.message.contains(Self.token))
        }
    }

    @Test("503 is a transient server error")
    func serverError() async throws {
        let world = twoVersionWorld(token: Self.token)
        world.failNextPlatformCalls(1, status: 503)
        try await withSandbox(world) { endpoints in
            let provider = Self.provider(Self.spec(endpoints))
            let error = try await #require(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "api")
            }
            #expect(error.kind == .server)
            #expect(error.isTransient)
            #expect(try await provider.currentDeployment(service: "api")?.id == "dpl_2")
        }
    }

    @Test("429 is rate limited with the Retry-After delay")
    func rateLimited() async throws {
        let world = twoVersionWorld(token: Self.token)
        world.failNextPlatformCalls(1, status: 429)
        try await withSandbox(world) { endpoints in
            let provider = Self.provider(Self.spec(endpoints))
            let error = try await #require(throws: ProviderError.self) {
                try await provider.rollback(service: "api", to: Self.v1, context: Self.context)
            }
            #expect(error.kind == .rateLimited)
            #expect(error.isTransient)
            #expect(error.retryAfter == .seconds(1))
            #expect(world.rollbackCalls(service: "api") == 0)
        }
    }

    @Test("a hanging endpoint times out at the spec's deadline")
    func hangingEndpoint() async throws {
        let world = twoVersionWorld(v2: .hanging)
        try await withSandbox(world) { endpoints in
            var spec = Self.spec(endpoints, timeout: .milliseconds(300))
            spec.current = HTTPRequestSpec(url: "\(endpoints.services["api"]!)/health")
            let error = try await #require(throws: ProviderError.self) {
                try await Self.provider(spec).currentDeployment(service: "api")
            }
            #expect(error.kind == .timeout)
            #expect(error.isTransient)
        }
    }

    @Test("a dropped connection is a transient connection error")
    func droppedConnection() async throws {
        let world = twoVersionWorld(v2: .droppingConnection)
        try await withSandbox(world) { endpoints in
            var spec = Self.spec(endpoints, timeout: .seconds(5))
            spec.current = HTTPRequestSpec(url: "\(endpoints.services["api"]!)/health")
            let error = try await #require(throws: ProviderError.self) {
                try await Self.provider(spec).currentDeployment(service: "api")
            }
            #expect(error.kind == .connection)
            #expect(error.isTransient)
        }
    }

    @Test("a refused connection is a transient connection error")
    func refusedConnection() async throws {
        // Port 1 on loopback: nothing listens there.
        let endpoints = SandboxEndpoints(services: [:], platform: "http://127.0.0.1:1")
        let error = try await #require(throws: ProviderError.self) {
            try await Self.provider(Self.spec(endpoints, timeout: .milliseconds(500))).currentDeployment(service: "api")
        }
        #expect(error.kind == .connection)
        #expect(error.isTransient)
    }

    @Test("a response without the configured field is a bad response")
    func missingField() async throws {
        try await withSandbox(twoVersionWorld(token: Self.token)) { endpoints in
            let provider = Self.provider(Self.spec(endpoints, currentField: "deployment.id"))
            let error = try await #require(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "api")
            }
            #expect(error.kind == .badResponse)
            #expect(error.message.contains("deployment.id"))
        }
    }

    @Test("values are percent-encoded in the URL, raw in headers, JSON-escaped in the body")
    func rendering() throws {
        let spec = HTTPRequestSpec(
            method: "post", url: "https://example.test/{{service}}/x?to={{target.id}}&token=abc",
            headers: ["Authorization": ConfigText("Bearer {{target.version}}", isSecret: true)],
            body: .object(["to": .string("{{target.id}}")])
        )
        let values = ["service": "my api", "target.id": "v1/\"a\"&b", "target.version": "1 2"]
        let rendered = try RenderedRequest(spec, values: values)
        #expect(rendered.method == "POST")
        #expect(rendered.url == "https://example.test/my%20api/x?to=v1%2F%22a%22%26b&token=abc")
        #expect(rendered.safeURL == "https://example.test/my%20api/x")
        #expect(rendered.headers.first { $0.name == "Authorization" }?.value == "Bearer 1 2")
        #expect(rendered.credentialHeader == "Authorization")
        let body = try JSONDecoder().decode([String: String].self, from: try #require(rendered.body))
        #expect(body == ["to": "v1/\"a\"&b"])
    }

    /// `"\r\n"` is one Character in Swift: a filter comparing Characters with "\r" and "\n" let CRLF through.
    @Test("no line break reaches a header value, CRLF, a lone CR or LF, or a Unicode line separator")
    func headerLineBreaks() throws {
        let spec = HTTPRequestSpec(
            url: "https://example.test/x", headers: ["X-Rewind-Target": ConfigText("v={{target.version}}")])
        for injected in [
            "1\r\nX-Injected: yes", "1\rX-Injected: yes", "1\nX-Injected: yes", "1\r\n\r\nbody",
            "1\u{2028}X-Injected: yes",
        ] {
            let rendered = try RenderedRequest(spec, values: ["target.version": injected])
            let value = try #require(rendered.headers.first { $0.name == "X-Rewind-Target" }?.value)
            #expect(
                !value.unicodeScalars.contains { $0 == "\r" || $0 == "\n" || $0 == "\u{2028}" },
                "\(value.debugDescription)")
            #expect(value.hasPrefix("v=1"))
        }
    }

    @Test("a URL value that is '.' or '..' is refused; an encoded '..' stays encoded and cannot climb")
    func dotSegments() throws {
        let spec = HTTPRequestSpec(url: "https://example.test/v1/deployments/{{target.id}}/rollback")
        for climbing in ["..", "."] {
            #expect(throws: (any Error).self) { try RenderedRequest(spec, values: ["target.id": climbing]) }
        }
        let encoded = try RenderedRequest(spec, values: ["target.id": "%2E%2E"])
        #expect(encoded.url == "https://example.test/v1/deployments/%252E%252E/rollback")
        let inside = try RenderedRequest(spec, values: ["target.id": "a..b"])
        #expect(inside.url == "https://example.test/v1/deployments/a..b/rollback", "only whole dot segments climb")
    }

    @Test("a target id that breaks the deployment id rule is refused before any request is sent")
    func refusesUnsafeTarget() async throws {
        let world = twoVersionWorld(token: Self.token)
        try await withSandbox(world) { endpoints in
            let provider = Self.provider(Self.spec(endpoints))
            for id in ["..", "-x", "a/../../admin", "dpl 1"] {
                let target = Deployment(
                    service: "api", id: id, version: "1.0.0", deployedAt: .init(millisecondsSinceEpoch: 0))
                let error = try await #require(throws: ProviderError.self) {
                    try await provider.rollback(service: "api", to: target, context: Self.context)
                }
                #expect(error.kind == .rejected)
                #expect(error.message.contains(DeploymentIdentifier.rule), "\(error.message)")
                #expect(!error.message.contains("POST http"), "nothing was sent: \(error.message)")
            }
            #expect(try await provider.currentDeployment(service: "api")?.id == "dpl_2", "nothing was rolled back")
        }
    }

    @Test("Retry-After takes delta-seconds or an HTTP date")
    func retryAfter() {
        #expect(RetryAfter.parse("3") == .seconds(3))
        let now = Date(timeIntervalSince1970: 1_000_000_000)
        #expect(RetryAfter.parse("Sun, 09 Sep 2001 01:46:50 GMT", now: now) == .seconds(10))
        #expect(RetryAfter.parse("soon") == nil)
    }

    @Test("the factory builds the provider the spec names")
    func factory() {
        let endpoints = SandboxEndpoints(services: [:], platform: "http://127.0.0.1:1")
        let http = ProviderFactory.make(
            .http(Self.spec(endpoints)), service: "api", client: .shared, redactor: Redactor()
        )
        let command = ProviderFactory.make(
            .command(CommandProviderSpec(rollback: ["true"])), service: "api", client: .shared, redactor: Redactor()
        )
        #expect(http.kind == "http")
        #expect(command.kind == "command")
    }
}
