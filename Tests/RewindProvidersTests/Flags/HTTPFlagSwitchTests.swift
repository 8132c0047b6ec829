import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindProviders
import RewindSpecs
import RewindTestSupport
import Testing

/// The generic `http` flag service, pointed at the LaunchDarkly emulator's JSON Patch API.
@Suite("Generic HTTP kill switch")
struct HTTPFlagSwitchTests {
    static let token = "api-http-flags-secret"

    static func withHTTPFlags(
        state: Bool = true, token: String = HTTPFlagSwitchTests.token,
        _ body: @Sendable (any FlagKillSwitch, LaunchDarklyEmulator) async throws -> Void
    ) async throws {
        let emulator = LaunchDarklyEmulator()
        emulator.addToken(Self.token)
        emulator.addFlag(project: "web", key: "checkout-v2", environments: ["production": true])
        let server = LaunchDarklyEmulatorServer(emulator: emulator)
        try await withLoopbackServices([server]) { client in
            let api = await server.apiURL()
            let headers = ["Authorization": ConfigText(token, isSecret: true)]
            let spec = HTTPFlagsSpec(
                disable: HTTPRequestSpec(
                    method: "PATCH", url: "\(api)/flags/web/{{flag}}", headers: headers,
                    body: .array([
                        .object([
                            "op": .string("replace"), "path": .string("/environments/production/on"),
                            "value": .bool(false),
                        ])
                    ]),
                    expectedStatuses: [200]
                ),
                state: state ? HTTPRequestSpec(url: "\(api)/flags/web/{{flag}}?env=production", headers: headers) : nil,
                stateField: "environments.production.on"
            )
            let killSwitch = FlagSwitchFactory.make(
                FeatureFlagsSpec(backend: .http(spec), disable: ["checkout-v2"]), service: "backend", client: client,
                redactor: Redactor(secrets: [token])
            )
            try await body(killSwitch, emulator)
        }
    }

    @Test("renders {{flag}} into the request, turns the flag off and reads it back")
    func disable() async throws {
        try await Self.withHTTPFlags { killSwitch, emulator in
            #expect(killSwitch.kind == "http")
            let before = try await killSwitch.isEnabled(flag: "checkout-v2")
            #expect(before)
            let outcomes = await killSwitch.disableConfigured(incidentID: 3)
            #expect(outcomes == [FlagOutcome(flag: "checkout-v2")])
            #expect(emulator.patches.map(\.instructions) == [["jsonPatch"]])
            let after = try await killSwitch.isEnabled(flag: "checkout-v2")
            #expect(!after)
        }
    }

    @Test("refusals are classified and name the credential header, not its value")
    func refusals() async throws {
        try await Self.withHTTPFlags(token: "api-wrong-http-token") { killSwitch, emulator in
            let auth = await #expect(throws: ProviderError.self) { try await killSwitch.disable(flag: "checkout-v2") }
            #expect(auth?.kind == .auth)
            #expect(auth?.message.contains("the token in the Authorization header") == true)
            #expect(auth?.message.contains("api-wrong-http-token") == false)
        }
        try await Self.withHTTPFlags { killSwitch, emulator in
            let unknown = await #expect(throws: ProviderError.self) { try await killSwitch.disable(flag: "nope") }
            #expect(unknown?.kind == .notFound)
            emulator.failNext(1, status: 429, retryAfter: 5)
            let limited = await #expect(throws: ProviderError.self) {
                try await killSwitch.disable(flag: "checkout-v2")
            }
            #expect(limited?.retryAfter == .seconds(5))
        }
    }

    @Test("without a state request, reading is unsupported and the access check says what to add")
    func withoutState() async throws {
        try await Self.withHTTPFlags(state: false) { killSwitch, _ in
            let error = await #expect(throws: ProviderError.self) {
                _ = try await killSwitch.isEnabled(flag: "checkout-v2")
            }
            #expect(error?.kind == .unsupported)
            let checks = await killSwitch.checkAccess(service: "backend")
            #expect(checks.map(\.passed) == [false])
            #expect(checks.first?.detail.contains("add state:") == true)
        }
    }
}
