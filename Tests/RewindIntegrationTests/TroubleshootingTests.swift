import AsyncHTTPClient
import Foundation
import RewindConfig
import RewindCore
import RewindPorts
import RewindSandbox
import RewindStorePostgres
import RewindStoreSQLite
import RewindTestSupport
import Testing

@testable import RewindApp

/// The guide's troubleshooting, against the Railway emulator: `rewind diff` (what changed between the live
/// deployment and a rollback's target) and `rewind incidents show` (where to look on the platform), and the
/// incident report's post-mortem sections.
@Suite("Troubleshooting: rewind diff, platform links, the post-mortem report")
struct TroubleshootingTests {
    static let token = "rw-account-token-it-5b8e"

    /// A Railway project with backend's d-1 … d-3 (d-3 live), a policy for it, and Rewind's record: d-2 known
    /// good, d-3 live and suspect.
    ///
    /// `postgres`: the record in a fresh PostgreSQL schema (`state: postgresql://…`) instead of `state.db`.
    static func withRailwayBackend(
        postgres: Bool = false, _ body: @Sendable (_ config: String, _ client: HTTPClient) async throws -> Void
    ) async throws {
        let railway = RailwayEmulator()
        railway.addAccountToken(token)
        railway.setVariables(["LOG_LEVEL": "info"], projectID: "p-11", environmentID: "e-22", serviceID: "s-33")
        let now = Date()
        for (index, id) in ["d-1", "d-2", "d-3"].enumerated() {
            railway.addDeployment(
                id: id, projectID: "p-11", environmentID: "e-22", serviceID: "s-33",
                status: id == "d-3" ? "SUCCESS" : "REMOVED",
                createdAt: now.addingTimeInterval(Double(index - 3) * 3600),
                commitHash: String(repeating: String(index + 1), count: 7) + "abcd")
        }
        let server = RailwayEmulatorServer(emulator: railway)
        let scratch = try TemporaryDirectory("diff")
        defer { scratch.remove() }
        try await withLoopbackServices([server]) { client in
            let url = await server.graphQLURL()
            try token.write(toFile: scratch.file("railway-token"), atomically: true, encoding: .utf8)
            let config = scratch.file("rewind.yaml")
            let state = postgres ? try StateMigrationTests.target() : "state.db"
            try """
            state: \(state)
            services:
              backend:
                checks: [{ name: health, url: "http://127.0.0.1:1/health" }]
                provider:
                  type: railway
                  token: "${file:\(scratch.file("railway-token"))}"
                  project_id: p-11
                  environment_id: e-22
                  service_id: s-33
                  api_url: \(url)

            """.write(toFile: config, atomically: true, encoding: .utf8)
            let store: any RewindStore =
                postgres
                ? try await PostgresStore.open(try PostgresSettings(url: state))
                : try SQLiteStore(path: scratch.file("state.db"))
            let millis = Int64(now.timeIntervalSince1970 * 1000)
            try await store.recordDeployment(
                Deployment(
                    service: "backend", id: "d-2", version: "2222222",
                    deployedAt: Timestamp(millisecondsSinceEpoch: millis - 7_200_000),
                    trust: .knownGood, commit: "2222222abcd",
                    knownGoodAt: Timestamp(millisecondsSinceEpoch: millis - 3_600_000)),
                makeLive: false)
            try await store.recordDeployment(
                Deployment(
                    service: "backend", id: "d-3", version: "3333333",
                    deployedAt: Timestamp(millisecondsSinceEpoch: millis - 3_600_000),
                    trust: .suspect, commit: "3333333abcd"),
                makeLive: true)
            try await body(config, client)
            await (store as? PostgresStore)?.shutdown()
            #expect(railway.mutations.isEmpty, "troubleshooting never changes the platform")
        }
    }

    /// The same record in PostgreSQL, as replicas keep it: `rewind diff` reads it there.
    @Test(.enabled(if: TestPostgres.url != nil || TestPostgres.isRequired))
    func diffReadsAPostgreSQLState() async throws {
        try await Self.withRailwayBackend(postgres: true) { config, client in
            let report = try await DeploymentDiff.run(
                configPath: config, service: "backend", from: nil, to: nil, client: client)
            #expect(report.from.id == "d-3" && report.from.trust == .suspect)
            #expect(report.to.id == "d-2" && report.to.why.hasPrefix("the target a rollback would choose"))
            #expect(report.commits == "2222222abcd..3333333abcd")
        }
    }

    @Test func diffComparesTheLiveDeploymentWithTheTargetARollbackWouldChoose() async throws {
        try await Self.withRailwayBackend { config, client in
            let report = try await DeploymentDiff.run(
                configPath: config, service: "backend", from: nil, to: nil, client: client)
            #expect(report.from.id == "d-3")
            #expect(report.from.why == "live (the platform's)")
            #expect(report.from.trust == .suspect)
            #expect(report.to.id == "d-2")
            #expect(report.to.why.hasPrefix("the target a rollback would choose"))
            #expect(report.commits == "2222222abcd..3333333abcd")
            #expect(report.platforms.map(\.platform) == ["railway"])
            #expect(report.problems.isEmpty)
            let text = report.text
            #expect(text.contains("commits: 2222222abcd..3333333abcd (git log 2222222abcd..3333333abcd"))
            #expect(
                text.contains("note: variables: Railway's API does not show the variables a past deployment ran with"))

            let named = try await DeploymentDiff.run(
                configPath: config, service: "backend", from: "3333333", to: "d-1", client: client)
            #expect(named.from.id == "d-3" && named.from.why == "--from")
            #expect(named.to.id == "d-1" && named.to.trust == nil)
            #expect(named.commits == "1111111abcd..3333333abcd")
        }
    }

    @Test func diffOnTheCommandLinePrintsJSONAndRefusesAnUnknownService() async throws {
        try await Self.withRailwayBackend { config, _ in
            let json = try await runRewindAwaiting(["diff", "backend", "--config", config, "--output", "json"])
            #expect(json.status == 0, "\(json.stderr)")
            #expect(json.stdout.contains("\"commits\" : \"2222222abcd..3333333abcd\""))
            let unknown = try await runRewindAwaiting(["diff", "payments", "--config", config])
            #expect(unknown.status == 64)
            #expect(unknown.stderr.contains("unknown service 'payments'"))
        }
    }

    @Test func incidentsShowKeepsTextAsTextAndLinksThePlatformPages() async throws {
        try await Self.withRailwayBackend { config, _ in
            let configuration = try Composition.loadConfiguration(config)
            let live = Deployment(
                service: "backend", id: "d-3", version: "3333333", deployedAt: Timestamp(millisecondsSinceEpoch: 0))
            let good = Deployment(
                service: "backend", id: "d-2", version: "2222222", deployedAt: Timestamp(millisecondsSinceEpoch: 0))
            let step = PlanStep(
                id: "rollback-backend", service: "backend", from: live, to: good, timeout: .seconds(30), dependsOn: [])
            let incident = Incident(
                id: 3, openedAt: Timestamp(millisecondsSinceEpoch: 0), services: ["backend"], trigger: .manual,
                severity: .high,
                strategy: .fast, status: .completed, summary: "backend <slow> & failing",
                plan: Plan(strategy: .fast, steps: [step], freeze: nil), reason: "rollout v2 -> v1")
            let dossier = IncidentDossier(
                incident: incident,
                timeline: [
                    TimelineEvent(
                        incidentID: 3, at: Timestamp(millisecondsSinceEpoch: 1000), kind: .stepOutcome,
                        message: "3333333 (d-3) -> 2222222 (d-2)")
                ])

            let links = DeploymentLinks.of(dossier, platforms: configuration.platforms)
            #expect(links.map(\.deployment) == ["d-3", "d-2"])
            #expect(links.map(\.role) == ["rolled back from", "rolled back to"])
            let text = Rendering.incident(dossier, links: links)
            #expect(text.contains("# Incident #3: backend <slow> & failing"))
            #expect(text.contains("3333333 (d-3) -> 2222222 (d-2)"))
            #expect(!text.contains("&gt;") && !text.contains("&lt;") && !text.contains("&amp;"))
            #expect(text.contains("## On the platform"))
            #expect(text.contains("- backend d-3 (rolled back from, railway):"))
            #expect(
                text.contains("  - deployment: https://railway.com/project/p-11/service/s-33?environmentId=e-22&id=d-3")
            )
            #expect(
                text.contains(
                    "  - build logs: https://railway.com/project/p-11/service/s-33?environmentId=e-22&id=d-2#build"))
            #expect(!text.contains(Self.token))

            let json = Rendering.json(IncidentView(dossier: dossier, links: links))
            #expect(json.contains("\"incident\" : {"))
            #expect(json.contains("\"links\" : ["))
        }
    }

    @Test func theReportIsAPostMortemInEveryFormat() throws {
        let scratch = try TemporaryDirectory("report")
        defer { scratch.remove() }
        let incident = Incident(
            id: 9, openedAt: Timestamp(millisecondsSinceEpoch: 0), closedAt: Timestamp(millisecondsSinceEpoch: 60_000),
            services: ["backend"], trigger: .manual, severity: .high, strategy: .fast, status: .completed,
            summary: "bad migration", reason: "bad migration")
        var tasks = PostRollbackWork.tasks(
            incidentID: 9, at: Timestamp(millisecondsSinceEpoch: 60_000), postMortemWithin: .seconds(86_400))
        for index in tasks.indices where tasks[index].id == PostMortem.rootCauseTask {
            tasks[index].note = "the migration locked the orders table"
            tasks[index].state = .done
        }
        let dossier = IncidentDossier(incident: incident, timeline: [], tasks: tasks)

        let markdown = try String(
            contentsOfFile: try Rendering.writeReport(dossier, format: .md, path: scratch.file("r.md"))[0],
            encoding: .utf8)
        for section in [
            "## Summary", "## Impact", "## Timeline", "## Root cause", "## Action items", "## Lessons learned",
        ] {
            #expect(markdown.contains(section), "\(section) missing")
        }
        #expect(markdown.contains("the migration locked the orders table"))
        let html = try String(
            contentsOfFile: try Rendering.writeReport(dossier, format: .html, path: scratch.file("r.html"))[0],
            encoding: .utf8)
        #expect(html.contains("<h2>Root cause</h2><p>the migration locked the orders table</p>"))
        let json = try Data(
            contentsOf: URL(
                fileURLWithPath: try Rendering.writeReport(dossier, format: .json, path: scratch.file("r.json"))[0]))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let postMortem = try #require(object["post_mortem"] as? [String: Any])
        #expect(postMortem["root_cause"] as? String == "the migration locked the orders table")
        #expect((postMortem["action_items"] as? [Any])?.count == tasks.count)
    }
}
