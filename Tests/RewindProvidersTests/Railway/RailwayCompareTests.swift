import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSpecs
import Testing

@testable import RewindProviders

@Suite("Railway: what changed between two deployments (rewind diff)")
struct RailwayCompareTests {
    typealias H = RailwayHarness

    static func recorded(_ id: String, commit: String? = nil) -> Deployment {
        Deployment(
            service: "backend", id: id, version: id, deployedAt: Timestamp(millisecondsSinceEpoch: 0), commit: commit)
    }

    @Test(
        "the commits come from each deployment's meta; Railway cannot tell a past deployment's variables, and says so")
    func commitsAndWhatRailwayCannotTell() async throws {
        try await withRailway { h in
            let comparison = try await h.provider().compare(
                service: "backend", from: H.target("d-3"), to: H.target("d-2"))
            #expect(comparison.platform == "railway")
            #expect(comparison.from.commit == "3333333cccc")
            #expect(comparison.to.commit == "2222222bbbb")
            #expect(comparison.variables == nil)
            #expect(comparison.notes.contains { $0.contains("does not show the variables a past deployment ran with") })
            #expect(comparison.notes.contains { $0.contains("the service has 1 variables now") })
            #expect(h.railway.mutations.isEmpty, "comparing is read-only")
        }
    }

    @Test("mode: variables: the names a configuration rollback would change, never a value")
    func variableNames() async throws {
        try await withRailway { h in
            let secret = "postgres://rewind:live-db-password-77@db-live/app"
            h.railway.setVariables(
                ["DATABASE_URL": secret, "FEATURE_CHECKOUT_V2": "false", "LOG_LEVEL": "debug", "CACHE_TTL": "60"],
                projectID: H.project, environmentID: H.environment, serviceID: H.service)
            var spec = h.spec(mode: .variables)
            spec.variables = [
                "DATABASE_URL": ConfigText(RailwayVariablesModeTests.stableURL, isSecret: true),
                "FEATURE_CHECKOUT_V2": ConfigText("false"),
                "NEW_FLAG": ConfigText("on"),
            ]
            let provider = RailwayProvider(spec: spec, client: h.client, redactor: Redactor(secrets: [H.token]))
            // A configuration rollback compares git commits Railway does not know: only the variables are read.
            let comparison = try await provider.compare(
                service: "backend", from: Self.recorded("4f2a1c", commit: "4f2a1c"),
                to: Self.recorded("9e1f00", commit: "9e1f00"))

            let variables = try #require(comparison.variables)
            #expect(variables.changed == ["DATABASE_URL"])
            #expect(variables.added == ["NEW_FLAG"])
            #expect(variables.removed.isEmpty)
            #expect(variables.unchanged == 1)
            #expect(comparison.from.commit == "4f2a1c")
            let encoded = String(decoding: try JSONEncoder().encode(comparison), as: UTF8.self)
            #expect(!encoded.contains(secret) && !encoded.contains("stable-db-password"))
            #expect(h.fields == ["variables"])
        }
    }
}
