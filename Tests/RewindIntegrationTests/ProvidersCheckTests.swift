import Foundation
import Logging
import RewindSandbox
import ServiceLifecycle
import Testing

/// `rewind providers check` against the Vercel emulator: read-only calls, a failing token named
/// by its variable and never shown.
@Suite("CLI: providers check")
struct ProvidersCheckTests {
    @Test func checksAuthenticationAndPermissionsWithReadOnlyCalls() async throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let vercel = VercelEmulator()
        vercel.addToken("vercel-good-token-1234", teams: ["team_x9"])
        vercel.addToken("vercel-other-token-5678", teams: [])
        vercel.addTeam(id: "team_x9", slug: "acme")
        vercel.addProject(id: "prj_1", name: "shop-web", team: "team_x9", domains: ["shop.example.com"])
        vercel.addDeployment(.init(id: "dpl_1", createdAt: 1_000_000), project: "prj_1", makeProduction: true)
        let server = VercelEmulatorServer(emulator: vercel)
        var logger = Logger(label: "rewind.tests.vercel")
        logger.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let base = await server.endpoint()
            let config = scratch.file("rewind.yaml")
            try """
                state: state.db
                services:
                  frontend:
                    checks:
                      - { name: health, url: "http://127.0.0.1:1/health" }
                    provider:
                      type: vercel
                      token: ${IT_VERCEL_TOKEN}
                      project: shop-web
                      team_id: team_x9
                      api_url: \(base)
                """.write(toFile: config, atomically: true, encoding: .utf8)

            let good = try runRewind(["providers", "check", "--config", config], environment: ["IT_VERCEL_TOKEN": "vercel-good-token-1234"])
            #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
            #expect(good.stdout.contains("frontend provider (vercel): ok"))

            let bad = try runRewind(["providers", "check", "--config", config], environment: ["IT_VERCEL_TOKEN": "vercel-other-token-5678"])
            #expect(bad.status == 1)
            #expect(bad.stdout.contains("FAILED"))
            #expect(bad.stdout.contains("IT_VERCEL_TOKEN"), "the failing check names the variable to fix: \(bad.stdout)")
            #expect(!bad.stdout.contains("vercel-other-token-5678") && !bad.stderr.contains("vercel-other-token-5678"))
            // Read-only: nothing was rolled back or promoted.
            #expect(vercel.mutations.isEmpty)

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
