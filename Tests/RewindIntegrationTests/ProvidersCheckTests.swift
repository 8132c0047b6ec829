import Foundation
import Logging
import RewindSandbox
import RewindTestSupport
import ServiceLifecycle
import Testing

/// `rewind providers check` against the Vercel emulator: read-only calls, a failing token named
/// by its variable and never shown.
@Suite("CLI: providers check", .serialized)
struct ProvidersCheckTests {
    /// Team `team_x9` with project `shop-web` serving `dpl_1`; `vercel-good-token-1234` may use the team,
    /// `vercel-other-token-5678` may not.
    static func vercel() -> VercelEmulator {
        let vercel = VercelEmulator()
        vercel.addToken("vercel-good-token-1234", teams: ["team_x9"])
        vercel.addToken("vercel-other-token-5678", teams: [])
        vercel.addTeam(id: "team_x9", slug: "acme")
        vercel.addProject(id: "prj_1", name: "shop-web", team: "team_x9", domains: ["shop.example.com"])
        vercel.addDeployment(.init(id: "dpl_1", createdAt: 1_000_000), project: "prj_1", makeProduction: true)
        return vercel
    }

    /// One frontend on Vercel (`shop-web` at `base`), its token in `IT_VERCEL_TOKEN`.
    static func policy(base: String) -> String {
        """
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

        """
    }

    @Test func checksAuthenticationAndPermissionsWithReadOnlyCalls() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let vercel = Self.vercel()
        let server = VercelEmulatorServer(emulator: vercel)
        try await withLoopbackServices([server]) { _ in
            let base = await server.endpoint()
            let config = scratch.file("rewind.yaml")
            try Self.policy(base: base).write(toFile: config, atomically: true, encoding: .utf8)

            let good = try await rewind(
                ["providers", "check", "--config", config], environment: ["IT_VERCEL_TOKEN": "vercel-good-token-1234"])
            #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
            #expect(good.stdout.contains("frontend provider (vercel): ok"))

            let bad = try await rewind(
                ["providers", "check", "--config", config], environment: ["IT_VERCEL_TOKEN": "vercel-other-token-5678"])
            #expect(bad.status == 1)
            #expect(bad.stdout.contains("FAILED"))
            #expect(
                bad.stdout.contains("IT_VERCEL_TOKEN"), "the failing check names the variable to fix: \(bad.stdout)")
            #expect(!bad.stdout.contains("vercel-other-token-5678") && !bad.stderr.contains("vercel-other-token-5678"))
            // Read-only: nothing was rolled back or promoted.
            #expect(vercel.mutations.isEmpty)
        }
    }

    /// After the platform refused a token, checking the fallback that uses the same token on the same
    /// project sends the identical request again: it is skipped with the reason instead.
    @Test func aFallbackWithTheRefusedCredentialIsNotCheckedAgain() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let vercel = Self.vercel()
        let server = VercelEmulatorServer(emulator: vercel)
        try await withLoopbackServices([server]) { _ in
            let base = await server.endpoint()
            let config = scratch.file("rewind.yaml")
            let fallback = """
                    fallback:
                      type: vercel
                      token: ${IT_VERCEL_TOKEN}
                      project: shop-web
                      team_id: team_x9
                      api_url: \(base)
                      mode: promote
                """
            try (Self.policy(base: base) + fallback).write(toFile: config, atomically: true, encoding: .utf8)

            let refused = try await rewind(
                ["providers", "check", "--config", config],
                environment: ["IT_VERCEL_TOKEN": "vercel-revoked-token-0000"])
            #expect(refused.status == 1)
            #expect(refused.stdout.contains("frontend provider (vercel): FAILED"), "\(refused.stdout)")
            #expect(refused.stdout.contains("frontend fallback (vercel): FAILED"), "\(refused.stdout)")
            #expect(refused.stdout.contains("not checked: it uses the same credential"), "\(refused.stdout)")
            #expect(
                vercel.received.filter { $0.path == "/v2/user" }.count == 1, "the refused request is not sent twice")
            #expect(!refused.stdout.contains("vercel-revoked-token-0000"))
        }
    }
}
