import AsyncHTTPClient
import Foundation
import Logging
import RewindCore
import RewindSandbox
import RewindStorePostgres
import RewindStoreSQLite
import RewindTestSupport
import ServiceLifecycle
import Testing

#if canImport(Glibc)
    import Glibc
    import NIOHTTP1
    import RewindPorts
#endif

/// `rewind drill` (observe and --execute) and `rewind rollback --force`, as a user runs them.
@Suite("CLI: drills and forced rollbacks", .serialized)
struct DrillTests {
    /// The Vercel project the observe drills look at: shop-web with dpl_1 and dpl_2 (in production).
    static func shopWeb() -> VercelEmulator {
        let vercel = VercelEmulator()
        vercel.addToken("vercel-drill-token-1234", teams: ["team_x9"])
        vercel.addTeam(id: "team_x9", slug: "acme")
        vercel.addProject(id: "prj_1", name: "shop-web", team: "team_x9", domains: ["shop.example.com"])
        vercel.addDeployment(.init(id: "dpl_1", createdAt: 1_000_000), project: "prj_1")
        vercel.addDeployment(.init(id: "dpl_2", createdAt: 2_000_000), project: "prj_1", makeProduction: true)
        return vercel
    }

    /// Rewind's record of shop-web: dpl_1 known good, dpl_2 live.
    static func recordShopWeb(in store: any RewindStore) async throws {
        try await store.recordDeployment(
            Deployment(
                service: "frontend", id: "dpl_1", version: "dpl_1",
                deployedAt: Timestamp(millisecondsSinceEpoch: 1_000_000),
                trust: .knownGood, knownGoodAt: Timestamp(millisecondsSinceEpoch: 1_500_000)),
            makeLive: false)
        try await store.recordDeployment(
            Deployment(
                service: "frontend", id: "dpl_2", version: "dpl_2",
                deployedAt: Timestamp(millisecondsSinceEpoch: 2_000_000)),
            makeLive: true)
    }

    /// frontend on shop-web, checked against the sandbox, its state at `state`.
    static func frontendPolicy(state: String, endpoints: SandboxEndpoints, vercel: String) -> String {
        """
        state: \(state)
        services:
          frontend:
            checks:
              - { name: health, url: "\(endpoints.services["frontend"]!)/health" }
            provider:
              type: vercel
              token: ${IT_VERCEL_TOKEN}
              project: shop-web
              team_id: team_x9
              api_url: \(vercel)
        """
    }

    /// Observe mode against the Vercel emulator: only GETs reach the platform, the state is neither
    /// created nor changed, every step reports a duration, and a missing target is a finding (exit 1).
    @Test func observeChangesNothingTimesEveryStepAndReportsAMissingTarget() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let vercel = Self.shopWeb()
        let server = VercelEmulatorServer(emulator: vercel)
        try await withSandbox { _, endpoints in
            try await withLoopbackServices([server]) { _ in
                let config = scratch.file("rewind.yaml")
                try Self.frontendPolicy(state: "state.db", endpoints: endpoints, vercel: await server.endpoint())
                    .write(toFile: config, atomically: true, encoding: .utf8)
                let environment = ["IT_VERCEL_TOKEN": "vercel-drill-token-1234"]

                // No state yet: nothing is known good, so there is no target.
                let bare = try await runRewindAwaiting(
                    ["drill", "frontend", "--config", config], environment: environment)
                #expect(bare.status == 1, "\(bare.stdout)\(bare.stderr)")
                #expect(bare.stdout.contains("no known-good deployment of frontend before dpl_2"), "\(bare.stdout)")
                #expect(bare.stdout.contains("Findings (1)"), "\(bare.stdout)")
                #expect(
                    !FileManager.default.fileExists(atPath: scratch.file("state.db")),
                    "an observe drill created the state")

                // dpl_1 known good, dpl_2 live: the drill finds what a rollback needs.
                let store = try SQLiteStore(path: scratch.file("state.db"))
                try await Self.recordShopWeb(in: store)
                let recordedBefore = try await store.deployments(of: "frontend")

                let drill = try await runRewindAwaiting(
                    ["drill", "frontend", "--config", config, "--output", "json"], environment: environment)
                #expect(drill.status == 0, "\(drill.stdout)\(drill.stderr)")
                let report = try #require(
                    try JSONSerialization.jsonObject(with: Data(drill.stdout.utf8)) as? [String: Any])
                let steps = report["steps"] as? [[String: Any]] ?? []
                let names = steps.compactMap { $0["name"] as? String }
                #expect(
                    names == [
                        "load and validate the policy", "provider access checks", "read the live deployment",
                        "list deployments",
                        "pick the rollback target", "plan (fast)", "probe health checks", "notification channels",
                    ])
                #expect(
                    steps.allSatisfy { ($0["duration_ms"] as? Double).map { $0 >= 0 } ?? false }, "every step is timed")
                #expect((report["findings"] as? [String])?.isEmpty == true, "\(drill.stdout)")
                #expect(drill.stdout.contains("dpl_1: the newest known-good deployment before dpl_2"))

                // Read-only, everywhere.
                #expect(!vercel.received.isEmpty)
                #expect(
                    vercel.received.allSatisfy { $0.method == "GET" },
                    "\(vercel.received.map { "\($0.method) \($0.path)" })")
                #expect(vercel.mutations.isEmpty)
                #expect(vercel.production(project: "prj_1") == "dpl_2")
                #expect(try await store.deployments(of: "frontend") == recordedBefore)
                #expect(try await store.incidents(limit: 10).isEmpty)
            }
        }
    }

    /// An observe drill on a PostgreSQL state (replicas keep theirs there): it finds the known-good target in it.
    @Test(.enabled(if: TestPostgres.url != nil || TestPostgres.isRequired))
    func observeReadsAPostgreSQLState() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let vercel = Self.shopWeb()
        let server = VercelEmulatorServer(emulator: vercel)
        let state = try StateMigrationTests.target()
        let store = try await PostgresStore.open(try PostgresSettings(url: state))
        try await Self.recordShopWeb(in: store)
        try await withSandbox { _, endpoints in
            try await withLoopbackServices([server]) { _ in
                let config = scratch.file("rewind.yaml")
                try Self.frontendPolicy(state: state, endpoints: endpoints, vercel: await server.endpoint())
                    .write(toFile: config, atomically: true, encoding: .utf8)
                let drill = try await runRewindAwaiting(
                    ["drill", "frontend", "--config", config],
                    environment: ["IT_VERCEL_TOKEN": "vercel-drill-token-1234"])
                #expect(drill.status == 0, "\(drill.stdout)\(drill.stderr)")
                #expect(
                    drill.stdout.contains("dpl_1: the newest known-good deployment before dpl_2"), "\(drill.stdout)")
                #expect(try await store.incidents(limit: 10).isEmpty)
                #expect(vercel.mutations.isEmpty)
            }
        }
        await store.shutdown()
    }

    /// `--execute` against the sandbox: rolled back and forward (two manual incidents, verified),
    /// the platform ends on the original deployment, and the trust marks are as they were.
    @Test func executeRollsBackAndForward() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        try await withSandbox { world, endpoints in
            let config = scratch.file("rewind.yaml")
            try daemonConfig(endpoints: endpoints, port: try freeLoopbackPort()).write(
                toFile: config, atomically: true, encoding: .utf8)
            world.deploy(service: "backend", SandboxDeployment(id: "be-v2", version: "v2"))
            let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
            let store = try SQLiteStore(path: scratch.file("state.db"))
            try await store.recordDeployment(
                Deployment(
                    service: "backend", id: "be-v1", version: "v1", deployedAt: now - .seconds(7200), trust: .knownGood,
                    knownGoodAt: now - .seconds(3600)), makeLive: false)
            try await store.recordDeployment(
                Deployment(
                    service: "backend", id: "be-v2", version: "v2", deployedAt: now - .seconds(3600), trust: .knownGood,
                    knownGoodAt: now - .seconds(1800)), makeLive: true)

            let drill = try await runRewindAwaiting(["drill", "backend", "--execute", "--config", config])
            #expect(drill.status == 0, "\(drill.stdout)\(drill.stderr)")
            #expect(drill.stdout.contains("roll back (incident #1)"), "\(drill.stdout)")
            #expect(drill.stdout.contains("roll forward to v2 (be-v2) (incident #2)"), "\(drill.stdout)")
            #expect(drill.stdout.contains("rollback-backend"))
            #expect(drill.stdout.contains("verify-backend: passed"))

            #expect(world.rollbackCalls(service: "backend") == 2)
            #expect(world.live(service: "backend")?.id == "be-v2")
            let incidents = try await store.incidents(limit: 10)
            #expect(incidents.count == 2)
            #expect(
                incidents.allSatisfy {
                    $0.trigger == .manual && $0.status == .completed && ($0.reason ?? "").hasPrefix("drill")
                })
            let trust = Dictionary(
                uniqueKeysWithValues: try await store.deployments(of: "backend").map { ($0.id, $0.trust) })
            #expect(trust == ["be-v1": .knownGood, "be-v2": .knownGood], "a drill leaves the trust marks as they were")
            #expect(try await store.liveDeployment(of: "backend")?.id == "be-v2")
        }
    }

    /// `--force` through the daemon: the API validates it, an unforced rollback to a deployment that
    /// is not known good is refused naming --force, and the forced one completes unverified, journaled.
    @Test func forcedRollbackThroughTheDaemon() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        try await withSandbox { world, endpoints in
            let port = try freeLoopbackPort()
            let config = scratch.file("rewind.yaml")
            try daemonConfig(endpoints: endpoints, port: port).write(toFile: config, atomically: true, encoding: .utf8)
            world.deploy(service: "backend", SandboxDeployment(id: "be-v2", version: "v2"))
            let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
            let store = try SQLiteStore(path: scratch.file("state.db"))
            try await store.recordDeployment(
                Deployment(service: "backend", id: "be-v1", version: "v1", deployedAt: now - .seconds(60)),
                makeLive: false)
            try await store.recordDeployment(
                Deployment(service: "backend", id: "be-v2", version: "v2", deployedAt: now), makeLive: true)

            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            // However the test ends: a client dropped without shutdown stops the whole test process.
            defer { client.shutdown { _ in } }
            let api = API(client: client, base: "http://127.0.0.1:\(port)")
            let daemon = try await DaemonProcess(config: config, log: scratch.file("daemon.log"))
            try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }

            let badType = try await api.call(
                .POST, "/api/v1/rollbacks", json: #"{"service":"backend","reason":"x","force":"yes"}"#)
            #expect(badType.status == 400)
            #expect(badType.body.contains("force"), "\(badType.body)")
            let unforced = try await api.call(
                .POST, "/api/v1/rollbacks", json: #"{"service":"backend","reason":"x","force":false}"#)
            #expect(unforced.status == 409)
            #expect(unforced.body.contains("--force"), "\(unforced.body)")
            let refused = try await runRewindAwaiting([
                "rollback", "backend", "--reason", "checkout broken", "--config", config,
            ])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("--force"), "\(refused.stderr)")
            #expect(world.rollbackCalls(service: "backend") == 0)

            let forced = try await runRewindAwaiting([
                "rollback", "backend", "--reason", "checkout broken", "--force", "--config", config,
            ])
            #expect(forced.status == 0, "\(forced.stdout)\(forced.stderr)")
            #expect(forced.stdout.contains("completed (forced: verification skipped)"), "\(forced.stdout)")
            #expect(world.live(service: "backend")?.id == "be-v1")
            #expect(world.rollbackCalls(service: "backend") == 1)

            let shown = try await runRewindAwaiting(["incidents", "show", "1", "--config", config])
            #expect(shown.stdout.contains("forced by an operator"), "\(shown.stdout)")
            #expect(!shown.stdout.contains("`verification`"), "a forced rollback is not verified: \(shown.stdout)")
            let detail = try await api.object("/api/v1/incidents/1")
            let plan = (detail["incident"] as? [String: Any])?["plan"] as? [String: Any]
            #expect(plan?["verify"] as? Bool == false)

            daemon.kill(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            try await client.shutdown()
        }
    }
}
