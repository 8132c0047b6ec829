import RewindCore
import RewindPorts
import RewindProviders
import RewindSandbox
import Testing

/// The deployment tracker's view of Vercel: a first full listing, then `since=<newest createdAt>` so that a
/// poll with nothing new answers an empty page (platform-apis.md §1.3).
@Suite("Vercel incremental listing")
struct VercelIncrementalListingTests {
    @Test("the first poll lists every READY production deployment; the second sends since= and gets nothing")
    func secondPollTransfersNothing() async throws {
        try await withVercel { h in
            let provider = h.provider()
            let first = try await provider.listDeployments(service: "frontend", since: nil)
            #expect(first.deployments.map(\.id) == ["dpl_3", "dpl_2", "dpl_1"])
            #expect(first.cursor == ListingCursor("3000000"))
            #expect(!first.incremental)
            #expect(first.live == .unknown)
            #expect(h.requests("/v6/deployments").first?.query["since"] == nil)

            let second = try await provider.listDeployments(service: "frontend", since: first.cursor)
            #expect(second.deployments.isEmpty)
            #expect(second.incremental)
            #expect(second.cursor == first.cursor)
            let request = try #require(h.requests("/v6/deployments").last)
            #expect(request.query["since"] == "3000000")
            #expect(request.query["projectId"] == VercelHarness.project)
            #expect(request.query["state"] == "READY")
            #expect(request.query["teamId"] == VercelHarness.team)
            #expect(request.status == 200)
        }
    }

    @Test("a deployment created after the cursor is the only one listed, and moves the cursor")
    func newDeploymentMovesTheCursor() async throws {
        try await withVercel { h in
            let provider = h.provider()
            let first = try await provider.listDeployments(service: "frontend", since: nil)
            h.vercel.addDeployment(
                .init(id: "dpl_4", createdAt: 4_000_000, meta: ["githubCommitSha": "ddd444"]),
                project: VercelHarness.projectID)
            h.vercel.addDeployment(
                .init(id: "dpl_4b", createdAt: 4_100_000, target: nil), project: VercelHarness.projectID)
            let page = try await provider.listDeployments(service: "frontend", since: first.cursor)
            #expect(page.deployments.map(\.id) == ["dpl_4"])
            #expect(page.deployments.first?.version == "ddd444")
            #expect(page.cursor == ListingCursor("4000000"))
        }
    }

    @Test("errors of an incremental poll: 429 with Retry-After, 403 naming the token variable")
    func errorsAreClassified() async throws {
        try await withVercel { h in
            let provider = h.provider()
            h.vercel.failNext(1, status: 429, retryAfter: "3", path: "/v6/deployments")
            let limited = await #expect(throws: ProviderError.self) {
                _ = try await provider.listDeployments(service: "frontend", since: ListingCursor("3000000"))
            }
            #expect(limited?.kind == .rateLimited)
            #expect(limited?.retryAfter == .seconds(3))

            let forbidden = await #expect(throws: ProviderError.self) {
                _ = try await h.provider(token: "vercel-token-personal").listDeployments(
                    service: "frontend", since: ListingCursor("3000000"))
            }
            #expect(forbidden?.kind == .auth)
            #expect(forbidden?.message.contains("VERCEL_TOKEN") == true)
            #expect(forbidden?.message.contains("vercel-token-personal") == false)
        }
    }
}
