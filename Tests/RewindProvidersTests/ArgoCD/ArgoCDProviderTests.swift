import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindProviders
import RewindSpecs
import RewindTestSupport
import Testing

@Suite("Argo CD provider against the Argo CD emulator", .timeLimit(.minutes(1)))
struct ArgoCDProviderTests {
    static let token = "argocd-project-token-7d1e4b"
    static let revisions = [
        "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "3333333ccccccccccccccccccccccccccccccccc",
    ]
    static let context = ActionContext(incidentID: 12, current: nil)

    static func target(_ revision: String) -> Deployment {
        Deployment(
            service: "web", id: revision, version: String(revision.prefix(12)),
            deployedAt: .init(millisecondsSinceEpoch: 0))
    }

    static func emulator(autoSync: Bool = true) -> ArgoCDEmulator {
        let argo = ArgoCDEmulator()
        argo.addToken(token)
        argo.addToken("read-only-token", canWrite: false)
        argo.addApplication("shop-web", revisions: revisions, autoSync: autoSync, selfHeal: true, prune: true)
        return argo
    }

    static func withArgo(
        _ argo: ArgoCDEmulator, token: String = ArgoCDProviderTests.token, application: String = "shop-web",
        timeout: Duration = .seconds(5), clock: any RewindClock = SystemClock(),
        _ body: @Sendable (ArgoCDProvider, String, HTTPClient) async throws -> Void
    ) async throws {
        let server = ArgoCDEmulatorServer(emulator: argo)
        try await withLoopbackServices([server]) { client in
            let url = await server.endpoint()
            try #require(url.hasPrefix("http://127.0.0.1:"))
            let spec = ArgoCDSpec(
                url: url, application: application, token: ConfigText(token, isSecret: true),
                tokenSource: "ARGOCD_TOKEN", timeout: timeout)
            let provider = ArgoCDProvider(
                spec: spec, client: client, redactor: Redactor(secrets: [token]), service: "web", clock: clock)
            try await body(provider, url, client)
        }
    }

    @Test("the Application's history is the deployment listing; the newest entry is live")
    func listing() async throws {
        let argo = Self.emulator()
        try await Self.withArgo(argo) { provider, _, _ in
            let deployments = try await provider.listDeployments(service: "web")
            #expect(deployments.map(\.id) == Self.revisions.reversed())
            #expect(deployments.first?.version == "3333333ccccc")
            #expect(deployments.first?.createdAt != nil)
            #expect(try await provider.currentDeployment(service: "web")?.id == Self.revisions[2])
        }
        #expect(argo.requests.map(\.path) == Array(repeating: "/api/v1/applications/shop-web", count: 2))
        #expect(argo.requests.allSatisfy { $0.hadToken })
    }

    @Test("a rollback pauses auto-sync first, says so on the incident, then rolls back to the revision's history id")
    func rollbackPausesAutoSync() async throws {
        let argo = Self.emulator()
        try await Self.withArgo(argo) { provider, _, _ in
            let target = Self.target(Self.revisions[1])
            let operation = try await provider.rollback(service: "web", to: target, context: Self.context)
            #expect(!operation.finished)
            #expect(argo.autoSyncEnabled("shop-web") == false)
            let note = try #require(operation.notes.first)
            #expect(note.contains("turned off automated sync of Argo CD Application shop-web (incident 12)"))
            #expect(note.contains("`argocd app set shop-web --sync-policy automated --self-heal --auto-prune`"))
            #expect(try await provider.status(of: operation, service: "web", target: target) == .inProgress)
            #expect(try await provider.status(of: operation, service: "web", target: target) == .succeeded)
            #expect(try await provider.currentDeployment(service: "web")?.id == Self.revisions[1])
        }
        let requests = argo.requests
        #expect(
            requests.prefix(3).map { "\($0.method) \($0.path)" } == [
                "GET /api/v1/applications/shop-web", "PATCH /api/v1/applications/shop-web",
                "POST /api/v1/applications/shop-web/rollback",
            ])
        let patch = try #require(JSONSerialization.jsonObject(with: Data(requests[1].body.utf8)) as? [String: Any])
        #expect(patch["patchType"] as? String == "merge")
        #expect(patch["patch"] as? String == #"{"spec":{"syncPolicy":{"automated":null}}}"#)
        let rollback = try #require(JSONSerialization.jsonObject(with: Data(requests[2].body.utf8)) as? [String: Any])
        #expect(rollback["id"] as? Int == 1)
        #expect(rollback["prune"] as? Bool == false)
        #expect(rollback["name"] as? String == "shop-web")
        #expect(argo.history("shop-web").last == Self.revisions[1])
        #expect(!requests.contains { $0.body.contains(Self.token) })
    }

    @Test("a rollback request that fails after the pause says in its error that auto-sync was turned off")
    func failureAfterPause() async throws {
        let argo = Self.emulator()
        argo.failRollbackRequests(1)
        try await Self.withArgo(argo) { provider, _, _ in
            let target = Self.target(Self.revisions[1])
            let error = try await #require(throws: ProviderError.self) {
                try await provider.rollback(service: "web", to: target, context: Self.context)
            }
            #expect(error.isTransient)
            #expect(error.message.contains("turned off automated sync of Argo CD Application shop-web"))
            #expect(error.message.contains("--sync-policy automated --self-heal --auto-prune"))
            let retried = try await provider.rollback(service: "web", to: target, context: Self.context)
            #expect(!retried.finished)
        }
        #expect(argo.autoSyncEnabled("shop-web") == false)
        #expect(argo.requests.map(\.method) == ["GET", "PATCH", "POST", "GET", "POST"])
    }

    @Test("with auto-sync already off nothing is patched and nothing is noted; a live target sends nothing")
    func autoSyncOff() async throws {
        let argo = Self.emulator(autoSync: false)
        try await Self.withArgo(argo) { provider, _, _ in
            let live = try await provider.rollback(
                service: "web", to: Self.target(Self.revisions[2]), context: Self.context)
            #expect(live.notes.isEmpty)
            let operation = try await provider.rollback(
                service: "web", to: Self.target(Self.revisions[0]), context: Self.context)
            #expect(operation.notes.isEmpty)
        }
        #expect(argo.requests.map(\.method) == ["GET", "GET", "POST"])
    }

    @Test("a revision that is not in the history is not found, and nothing is written")
    func unknownRevision() async throws {
        let argo = Self.emulator()
        try await Self.withArgo(argo) { provider, _, _ in
            let error = try await #require(throws: ProviderError.self) {
                try await provider.rollback(
                    service: "web", to: Self.target("9999999fffffffffffffffffffffffffffffffff"), context: Self.context)
            }
            #expect(error.kind == .notFound)
            #expect(error.message.contains("revisionHistoryLimit"))
        }
        #expect(argo.requests.map(\.method) == ["GET"])
        #expect(argo.autoSyncEnabled("shop-web") == true)
    }

    @Test("an operation toward the target is followed; another running operation is transient")
    func runningOperation() async throws {
        let argo = Self.emulator()
        argo.startOperation("shop-web", revision: Self.revisions[1])
        try await Self.withArgo(argo) { provider, _, _ in
            let followed = try await provider.rollback(
                service: "web", to: Self.target(Self.revisions[1]), context: Self.context)
            #expect(followed.followedRunningJob)
            let busy = try await #require(throws: ProviderError.self) {
                try await provider.rollback(service: "web", to: Self.target(Self.revisions[0]), context: Self.context)
            }
            #expect(busy.isTransient)
        }
        #expect(argo.requests.allSatisfy { $0.method == "GET" })
    }

    @Test("a failed operation and a degraded Application are failed rollbacks")
    func failures() async throws {
        let argo = Self.emulator(autoSync: false)
        argo.failRollbackOperations("one or more synchronization tasks completed unsuccessfully")
        try await Self.withArgo(argo) { provider, _, _ in
            let target = Self.target(Self.revisions[0])
            let operation = try await provider.rollback(service: "web", to: target, context: Self.context)
            #expect(try await provider.status(of: operation, service: "web", target: target) == .inProgress)
            let status = try await provider.status(of: operation, service: "web", target: target)
            #expect(
                status
                    == .failed("Argo CD's operation Failed: one or more synchronization tasks completed unsuccessfully")
            )
        }
        let degraded = Self.emulator(autoSync: false)
        degraded.setOperationReads(0)
        degraded.setHealthAfterRollback("Degraded")
        try await Self.withArgo(degraded) { provider, _, _ in
            let target = Self.target(Self.revisions[0])
            let operation = try await provider.rollback(service: "web", to: target, context: Self.context)
            guard case .failed(let reason) = try await provider.status(of: operation, service: "web", target: target)
            else {
                Issue.record("a Degraded Application is not a successful rollback")
                return
            }
            #expect(reason.contains("Degraded"))
        }
    }

    @Test("a bad token is an auth error naming the variable; a read-only token is refused at the first write")
    func auth() async throws {
        try await Self.withArgo(Self.emulator(), token: "wrong-token-value") { provider, _, _ in
            let error = try await #require(throws: ProviderError.self) {
                try await provider.listDeployments(service: "web")
            }
            #expect(error.kind == .auth)
            #expect(error.message.contains("ARGOCD_TOKEN"))
            #expect(!error.message.contains("wrong-token-value"))
        }
        let argo = Self.emulator()
        try await Self.withArgo(argo, token: "read-only-token") { provider, _, _ in
            let error = try await #require(throws: ProviderError.self) {
                try await provider.rollback(service: "web", to: Self.target(Self.revisions[0]), context: Self.context)
            }
            #expect(error.kind == .auth)
            #expect(error.message.contains("applications, get|update|sync"))
        }
        #expect(argo.autoSyncEnabled("shop-web") == true)
    }

    @Test("an unknown Application is not found, naming the key to check")
    func unknownApplication() async throws {
        try await Self.withArgo(Self.emulator(), application: "no-such-app") { provider, _, _ in
            let error = try await #require(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "web")
            }
            #expect(error.kind == .notFound)
            #expect(error.message.contains("application: under gitops:"))
        }
    }

    /// Lists the deployments while answering the two backoff waits of a read (0.5 s, then 1 s) on `clock`.
    static func listThroughBackoff(
        _ provider: ArgoCDProvider, _ clock: ManualClock
    ) async -> Result<[PlatformDeployment], any Error> {
        let listing = Task { try await provider.listDeployments(service: "web") }
        for wait in [Duration.milliseconds(500), .seconds(1)] {
            await clock.waitForSleepers(1)
            clock.advance(by: wait)
        }
        return await listing.result
    }

    @Test("a read is retried on 5xx within its attempts, waiting on the injected clock")
    func serverErrorRetries() async throws {
        let argo = Self.emulator()
        argo.failNext(2, status: 503)
        let clock = ManualClock(now: Timestamp(millisecondsSinceEpoch: 0))
        try await Self.withArgo(argo, clock: clock) { provider, _, _ in
            let listed = try await Self.listThroughBackoff(provider, clock).get()
            #expect(listed.count == 3)
        }
        #expect(argo.requests.count == 3)
        let exhausted = Self.emulator()
        exhausted.failNext(5, status: 502)
        let second = ManualClock(now: Timestamp(millisecondsSinceEpoch: 0))
        try await Self.withArgo(exhausted, clock: second) { provider, _, _ in
            let result = await Self.listThroughBackoff(provider, second)
            let error = try #require(throws: ProviderError.self) { try result.get() }
            #expect(error.kind == .server)
            #expect(error.isTransient, "the engine's own retries come next")
        }
        #expect(exhausted.requests.count == 3, "three attempts of one read, no more")
    }

    @Test("a read that misses its deadline is retried after the backoff")
    func timeoutRetries() async throws {
        let argo = Self.emulator(autoSync: false)
        argo.delayNext(2, by: .seconds(2))
        let clock = ManualClock(now: Timestamp(millisecondsSinceEpoch: 0))
        try await Self.withArgo(argo, timeout: .seconds(1), clock: clock) { provider, _, _ in
            let listed = try await Self.listThroughBackoff(provider, clock).get()
            #expect(listed.first?.id == Self.revisions[2])
        }
        #expect(argo.requests.count == 3, "two reads past the deadline, the third answered")
    }
}

/// The emulator's contract, seen from a plain HTTP client: what the provider relies on.
@Suite("Argo CD emulator contract")
struct ArgoCDEmulatorTests {
    static func send(
        _ client: HTTPClient, _ method: HTTPMethod, _ url: String, token: String?, body: String? = nil
    ) async throws -> (status: Int, body: [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(5))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        return (Int(response.status.code), json)
    }

    @Test("401 without a token, 404 for an unknown app, 400 FailedPrecondition for a rollback under auto-sync")
    func contract() async throws {
        let argo = ArgoCDProviderTests.emulator()
        let server = ArgoCDEmulatorServer(emulator: argo)
        try await withLoopbackServices([server]) { client in
            let base = await server.endpoint() + "/api/v1/applications"
            let token = ArgoCDProviderTests.token
            let anonymous = try await Self.send(client, .GET, base + "/shop-web", token: nil)
            #expect(anonymous.status == 401)
            #expect(anonymous.body["code"] as? Int == 16)
            let unknown = try await Self.send(client, .GET, base + "/nope", token: token)
            #expect(unknown.status == 404)
            let refused = try await Self.send(
                client, .POST, base + "/shop-web/rollback", token: token, body: #"{"name":"shop-web","id":0}"#)
            #expect(refused.status == 400)
            #expect(refused.body["code"] as? Int == 9)
            #expect((refused.body["message"] as? String)?.contains("auto-sync is enabled") == true)
            let json = try await Self.send(
                client, .PATCH, base + "/shop-web", token: token,
                body: #"{"name":"shop-web","patchType":"json","patch":"[]"}"#)
            #expect(json.status == 400)
        }
        #expect(argo.history("shop-web") == ArgoCDProviderTests.revisions)
    }
}
