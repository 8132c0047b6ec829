import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindProviders
import RewindSandbox
import RewindSpecs
import RewindTestSupport
import Testing

/// The running Vercel emulator, its base URL and an HTTP client for the provider.
struct VercelHarness: Sendable {
    static let token = "vercel-token-3f9a7c21"
    static let team = "team_x9"
    static let projectID = "prj_A1b2C3"
    static let project = "shop-web"

    let vercel: VercelEmulator
    let base: String
    let client: HTTPClient

    /// A provider for `shop-web` in team `team_x9`, with the token from `VERCEL_TOKEN`.
    func provider(
        token: String = VercelHarness.token,
        team: String? = VercelHarness.team,
        mode: VercelProviderSpec.Mode = .rollback,
        timeout: Duration = .seconds(5),
        clock: any RewindClock = SystemClock()
    ) -> VercelProvider {
        VercelProvider(
            spec: spec(token: token, team: team, mode: mode, timeout: timeout),
            client: client,
            redactor: Redactor(secrets: [token]),
            clock: clock
        )
    }

    func spec(
        token: String = VercelHarness.token,
        team: String? = VercelHarness.team,
        mode: VercelProviderSpec.Mode = .rollback,
        timeout: Duration = .seconds(5)
    ) -> VercelProviderSpec {
        VercelProviderSpec(
            token: ConfigText(token, isSecret: true),
            tokenSource: "VERCEL_TOKEN",
            project: Self.project,
            teamID: team,
            apiURL: base,
            timeout: timeout,
            mode: mode
        )
    }

    /// Requests the emulator received for `path` (a prefix), in order.
    func requests(_ path: String) -> [VercelReceivedRequest] {
        vercel.received.filter { $0.path.hasPrefix(path) }
    }
}

/// Seeds the emulator: team `team_x9` (acme) whose token is ``VercelHarness/token``; project `shop-web`
/// with three READY production deployments (`dpl_1` … `dpl_3`, `dpl_3` serving), a preview and a failed build.
func seededVercel() -> VercelEmulator {
    let vercel = VercelEmulator()
    vercel.addToken(VercelHarness.token, teams: [VercelHarness.team])
    vercel.addToken("vercel-token-personal", teams: [])
    vercel.addTeam(id: VercelHarness.team, slug: "acme")
    vercel.addTeam(id: "team_other", slug: "other")
    vercel.addProject(
        id: VercelHarness.projectID,
        name: VercelHarness.project,
        team: VercelHarness.team,
        domains: ["shop.example.com", "www.shop.example.com"]
    )
    let project = VercelHarness.projectID
    vercel.addDeployment(
        .init(id: "dpl_1", createdAt: 1_000_000, meta: ["githubCommitSha": "aaa111"]),
        project: project
    )
    vercel.addDeployment(
        .init(id: "dpl_2", createdAt: 2_000_000, meta: ["githubCommitSha": "bbb222"]),
        project: project
    )
    vercel.addDeployment(.init(id: "dpl_pre", createdAt: 2_500_000, target: nil), project: project)
    vercel.addDeployment(.init(id: "dpl_err", createdAt: 2_600_000, readyState: "ERROR"), project: project)
    vercel.addDeployment(
        .init(id: "dpl_3", createdAt: 3_000_000, meta: ["githubCommitSha": "ccc333"]),
        project: project,
        makeProduction: true
    )
    return vercel
}

/// Runs the Vercel emulator for the duration of `body`, then shuts the client down and stops the server
/// with a graceful shutdown (never by cancelling it with a connection open).
func withVercel<T: Sendable>(
    _ vercel: VercelEmulator = seededVercel(),
    _ body: @Sendable (VercelHarness) async throws -> T
) async throws -> T {
    let server = VercelEmulatorServer(emulator: vercel)
    return try await withLoopbackServices([server]) { client in
        let base = await server.endpoint()
        try #require(base.hasPrefix("http://127.0.0.1:"))
        return try await body(VercelHarness(vercel: vercel, base: base, client: client))
    }
}

/// A deployment of `shop-web` as Rewind's store knows it.
func shopDeployment(_ id: String, version: String? = nil) -> Deployment {
    Deployment(service: "frontend", id: id, version: version ?? id, deployedAt: Timestamp(millisecondsSinceEpoch: 0))
}

let frontendContext = ActionContext(incidentID: 42, current: shopDeployment("dpl_3", version: "ccc333"))
