import Foundation
import RewindSandbox
import Testing

/// The emulator behaves like a GraphQL server, not like a table of canned answers.
@Suite("Railway emulator speaks GraphQL")
struct RailwayEmulatorTests {
    typealias H = RailwayHarness

    static func body(_ query: String, variables: String = "{}", operationName: String? = nil) -> String {
        let name = operationName.map { ", \"operationName\": \"\($0)\"" } ?? ""
        let escaped = query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "{\"query\": \"\(escaped)\", \"variables\": \(variables)\(name)}"
    }

    static let auth = ["Authorization": "Bearer \(H.token)", "Content-Type": "application/json"]

    @Test("the doc's query shape answers only the fields asked for, under their aliases")
    func selection() async throws {
        try await withRailway { h in
            let query = "query S($id: String!) { deployment(id: $id) { id state: status } }"
            let response = try await post(
                h.url,
                body: Self.body(query, variables: "{\"id\": \"d-2\"}"),
                headers: Self.auth
            )
            #expect(response.status == 200)
            let json = try #require(RailwayJSON.parse(Data(response.body.utf8)))
            #expect(json == ["data": ["deployment": ["id": "d-2", "state": "REMOVED"]]])
            #expect(response.headers["x-ratelimit-remaining"] != nil)
        }
    }

    @Test("a selection set on deploymentRollback (Boolean!) is refused like a real server, and nothing is rolled back")
    func booleanSelection() async throws {
        try await withRailway { h in
            let query = "mutation R($id: String!) { deploymentRollback(id: $id) { id status } }"
            let response = try await post(
                h.url,
                body: Self.body(query, variables: "{\"id\": \"d-2\"}"),
                headers: Self.auth
            )
            #expect(response.status == 400)
            #expect(response.body.contains("must not have a selection since type \\\"Boolean!\\\" has no subfields"))
            #expect(h.railway.deployments(serviceID: H.service).count == 4)
        }
    }

    @Test("an unknown operation, a missing argument and a missing required variable are errors")
    func validation() async throws {
        try await withRailway { h in
            let unknown = try await post(
                h.url,
                body: Self.body("mutation { deploymentPromote(id: \"d-2\") }"),
                headers: Self.auth
            )
            #expect(unknown.status == 400)
            #expect(unknown.body.contains("Cannot query field \\\"deploymentPromote\\\" on type \\\"Mutation\\\""))

            let missingArgument = try await post(
                h.url,
                body: Self.body("query { deployment { id } }"),
                headers: Self.auth
            )
            #expect(missingArgument.status == 400)
            #expect(missingArgument.body.contains("argument \\\"id\\\" of type \\\"String!\\\" is required"))

            let missingVariable = try await post(
                h.url,
                body: Self.body("query S($id: String!) { deployment(id: $id) { id } }"),
                headers: Self.auth
            )
            #expect(missingVariable.status == 400)
            #expect(
                missingVariable.body.contains("Variable \\\"$id\\\" of required type \\\"String!\\\" was not provided")
            )

            let syntax = try await post(
                h.url,
                body: Self.body("query { deployment(id: \"d-2\") { id }"),
                headers: Self.auth
            )
            #expect(syntax.status == 400)
            #expect(syntax.body.contains("Syntax Error"))
        }
    }

    @Test("no token is Not Authorized with HTTP 200, the failing field in path and data null")
    func missingToken() async throws {
        try await withRailway { h in
            let response = try await post(
                h.url,
                body: Self.body("query { deployment(id: \"d-2\") { id } }"),
                headers: ["Content-Type": "application/json"]
            )
            #expect(response.status == 200)
            let json = try #require(RailwayJSON.parse(Data(response.body.utf8)))
            #expect(json["data"] == .null)
            #expect(json["errors"]?[0]?["message"] == "Not Authorized")
            #expect(json["errors"]?[0]?["path"] == ["deployment"])
        }
    }

    @Test("a rollback restores the target's variables; variableUpsert with skipDeploys changes the value only")
    func variables() async throws {
        try await withRailway { h in
            let (project, environment, service) = (H.project, H.environment, H.service)
            h.railway.setVariables(
                ["LOG_LEVEL": "debug"],
                projectID: project,
                environmentID: environment,
                serviceID: service
            )
            let upsert = """
                {"query": "mutation V($input: VariableUpsertInput!) { variableUpsert(input: $input) }", "variables": \
                {"input": {"projectId": "\(project)", "environmentId": "\(environment)", "serviceId": "\(service)", \
                "name": "FEATURE_X", "value": "false", "skipDeploys": true}}}
                """
            let response = try await post(h.url, body: upsert, headers: Self.auth)
            #expect(response.body == "{\"data\":{\"variableUpsert\":true}}")
            #expect(h.railway.variables(environmentID: environment, serviceID: service)["FEATURE_X"] == "false")
            #expect(h.railway.deployments(serviceID: service).count == 4)

            let rollback = Self.body(
                "mutation R($id: String!) { deploymentRollback(id: $id) }",
                variables: "{\"id\": \"d-2\"}"
            )
            _ = try await post(h.url, body: rollback, headers: Self.auth)
            #expect(h.railway.variables(environmentID: environment, serviceID: service) == ["LOG_LEVEL": "info"])
        }
    }
}
