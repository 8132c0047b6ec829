import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import Testing

@testable import RewindProviders

@Suite("Railway variables for configuration rollback")
struct RailwayVariablesTests {
    typealias H = RailwayHarness

    static func variables(_ h: RailwayHarness, token: String = RailwayHarness.token) -> RailwayVariables {
        RailwayVariables(spec: h.spec(token: token), client: h.client, redactor: Redactor(secrets: [H.token]))
    }

    @Test("variables are read unrendered, shared ones included, so references can be set back as written")
    func readUnrendered() async throws {
        try await withRailway { h in
            h.railway.setVariables(["REGION": "eu"], projectID: H.project, environmentID: H.environment, serviceID: nil)
            h.railway.setVariables(
                ["DATABASE_URL": "${{Postgres.DATABASE_URL}}", "LOG_LEVEL": "info"],
                projectID: H.project,
                environmentID: H.environment,
                serviceID: H.service
            )
            let values = try await Self.variables(h).variables(service: "backend")
            #expect(values == ["REGION": "eu", "DATABASE_URL": "${{Postgres.DATABASE_URL}}", "LOG_LEVEL": "info"])
            let request = try #require(h.railway.requests.first)
            #expect(request.operationName == "Variables")
            #expect(
                request.variables == [
                    "projectId": "p-11", "environmentId": "e-22", "serviceId": "s-33", "unrendered": true,
                ]
            )
        }
    }

    @Test("setVariable upserts the value (Railway redeploys by default; redeploy: false skips it)")
    func setVariable() async throws {
        try await withRailway { h in
            let variables = Self.variables(h)
            try await variables.setVariable(name: "FEATURE_CHECKOUT_V2", value: "false", service: "backend")
            #expect(
                h.railway.variables(environmentID: H.environment, serviceID: H.service)["FEATURE_CHECKOUT_V2"]
                    == "false"
            )
            let mutation = try #require(h.railway.mutations.first)
            #expect(mutation.field == "variableUpsert")
            #expect(
                mutation.variables["input"] == [
                    "projectId": "p-11", "environmentId": "e-22", "serviceId": "s-33", "name": "FEATURE_CHECKOUT_V2",
                    "value": "false", "skipDeploys": false,
                ]
            )
            #expect(h.railway.deployments(serviceID: H.service).first?.reason == "variableChange")

            try await variables.setVariable(
                name: "LOG_LEVEL",
                value: "${{shared.LEVEL}}",
                service: "backend",
                redeploy: false
            )
            #expect(h.railway.mutations.last?.variables["input"]?["skipDeploys"] == true)
            #expect(h.railway.mutations.last?.variables["input"]?["value"] == "${{shared.LEVEL}}")
            #expect(h.railway.deployments(serviceID: H.service).count == 5)
        }
    }

    @Test("a refused token is an auth error naming the variable; neither the token nor the value appears")
    func refused() async throws {
        try await withRailway { h in
            let error = await #expect(throws: ProviderError.self) {
                try await Self.variables(h, token: "rw-bad-token-1234").setVariable(
                    name: "API_KEY",
                    value: "very-secret-value",
                    service: "backend"
                )
            }
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("set the variable API_KEY") == true)
            #expect(error?.message.contains("RAILWAY_TOKEN") == true)
            #expect(error?.message.contains("very-secret-value") == false)
            #expect(error?.message.contains("rw-bad-token-1234") == false)
        }
    }
}
