import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindProviders
import RewindSandbox
import RewindSpecs
import RewindTestSupport
import Testing

@Suite("Cloudflare traffic against the Cloudflare emulator")
struct CloudflareTrafficTests {
    static let token = "cf-token-5b7e1d9c"
    static let account = "0123abcd"
    static let zone = "77aa"

    /// Pool `9f8e7d` (web-prod) with the stable and the canary origin at weight 1 each; zone 77aa; a write token.
    static func emulator(stableEnabled: Bool = true) -> CloudflareEmulator {
        let emulator = CloudflareEmulator()
        emulator.addToken(token)
        emulator.addZone(zone)
        emulator.addPool(
            account: account,
            CloudflareEmulatedPool(
                id: "9f8e7d", name: "web-prod",
                origins: [
                    CloudflareEmulatedOrigin(
                        name: "stable", address: "10.0.0.10", enabled: stableEnabled, port: 443,
                        header: ["Host": ["app.example.com"]],
                        disabledAt: stableEnabled ? nil : "2026-03-01T12:00:00Z"
                    ),
                    CloudflareEmulatedOrigin(name: "canary", address: "10.0.0.20"),
                ]
            )
        )
        return emulator
    }

    static func spec(
        _ apiURL: String, token: String = CloudflareTrafficTests.token,
        routing: CloudflareTrafficSpec.Routing = .origins(pool: "9f8e7d", stable: "stable", new: "canary"),
        purge: CloudflareTrafficSpec.Purge? = .everything, timeout: Duration = .seconds(5)
    ) -> CloudflareTrafficSpec {
        CloudflareTrafficSpec(
            token: ConfigText(token, isSecret: true), tokenSource: "CLOUDFLARE_API_TOKEN", accountID: account,
            zoneID: zone, routing: routing, purge: purge, apiURL: apiURL, timeout: timeout
        )
    }

    /// Runs `body` with a running emulator and a controller pointed at it.
    static func withCloudflare(
        _ emulator: CloudflareEmulator,
        spec makeSpec: @escaping @Sendable (String) -> CloudflareTrafficSpec = { CloudflareTrafficTests.spec($0) },
        _ body: @Sendable (CloudflareTraffic, CloudflareEmulator) async throws -> Void
    ) async throws {
        let server = CloudflareEmulatorServer(emulator: emulator)
        try await withLoopbackServices([server]) { client in
            let apiURL = await server.apiURL()
            try #require(apiURL.hasPrefix("http://127.0.0.1:"))
            let traffic = CloudflareTraffic.make(makeSpec(apiURL), client: client, redactor: Redactor())
            try await body(traffic, emulator)
        }
    }

    // MARK: - Weighted routing

    @Test("reads the new version's share from the origin weights")
    func readsShare() async throws {
        try await Self.withCloudflare(Self.emulator()) { traffic, _ in
            #expect(traffic.kind == "cloudflare")
            let share = try await traffic.newVersionShare(service: "frontend")
            #expect(share == 0.5)
        }
    }

    @Test("a weight of 1e20 in Cloudflare's answer is read as at most 1: the share and the access check never trap")
    func hugeWeight() async throws {
        let emulator = Self.emulator()
        emulator.setOriginWeights(account: Self.account, pool: "9f8e7d", ["canary": 1e20])
        try await Self.withCloudflare(emulator) { traffic, _ in
            let share = try await traffic.newVersionShare(service: "frontend")
            #expect(share == 0.5)
            let checks = await traffic.checkAccess(service: "frontend")
            #expect(checks.contains { $0.detail.contains("canary weight 1") }, "\(checks)")
        }
    }

    @Test("share 0 sends the whole origins array back with stable 1 and new 0, keeping every other field")
    func drainsNewVersion() async throws {
        try await Self.withCloudflare(Self.emulator()) { traffic, emulator in
            try await traffic.setNewVersionShare(0, service: "frontend")

            let mutations = emulator.mutations
            try #require(mutations.count == 1)
            #expect(mutations[0].method == "PATCH")
            #expect(mutations[0].keys == ["origins"])
            #expect(!mutations[0].body.contains("disabled_at"))
            let pool = try #require(emulator.pool(account: Self.account, id: "9f8e7d"))
            #expect(
                pool.origin(named: "stable")
                    == CloudflareEmulatedOrigin(
                        name: "stable", address: "10.0.0.10", enabled: true, weight: 1, port: 443,
                        header: ["Host": ["app.example.com"]]
                    ))
            // Healthy-only routing stays with Cloudflare's monitors: the new origin is weighted out, not disabled.
            #expect(
                pool.origin(named: "canary")
                    == CloudflareEmulatedOrigin(name: "canary", address: "10.0.0.20", weight: 0))
            #expect(try await traffic.newVersionShare(service: "frontend") == 0)

            let calls = emulator.requests.map { "\($0.method) \($0.path)" }
            #expect(
                calls == [
                    "GET /client/v4/accounts/0123abcd/load_balancers/pools/9f8e7d",
                    "PATCH /client/v4/accounts/0123abcd/load_balancers/pools/9f8e7d",
                    "GET /client/v4/accounts/0123abcd/load_balancers/pools/9f8e7d",
                ])
            #expect(emulator.requests.allSatisfy { $0.hadBearerToken })
            #expect(emulator.requests[1].contentType == "application/json")
        }
    }

    @Test("halving the share sets new 0.25 and stable 0.75 in Cloudflare's 0.01 steps")
    func halvesShare() async throws {
        try await Self.withCloudflare(Self.emulator()) { traffic, emulator in
            let share = try await traffic.newVersionShare(service: "frontend")
            try await traffic.setNewVersionShare(share / 2, service: "frontend")
            let pool = try #require(emulator.pool(account: Self.account, id: "9f8e7d"))
            #expect(pool.origin(named: "canary")?.weight == 0.25)
            #expect(pool.origin(named: "stable")?.weight == 0.75)
            #expect(try await traffic.newVersionShare(service: "frontend") == 0.25)
        }
    }

    @Test("setting the share the pool already has sends no change (idempotent after a restart)")
    func idempotent() async throws {
        try await Self.withCloudflare(Self.emulator()) { traffic, emulator in
            try await traffic.setNewVersionShare(0, service: "frontend")
            try await traffic.setNewVersionShare(0, service: "frontend")
            #expect(emulator.mutations.count == 1)
        }
    }

    @Test("refuses to move traffic onto a disabled stable origin, and says so")
    func disabledStableOrigin() async throws {
        try await Self.withCloudflare(Self.emulator(stableEnabled: false)) { traffic, emulator in
            let error = await #expect(throws: ProviderError.self) {
                try await traffic.setNewVersionShare(0, service: "frontend")
            }
            #expect(error?.kind == .rejected)
            #expect(error?.message.contains("stable origin 'stable' of pool web-prod is disabled") == true)
            #expect(emulator.mutations.isEmpty)
        }
    }

    @Test("an origin name the pool does not have is not found, naming the pool's origins")
    func unknownOrigin() async throws {
        let spec: @Sendable (String) -> CloudflareTrafficSpec = {
            Self.spec($0, routing: .origins(pool: "9f8e7d", stable: "stable", new: "blue"))
        }
        try await Self.withCloudflare(Self.emulator(), spec: spec) { traffic, _ in
            let error = await #expect(throws: ProviderError.self) {
                _ = try await traffic.newVersionShare(service: "frontend")
            }
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains("no origin named 'blue' (origins: stable, canary)") == true)
        }
    }

    // MARK: - Errors

    @Test("401: an unknown token is an auth error naming the variable, never the value")
    func unauthorized() async throws {
        try await Self.withCloudflare(Self.emulator(), spec: { Self.spec($0, token: "cf-wrong-token-123") }) {
            traffic, _ in
            let error = await #expect(throws: ProviderError.self) {
                _ = try await traffic.newVersionShare(service: "frontend")
            }
            #expect(error?.kind == .auth)
            #expect(error?.isTransient == false)
            #expect(
                error?.message.contains("Cloudflare answered 401 unauthorized (code 10000: Authentication error)")
                    == true)
            #expect(error?.message.contains("check that CLOUDFLARE_API_TOKEN") == true)
            #expect(error?.message.contains("cf-wrong-token-123") == false)
        }
    }

    @Test("403: a read-only token names the permission to grant, and not the token")
    func forbidden() async throws {
        let emulator = Self.emulator()
        emulator.addToken("cf-readonly-token-9", CloudflareTokenGrant(pools: .read, purge: false))
        try await Self.withCloudflare(emulator, spec: { Self.spec($0, token: "cf-readonly-token-9") }) {
            traffic, emulator in
            let error = await #expect(throws: ProviderError.self) {
                try await traffic.setNewVersionShare(0, service: "frontend")
            }
            #expect(error?.kind == .auth)
            #expect(
                error?.message.contains(
                    "check that CLOUDFLARE_API_TOKEN has Load Balancing: Monitors and Pools Write on account 0123abcd"
                ) == true
            )
            #expect(error?.message.contains("cf-readonly-token-9") == false)
            #expect(emulator.mutations.isEmpty)
        }
    }

    @Test("an unknown pool is not found")
    func unknownPool() async throws {
        let spec: @Sendable (String) -> CloudflareTrafficSpec = {
            Self.spec($0, routing: .origins(pool: "nope", stable: "stable", new: "canary"))
        }
        try await Self.withCloudflare(Self.emulator(), spec: spec) { traffic, _ in
            let error = await #expect(throws: ProviderError.self) {
                _ = try await traffic.newVersionShare(service: "frontend")
            }
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains("pool nope does not exist in account 0123abcd") == true)
        }
    }

    @Test("429 is transient with retry-after; without it the Ratelimit header's t= is used")
    func rateLimited() async throws {
        try await Self.withCloudflare(Self.emulator()) { traffic, emulator in
            emulator.failNext(1, status: 429, retryAfter: 30)
            let first = await #expect(throws: ProviderError.self) {
                _ = try await traffic.newVersionShare(service: "frontend")
            }
            #expect(first?.kind == .rateLimited)
            #expect(first?.isTransient == true)
            #expect(first?.retryAfter == .seconds(30))

            emulator.failNext(1, status: 429)
            let second = await #expect(throws: ProviderError.self) {
                _ = try await traffic.newVersionShare(service: "frontend")
            }
            #expect(second?.retryAfter == .seconds(60))
        }
    }

    @Test("a 16-digit retry-after (and Ratelimit t=) is an hour's wait, never a crash")
    func hugeRetryAfter() async throws {
        try await Self.withCloudflare(Self.emulator()) { traffic, emulator in
            emulator.failNext(1, status: 429, retryAfter: 9_999_999_999_999_999)
            let error = await #expect(throws: ProviderError.self) {
                _ = try await traffic.newVersionShare(service: "frontend")
            }
            #expect(error?.kind == .rateLimited)
            #expect(error?.retryAfter == .seconds(3600))
        }
    }

    @Test("5xx is a transient server error carrying Cloudflare's message")
    func serverError() async throws {
        try await Self.withCloudflare(Self.emulator()) { traffic, emulator in
            emulator.failNext(1, status: 503)
            let error = await #expect(throws: ProviderError.self) {
                try await traffic.setNewVersionShare(0, service: "frontend")
            }
            #expect(error?.kind == .server)
            #expect(error?.isTransient == true)
            #expect(error?.message.contains("code 10002: An internal error occurred") == true)
            #expect(emulator.mutations.isEmpty)
        }
    }

    @Test("a slow answer misses the deadline: a transient timeout")
    func timeout() async throws {
        let spec: @Sendable (String) -> CloudflareTrafficSpec = { Self.spec($0, timeout: .milliseconds(200)) }
        try await Self.withCloudflare(Self.emulator(), spec: spec) { traffic, emulator in
            // The answer comes after 1 s; the 200 ms deadline fires first.
            emulator.delayNext(1, by: .seconds(1))
            let error = await #expect(throws: ProviderError.self) {
                _ = try await traffic.newVersionShare(service: "frontend")
            }
            #expect(error?.kind == .timeout)
            #expect(error?.isTransient == true)
        }
    }

    @Test("a body that is not JSON is a bad response")
    func malformed() async throws {
        try await Self.withCloudflare(Self.emulator()) { traffic, emulator in
            emulator.malformedNext(1)
            let error = await #expect(throws: ProviderError.self) {
                _ = try await traffic.newVersionShare(service: "frontend")
            }
            #expect(error?.kind == .badResponse)
            #expect(error?.isTransient == false)
        }
    }

    // MARK: - Two pools

    static func twoPools(stableHealthy: Bool = true) -> CloudflareEmulator {
        let emulator = CloudflareEmulator()
        emulator.addToken(token)
        emulator.addPool(
            account: account,
            CloudflareEmulatedPool(
                id: "blue", name: "web-blue", healthy: stableHealthy,
                origins: [CloudflareEmulatedOrigin(name: "v1", address: "10.0.1.10")]
            )
        )
        emulator.addPool(
            account: account,
            CloudflareEmulatedPool(
                id: "green", name: "web-green", origins: [CloudflareEmulatedOrigin(name: "v2", address: "10.0.2.10")]
            )
        )
        return emulator
    }

    static let poolSpec: @Sendable (String) -> CloudflareTrafficSpec = {
        CloudflareTrafficTests.spec($0, routing: .pools(stable: "blue", new: "green"))
    }

    @Test("two pools: share 0 disables the new pool with a PATCH of enabled only; partial shares are unsupported")
    func poolsMode() async throws {
        try await Self.withCloudflare(Self.twoPools(), spec: Self.poolSpec) { traffic, emulator in
            #expect(try await traffic.newVersionShare(service: "frontend") == 1)
            let partial = await #expect(throws: ProviderError.self) {
                try await traffic.setNewVersionShare(0.5, service: "frontend")
            }
            #expect(partial?.kind == .unsupported)

            try await traffic.setNewVersionShare(0, service: "frontend")
            #expect(emulator.mutations.map(\.keys) == [["enabled"]])
            #expect(emulator.pool(account: Self.account, id: "green")?.enabled == false)
            #expect(emulator.pool(account: Self.account, id: "blue")?.enabled == true)
            #expect(try await traffic.newVersionShare(service: "frontend") == 0)
            try await traffic.setNewVersionShare(0, service: "frontend")
            #expect(emulator.mutations.count == 1)
        }
    }

    @Test("two pools: an unhealthy stable pool is not sent the traffic")
    func unhealthyStablePool() async throws {
        try await Self.withCloudflare(Self.twoPools(stableHealthy: false), spec: Self.poolSpec) { traffic, emulator in
            let error = await #expect(throws: ProviderError.self) {
                try await traffic.setNewVersionShare(0, service: "frontend")
            }
            #expect(error?.kind == .rejected)
            #expect(error?.message.contains("stable pool web-blue is unhealthy") == true)
            #expect(emulator.mutations.isEmpty)
        }
    }

    // MARK: - Cache purge

    @Test("purges everything with purge_everything: true")
    func purgeEverything() async throws {
        try await Self.withCloudflare(Self.emulator()) { traffic, emulator in
            #expect(traffic.purgesCache)
            try await traffic.purgeCache(service: "frontend")
            #expect(emulator.purges == [CloudflarePurgeRecord(zoneID: Self.zone, everything: true, files: [])])
        }
    }

    @Test("purges listed URLs in requests of at most 30 files")
    func purgeURLs() async throws {
        let urls = (1...35).map { "https://www.example.com/asset-\($0).js" }
        try await Self.withCloudflare(Self.emulator(), spec: { Self.spec($0, purge: .urls(urls)) }) {
            traffic, emulator in
            try await traffic.purgeCache(service: "frontend")
            #expect(emulator.purges.map(\.files.count) == [30, 5])
            #expect(emulator.purges.flatMap(\.files) == urls)
        }
    }

    @Test("a token without Cache Purge is told which permission is missing")
    func purgeForbidden() async throws {
        let emulator = Self.emulator()
        emulator.addToken("cf-pools-only-token", CloudflareTokenGrant(pools: .write, purge: false))
        try await Self.withCloudflare(emulator, spec: { Self.spec($0, token: "cf-pools-only-token") }) { traffic, _ in
            let error = await #expect(throws: ProviderError.self) { try await traffic.purgeCache(service: "frontend") }
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("CLOUDFLARE_API_TOKEN has the Cache Purge permission on zone 77aa") == true)
        }
    }

    @Test("without purge: configured, purging is unsupported")
    func noPurgeConfigured() async throws {
        try await Self.withCloudflare(Self.emulator(), spec: { Self.spec($0, purge: nil) }) { traffic, emulator in
            #expect(!traffic.purgesCache)
            let error = await #expect(throws: ProviderError.self) { try await traffic.purgeCache(service: "frontend") }
            #expect(error?.kind == .unsupported)
            #expect(emulator.requests.isEmpty)
        }
    }

    // MARK: - Access checks

    @Test("access check: token verified and pool read, read-only calls only")
    func accessPasses() async throws {
        try await Self.withCloudflare(Self.emulator()) { traffic, emulator in
            let checks = await traffic.checkAccess(service: "frontend")
            #expect(checks.map(\.name) == ["authentication", "read pool 9f8e7d of account 0123abcd"])
            #expect(checks.allSatisfy { $0.passed }, "\(checks)")
            #expect(checks[1].detail.contains("stable weight 1, canary weight 1"))
            #expect(checks[1].detail.contains(CloudflareTraffic.poolsPermission))
            #expect(emulator.requests.allSatisfy { $0.method == "GET" })
        }
    }

    @Test("access check: an account-owned token verifies at the account endpoint")
    func accountToken() async throws {
        let emulator = Self.emulator()
        emulator.addToken("cf-account-token-1", CloudflareTokenGrant(ownerAccount: Self.account))
        try await Self.withCloudflare(emulator, spec: { Self.spec($0, token: "cf-account-token-1") }) { traffic, _ in
            let checks = await traffic.checkAccess(service: "frontend")
            #expect(checks.first?.passed == true, "\(checks)")
        }
    }

    @Test("access check: a rejected token and a read-only token fail and pass as they should, naming the variable")
    func accessFailures() async throws {
        let emulator = Self.emulator()
        emulator.addToken("cf-no-pools-token", CloudflareTokenGrant(pools: .none))
        try await Self.withCloudflare(emulator, spec: { Self.spec($0, token: "cf-unknown-token") }) { traffic, _ in
            let checks = await traffic.checkAccess(service: "frontend")
            #expect(checks.map(\.passed) == [false, false])
            #expect(checks[0].detail.contains("CLOUDFLARE_API_TOKEN"))
            #expect(!checks.map(\.detail).joined().contains("cf-unknown-token"))
        }
        try await Self.withCloudflare(emulator, spec: { Self.spec($0, token: "cf-no-pools-token") }) { traffic, _ in
            let checks = await traffic.checkAccess(service: "frontend")
            #expect(checks.map(\.passed) == [true, false])
            #expect(checks[1].detail.contains("Load Balancing: Monitors and Pools Write"))
        }
    }
}
