import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSpecs
import RewindTestSupport
import Testing

@testable import RewindProviders

/// The running Railway emulator, its GraphQL URL and an HTTP client for the provider.
struct RailwayHarness: Sendable {
    static let token = "rw-account-token-5b8e1c"
    static let projectToken = "rw-project-token-77d2a0"
    static let project = "p-11"
    static let environment = "e-22"
    static let service = "s-33"
    /// When the seeded deployments were created: d-1 three hours before, d-2 two, d-3 one.
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    let railway: RailwayEmulator
    let url: String
    let client: HTTPClient

    func spec(
        token: String = RailwayHarness.token,
        kind: RailwayProviderSpec.TokenKind = .account,
        mode: RailwayProviderSpec.Mode = .rollback,
        timeout: Duration = .seconds(5)
    ) -> RailwayProviderSpec {
        RailwayProviderSpec(
            token: ConfigText(token, isSecret: true),
            tokenSource: "RAILWAY_TOKEN",
            tokenKind: kind,
            projectID: Self.project,
            environmentID: Self.environment,
            serviceIDs: ["backend": Self.service],
            apiURL: url,
            timeout: timeout,
            mode: mode
        )
    }

    func provider(
        token: String = RailwayHarness.token,
        kind: RailwayProviderSpec.TokenKind = .account,
        mode: RailwayProviderSpec.Mode = .rollback,
        timeout: Duration = .seconds(5)
    ) -> RailwayProvider {
        RailwayProvider(
            spec: spec(token: token, kind: kind, mode: mode, timeout: timeout),
            client: client,
            redactor: Redactor(secrets: [RailwayHarness.token, RailwayHarness.projectToken, token])
        )
    }

    /// The deployment Rewind rolls back to: d-2, known good.
    static func target(_ id: String = "d-2", version: String = "2222222") -> Deployment {
        Deployment(
            service: "backend",
            id: id,
            version: version,
            deployedAt: Timestamp(millisecondsSinceEpoch: 1_000),
            trust: .knownGood
        )
    }

    static let context = ActionContext(incidentID: 7, current: nil)

    /// The names of the root fields received, oldest first.
    var fields: [String] { railway.requests.compactMap(\.field) }
}

/// Runs the Railway emulator — seeded with service `s-33`: d-1 and d-2 `REMOVED`, d-3 `SUCCESS` (live), d-4
/// `FAILED` (a build that never went live) — for the duration of `body`, then shuts the client down and stops the
/// server with a graceful shutdown.
func withRailway<T: Sendable>(_ body: @Sendable (RailwayHarness) async throws -> T) async throws -> T {
    let railway = RailwayEmulator()
    railway.addAccountToken(RailwayHarness.token)
    railway.addProjectToken(
        RailwayHarness.projectToken,
        projectID: RailwayHarness.project,
        environmentID: RailwayHarness.environment
    )
    seed(railway)
    let server = RailwayEmulatorServer(emulator: railway)
    return try await withLoopbackServices([server], beforeShutdown: { railway.releaseDelayed() }) { client in
        let url = await server.graphQLURL()
        try #require(url.hasPrefix("http://127.0.0.1:"))
        return try await body(RailwayHarness(railway: railway, url: url, client: client))
    }
}

private func seed(_ railway: RailwayEmulator) {
    let (project, environment, service) = (RailwayHarness.project, RailwayHarness.environment, RailwayHarness.service)
    let now = RailwayHarness.now
    railway.setVariables(["LOG_LEVEL": "info"], projectID: project, environmentID: environment, serviceID: service)
    let seeds: [(id: String, status: String, hoursAgo: Double, commit: String)] = [
        ("d-1", "REMOVED", 3, "1111111aaaa"), ("d-2", "REMOVED", 2, "2222222bbbb"),
        ("d-3", "SUCCESS", 1, "3333333cccc"),
        ("d-4", "FAILED", 0.5, "4444444dddd"),
    ]
    for seed in seeds {
        railway.addDeployment(
            id: seed.id,
            projectID: project,
            environmentID: environment,
            serviceID: service,
            status: seed.status,
            createdAt: now.addingTimeInterval(-seed.hoursAgo * 3600),
            commitHash: seed.commit
        )
    }
}
