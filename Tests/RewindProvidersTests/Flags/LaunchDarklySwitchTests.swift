import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindProviders
import RewindSpecs
import RewindTestSupport
import Testing

@Suite("LaunchDarkly kill switch against the LaunchDarkly emulator")
struct LaunchDarklySwitchTests {
    static let token = "api-0123-ld-secret"
    static let flags = ["checkout-v2", "search-rerank"]

    static func emulator() -> LaunchDarklyEmulator {
        let emulator = LaunchDarklyEmulator()
        emulator.addToken(token)
        for flag in flags {
            emulator.addFlag(project: "web", key: flag, environments: ["production": true, "test": true])
        }
        return emulator
    }

    static func withLaunchDarkly(
        _ emulator: LaunchDarklyEmulator, token: String = LaunchDarklySwitchTests.token, ignoreConflicts: Bool = false,
        timeout: Duration = .seconds(5),
        _ body: @Sendable (any FlagKillSwitch, LaunchDarklyEmulator) async throws -> Void
    ) async throws {
        let server = LaunchDarklyEmulatorServer(emulator: emulator)
        try await withLoopbackServices([server]) { client in
            let apiURL = await server.apiURL()
            try #require(apiURL.hasPrefix("http://127.0.0.1:"))
            let spec = FeatureFlagsSpec(
                backend: .launchDarkly(
                    LaunchDarklyFlagsSpec(
                        apiURL: apiURL, token: ConfigText(token, isSecret: true),
                        tokenSource: "LAUNCHDARKLY_ACCESS_TOKEN", project: "web", environment: "production",
                        ignoreConflicts: ignoreConflicts, apiVersion: "20240415"
                    )
                ),
                disable: flags, timeout: timeout
            )
            let killSwitch = FlagSwitchFactory.make(spec, service: "backend", client: client, redactor: Redactor())
            try await body(killSwitch, emulator)
        }
    }

    @Test("turnFlagOff as a semantic patch with the incident in the comment")
    func disable() async throws {
        try await Self.withLaunchDarkly(Self.emulator()) { killSwitch, emulator in
            #expect(killSwitch.kind == "launchdarkly")
            try await killSwitch.disable(flag: "checkout-v2", incidentID: 7)
            #expect(
                emulator.patches == [
                    LaunchDarklyPatchRecord(
                        project: "web", flag: "checkout-v2", environmentKey: "production",
                        comment: "Rewind incident 7: kill switch", instructions: ["turnFlagOff"],
                        contentType: "application/json; domain-model=launchdarkly.semanticpatch",
                        ignoreConflicts: false,
                        apiVersion: "20240415"
                    )
                ])
            #expect(emulator.isOn(project: "web", flag: "checkout-v2", environment: "production") == false)
            #expect(emulator.isOn(project: "web", flag: "checkout-v2", environment: "test") == true)
            let on = try await killSwitch.isEnabled(flag: "checkout-v2")
            #expect(!on)
            #expect(emulator.requests.last?.query["env"] == "production")
        }
    }

    @Test("turning an off flag off is a no-op success; disable all reports each flag")
    func idempotentAndAll() async throws {
        try await Self.withLaunchDarkly(Self.emulator()) { killSwitch, emulator in
            try await killSwitch.disable(flag: "checkout-v2")
            try await killSwitch.disable(flag: "checkout-v2")
            let outcomes = await killSwitch.disableConfigured(incidentID: 9)
            #expect(outcomes == Self.flags.map { FlagOutcome(flag: $0) })
            #expect(
                emulator.patches.map(\.comment) == [
                    "Rewind kill switch", "Rewind kill switch", "Rewind incident 9: kill switch",
                    "Rewind incident 9: kill switch",
                ])
        }
    }

    @Test("a pending approval blocks the change (400, with the fix); ignore_conflicts applies it")
    func conflicts() async throws {
        let emulator = Self.emulator()
        emulator.addPendingApproval(project: "web", flag: "checkout-v2")
        try await Self.withLaunchDarkly(emulator) { killSwitch, emulator in
            let error = await #expect(throws: ProviderError.self) { try await killSwitch.disable(flag: "checkout-v2") }
            #expect(error?.kind == .rejected)
            #expect(error?.message.contains("set ignore_conflicts: true") == true)
            #expect(emulator.isOn(project: "web", flag: "checkout-v2", environment: "production") == true)
        }
        try await Self.withLaunchDarkly(emulator, ignoreConflicts: true) { killSwitch, emulator in
            try await killSwitch.disable(flag: "checkout-v2")
            #expect(emulator.patches.last?.ignoreConflicts == true)
            #expect(emulator.isOn(project: "web", flag: "checkout-v2", environment: "production") == false)
        }
    }

    @Test("401, 403 (reader role) and 404 are permanent and name what to fix, never the token")
    func refusals() async throws {
        let emulator = Self.emulator()
        emulator.addToken("api-reader-token-5", role: .reader)
        try await Self.withLaunchDarkly(emulator, token: "api-bad-token-3") { killSwitch, _ in
            let error = await #expect(throws: ProviderError.self) { try await killSwitch.disable(flag: "checkout-v2") }
            #expect(error?.kind == .auth)
            #expect(
                error?.message.contains("LaunchDarkly answered 401 unauthorized (unauthorized: Invalid access token)")
                    == true)
            #expect(error?.message.contains("check that LAUNCHDARKLY_ACCESS_TOKEN") == true)
            #expect(error?.message.contains("api-bad-token-3") == false)
        }
        try await Self.withLaunchDarkly(emulator, token: "api-reader-token-5") { killSwitch, _ in
            let error = await #expect(throws: ProviderError.self) { try await killSwitch.disable(flag: "checkout-v2") }
            #expect(error?.kind == .auth)
            #expect(
                error?.message.contains(
                    "LAUNCHDARKLY_ACCESS_TOKEN has a writer role on flag checkout-v2 in project web, environment "
                        + "production"
                ) == true
            )
            let unknown = await #expect(throws: ProviderError.self) { _ = try await killSwitch.isEnabled(flag: "nope") }
            #expect(unknown?.kind == .notFound)
        }
    }

    @Test("429 uses Retry-After, else X-Ratelimit-Reset; 5xx and malformed bodies are classified")
    func failures() async throws {
        try await Self.withLaunchDarkly(Self.emulator()) { killSwitch, emulator in
            emulator.failNext(1, status: 429, retryAfter: 20)
            let limited = await #expect(throws: ProviderError.self) {
                try await killSwitch.disable(flag: "checkout-v2")
            }
            #expect(limited?.kind == .rateLimited)
            #expect(limited?.retryAfter == .seconds(20))

            emulator.failNext(1, status: 429)
            let started = ContinuousClock.now
            let reset = await #expect(throws: ProviderError.self) { try await killSwitch.disable(flag: "checkout-v2") }
            let elapsed = ContinuousClock.now - started
            let wait = try #require(reset?.retryAfter)
            // The reset is 30 s away when the emulator answers; a slow exchange is already gone from the wait.
            #expect(wait <= .seconds(30))
            #expect(wait >= .seconds(28) - elapsed, "waited \(wait) after an exchange of \(elapsed)")

            emulator.failNext(1, status: 502)
            let server = await #expect(throws: ProviderError.self) { try await killSwitch.disable(flag: "checkout-v2") }
            #expect(server?.kind == .server)

            emulator.malformedNext(1)
            let malformed = await #expect(throws: ProviderError.self) {
                try await killSwitch.disable(flag: "checkout-v2")
            }
            #expect(malformed?.kind == .badResponse)
        }
    }

    @Test("a 16-digit Retry-After is an hour's wait, never a crash")
    func hugeRetryAfter() async throws {
        try await Self.withLaunchDarkly(Self.emulator()) { killSwitch, emulator in
            emulator.failNext(1, status: 429, retryAfter: 9_999_999_999_999_999)
            let limited = await #expect(throws: ProviderError.self) {
                try await killSwitch.disable(flag: "checkout-v2")
            }
            #expect(limited?.kind == .rateLimited)
            #expect(limited?.retryAfter == .seconds(3600))
        }
    }

    @Test("access check reads each configured flag in the environment")
    func access() async throws {
        try await Self.withLaunchDarkly(Self.emulator()) { killSwitch, emulator in
            let checks = await killSwitch.checkAccess(service: "backend")
            #expect(checks.count == 2)
            #expect(checks.allSatisfy { $0.passed }, "\(checks)")
            #expect(emulator.patches.isEmpty)
        }
    }

    @Test("a slow answer misses the deadline: a transient timeout")
    func timeout() async throws {
        try await Self.withLaunchDarkly(Self.emulator(), timeout: .milliseconds(250)) { killSwitch, emulator in
            emulator.delayNext(1, by: .seconds(1))
            let slow = await #expect(throws: ProviderError.self) { try await killSwitch.disable(flag: "checkout-v2") }
            #expect(slow?.kind == .timeout)
            #expect(slow?.isTransient == true)
        }
    }
}
