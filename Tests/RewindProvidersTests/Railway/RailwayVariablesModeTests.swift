import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSpecs
import Testing

@testable import RewindProviders

@Suite("Railway mode: variables (configuration rollback)")
struct RailwayVariablesModeTests {
    typealias H = RailwayHarness

    static let stableURL = "postgres://rewind:stable-db-password-91f2@db-stable:5432/app"

    /// A provider in `mode: variables` whose stable values are `DATABASE_URL` (a secret, from `${STABLE_DB_URL}`)
    /// and `FEATURE_CHECKOUT_V2: "false"` (a literal).
    static func provider(_ h: RailwayHarness, token: String = RailwayHarness.token) -> RailwayProvider {
        var spec = h.spec(token: token, mode: .variables)
        spec.variables = [
            "DATABASE_URL": ConfigText(stableURL, isSecret: true),
            "FEATURE_CHECKOUT_V2": ConfigText("false"),
        ]
        return RailwayProvider(spec: spec, client: h.client, redactor: Redactor(secrets: [H.token, token]))
    }

    static func setService(_ h: RailwayHarness, _ values: [String: String]) {
        h.railway.setVariables(values, projectID: H.project, environmentID: H.environment, serviceID: H.service)
    }

    static func serviceVariables(_ h: RailwayHarness) -> [String: String] {
        h.railway.variables(environmentID: H.environment, serviceID: H.service)
    }

    @Test("only the differing variables are set; Railway redeploys once, with all of them")
    func setsDiffering() async throws {
        try await withRailway { h in
            Self.setService(
                h,
                ["DATABASE_URL": "postgres://bad-host/app", "FEATURE_CHECKOUT_V2": "false", "LOG_LEVEL": "info"]
            )
            let deploymentsBefore = h.railway.deployments(serviceID: H.service).count
            let operation = try await Self.provider(h).rollback(service: "backend", to: H.target(), context: H.context)
            #expect(operation.finished)
            #expect(h.railway.mutations.map(\.field) == ["variableUpsert"])
            #expect(h.railway.mutations.first?.variables["input"]?["name"] == "DATABASE_URL")
            #expect(h.railway.mutations.first?.variables["input"]?["skipDeploys"] == false)
            #expect(Self.serviceVariables(h)["DATABASE_URL"] == Self.stableURL)
            #expect(Self.serviceVariables(h)["LOG_LEVEL"] == "info")
            #expect(h.railway.deployments(serviceID: H.service).count == deploymentsBefore + 1)
            #expect(h.railway.deployments(serviceID: H.service).first?.reason == "variableChange")
        }
    }

    @Test("several differing variables: all but the last staged, the last redeploys")
    func severalDiffering() async throws {
        try await withRailway { h in
            let deploymentsBefore = h.railway.deployments(serviceID: H.service).count
            let operation = try await Self.provider(h).rollback(service: "backend", to: H.target(), context: H.context)
            #expect(operation.finished)
            let inputs = h.railway.mutations.compactMap { $0.variables["input"] }
            #expect(inputs.map { $0["name"] } == ["DATABASE_URL", "FEATURE_CHECKOUT_V2"])
            #expect(inputs.map { $0["skipDeploys"] } == [true, false])
            #expect(Self.serviceVariables(h)["FEATURE_CHECKOUT_V2"] == "false")
            #expect(h.railway.deployments(serviceID: H.service).count == deploymentsBefore + 1)
        }
    }

    @Test("when every variable already has its stable value nothing is sent (idempotent)")
    func nothingWhenAllMatch() async throws {
        try await withRailway { h in
            Self.setService(h, ["DATABASE_URL": Self.stableURL, "FEATURE_CHECKOUT_V2": "false"])
            let provider = Self.provider(h)
            let first = try await provider.rollback(service: "backend", to: H.target(), context: H.context)
            let second = try await provider.rollback(service: "backend", to: H.target(), context: H.context)
            #expect(first.finished && second.finished)
            #expect(h.railway.mutations.isEmpty)
            #expect(h.fields == ["variables", "variables"])
            #expect(try await provider.status(of: first, service: "backend", target: H.target()) == .succeeded)
        }
    }

    @Test("a 403 on the upsert is an auth error naming the token variable and the variable, never a value")
    func forbidden() async throws {
        try await withRailway { h in
            Self.setService(h, ["FEATURE_CHECKOUT_V2": "false"])
            h.railway.failNext(1, status: 403, body: "forbidden: \(Self.stableURL)", field: "variableUpsert")
            let error = await #expect(throws: ProviderError.self) {
                _ = try await Self.provider(h).rollback(service: "backend", to: H.target(), context: H.context)
            }
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("RAILWAY_TOKEN") == true)
            #expect(error?.message.contains("set the variable DATABASE_URL") == true)
            #expect(error?.message.contains(Self.stableURL) == false)
            #expect(error?.message.contains("stable-db-password") == false)
            #expect(error?.message.contains(H.token) == false)
        }
    }

    @Test("a refused token on the read names the variable; no value appears in the error")
    func refusedToken() async throws {
        try await withRailway { h in
            let error = await #expect(throws: ProviderError.self) {
                _ = try await Self.provider(h, token: "rw-bad-token-1234")
                    .rollback(service: "backend", to: H.target(), context: H.context)
            }
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("RAILWAY_TOKEN") == true)
            #expect(error?.message.contains(Self.stableURL) == false)
            #expect(error?.message.contains("rw-bad-token-1234") == false)
            #expect(h.railway.mutations.isEmpty)
        }
    }

    @Test("currentDeployment reads the live deployment as in the other modes")
    func currentDeployment() async throws {
        try await withRailway { h in
            let live = try await Self.provider(h).currentDeployment(service: "backend")
            #expect(live?.id == "d-3")
        }
    }
}
