import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindProviders
import RewindSpecs
import RewindTestSupport
import Testing

@Suite("Unleash kill switch against the Unleash emulator")
struct UnleashSwitchTests {
    static let token = "*:*.unleash-admin-token-4c2e"
    static let flags = ["all_features", "gradual_rollout", "a_b_testing"]

    static func emulator() -> UnleashEmulator {
        let emulator = UnleashEmulator()
        emulator.addToken(token)
        for flag in flags { emulator.addFlag(name: flag, environments: ["production": true, "staging": true]) }
        return emulator
    }

    static func withUnleash(
        _ emulator: UnleashEmulator, token: String = UnleashSwitchTests.token, bulk: Bool = true,
        timeout: Duration = .seconds(5), _ body: @Sendable (any FlagKillSwitch, UnleashEmulator) async throws -> Void
    ) async throws {
        let server = UnleashEmulatorServer(emulator: emulator)
        try await withLoopbackServices([server]) { client in
            let url = await server.endpoint()
            try #require(url.hasPrefix("http://127.0.0.1:"))
            let spec = FeatureFlagsSpec(
                backend: .unleash(
                    UnleashFlagsSpec(
                        url: url, token: ConfigText(token, isSecret: true), tokenSource: "UNLEASH_API_TOKEN",
                        environment: "production", bulk: bulk
                    )
                ),
                disable: flags, timeout: timeout
            )
            let killSwitch = FlagSwitchFactory.make(spec, service: "frontend", client: client, redactor: Redactor())
            try await body(killSwitch, emulator)
        }
    }

    @Test("turns one flag off in one environment with the raw token, and reads it back")
    func disableOne() async throws {
        try await Self.withUnleash(Self.emulator()) { killSwitch, emulator in
            #expect(killSwitch.kind == "unleash")
            let before = try await killSwitch.isEnabled(flag: "all_features")
            #expect(before)
            try await killSwitch.disable(flag: "all_features")
            #expect(emulator.isEnabled(flag: "all_features", environment: "production") == false)
            #expect(emulator.isEnabled(flag: "all_features", environment: "staging") == true)
            let after = try await killSwitch.isEnabled(flag: "all_features")
            #expect(!after)
            #expect(
                emulator.requests.map { "\($0.method) \($0.path)" } == [
                    "GET /api/admin/projects/default/features/all_features",
                    "POST /api/admin/projects/default/features/all_features/environments/production/off",
                    "GET /api/admin/projects/default/features/all_features",
                ])
            #expect(emulator.requests.allSatisfy { $0.hadToken && !$0.bearerPrefix })
        }
    }

    @Test("turning an off flag off again succeeds (idempotent)")
    func idempotent() async throws {
        try await Self.withUnleash(Self.emulator()) { killSwitch, emulator in
            try await killSwitch.disable(flag: "a_b_testing")
            try await killSwitch.disable(flag: "a_b_testing")
            #expect(emulator.toggles.count == 2)
            #expect(emulator.isEnabled(flag: "a_b_testing", environment: "production") == false)
        }
    }

    @Test("disable all: one bulk request for the configured flags")
    func bulk() async throws {
        try await Self.withUnleash(Self.emulator()) { killSwitch, emulator in
            let outcomes = await killSwitch.disableConfigured(incidentID: 7)
            #expect(outcomes == Self.flags.map { FlagOutcome(flag: $0) })
            #expect(emulator.toggles.allSatisfy { $0.bulk && !$0.enabled && $0.environment == "production" })
            #expect(
                emulator.requests.map(\.path) == [
                    "/api/admin/projects/default/bulk_features/environments/production/off"
                ])
        }
    }

    @Test("bulk toggling disabled (403): one request per flag instead")
    func bulkDisabled() async throws {
        let emulator = Self.emulator()
        emulator.setBulkToggling(enabled: false)
        try await Self.withUnleash(emulator) { killSwitch, emulator in
            let outcomes = await killSwitch.disableAll(flags: Self.flags)
            #expect(outcomes.allSatisfy { $0.succeeded })
            #expect(emulator.toggles.map(\.feature) == Self.flags)
            #expect(emulator.toggles.allSatisfy { !$0.bulk })
        }
    }

    @Test("an unknown flag fails alone: the others are still turned off")
    func unknownFlagInBulk() async throws {
        try await Self.withUnleash(Self.emulator()) { killSwitch, emulator in
            let outcomes = await killSwitch.disableAll(flags: ["all_features", "no_such_flag", "a_b_testing"])
            #expect(outcomes.map(\.succeeded) == [true, false, true])
            #expect(outcomes[1].error?.kind == .notFound)
            #expect(outcomes[1].error?.message.contains("Could not find feature no_such_flag") == true)
            #expect(emulator.isEnabled(flag: "all_features", environment: "production") == false)
            #expect(emulator.isEnabled(flag: "a_b_testing", environment: "production") == false)
        }
    }

    @Test("401 names the token variable and never the token")
    func unauthorized() async throws {
        try await Self.withUnleash(Self.emulator(), token: "user:wrong-token-77") { killSwitch, _ in
            let error = await #expect(throws: ProviderError.self) { try await killSwitch.disable(flag: "all_features") }
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("Unleash answered 401 unauthorized") == true)
            #expect(error?.message.contains("check that UNLEASH_API_TOKEN") == true)
            #expect(error?.message.contains("wrong-token-77") == false)
        }
    }

    @Test("403 names the permission the token lacks")
    func forbidden() async throws {
        let emulator = Self.emulator()
        emulator.addToken("user:read-only-token", canUpdate: false)
        try await Self.withUnleash(emulator, token: "user:read-only-token") { killSwitch, _ in
            let error = await #expect(throws: ProviderError.self) { try await killSwitch.disable(flag: "all_features") }
            #expect(error?.kind == .auth)
            #expect(
                error?.message.contains(
                    "check that UNLEASH_API_TOKEN has UPDATE_FEATURE_ENVIRONMENT in project default, environment "
                        + "production"
                ) == true
            )
            #expect(error?.message.contains("read-only-token") == false)
        }
    }

    @Test("429 with Retry-After, 500 and a malformed body are classified")
    func failures() async throws {
        try await Self.withUnleash(Self.emulator()) { killSwitch, emulator in
            emulator.failNext(1, status: 429, retryAfter: 12)
            let limited = await #expect(throws: ProviderError.self) {
                try await killSwitch.disable(flag: "all_features")
            }
            #expect(limited?.kind == .rateLimited)
            #expect(limited?.retryAfter == .seconds(12))

            emulator.failNext(1, status: 500)
            let server = await #expect(throws: ProviderError.self) {
                try await killSwitch.disable(flag: "all_features")
            }
            #expect(server?.kind == .server)
            #expect(server?.isTransient == true)

            emulator.malformedNext(1)
            let malformed = await #expect(throws: ProviderError.self) {
                _ = try await killSwitch.isEnabled(flag: "all_features")
            }
            #expect(malformed?.kind == .badResponse)
        }
    }

    @Test("a transient failure of the bulk request fails every flag with it, for the engine to retry")
    func bulkTransient() async throws {
        try await Self.withUnleash(Self.emulator()) { killSwitch, emulator in
            emulator.failNext(1, status: 503)
            let outcomes = await killSwitch.disableConfigured()
            #expect(outcomes.allSatisfy { $0.error?.kind == .server })
            #expect(emulator.toggles.isEmpty)
        }
    }

    @Test("access check reads every configured flag")
    func access() async throws {
        try await Self.withUnleash(Self.emulator()) { killSwitch, emulator in
            let checks = await killSwitch.checkAccess(service: "frontend")
            #expect(checks.count == 3)
            #expect(checks.allSatisfy { $0.passed }, "\(checks)")
            #expect(checks[0].detail.contains("UPDATE_FEATURE_ENVIRONMENT"))
            #expect(emulator.requests.allSatisfy { $0.method == "GET" })
        }
        try await Self.withUnleash(Self.emulator(), token: "wrong-token-1234") { killSwitch, _ in
            let checks = await killSwitch.checkAccess(service: "frontend")
            #expect(checks.allSatisfy { !$0.passed && $0.detail.contains("UNLEASH_API_TOKEN") })
        }
    }

    @Test("a slow answer misses the deadline: a transient timeout")
    func timeout() async throws {
        try await Self.withUnleash(Self.emulator(), timeout: .milliseconds(250)) { killSwitch, emulator in
            emulator.delayNext(1, by: .seconds(1))
            let slow = await #expect(throws: ProviderError.self) { try await killSwitch.disable(flag: "all_features") }
            #expect(slow?.kind == .timeout)
            #expect(slow?.isTransient == true)
        }
    }
}
