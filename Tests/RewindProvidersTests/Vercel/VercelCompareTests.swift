import RewindCore
import RewindPorts
import RewindProviders
import RewindSandbox
import Testing

@Suite("Vercel: what changed between two deployments (rewind diff)")
struct VercelCompareTests {
    static func recorded(_ id: String) -> Deployment {
        Deployment(service: "frontend", id: id, version: id, deployedAt: Timestamp(millisecondsSinceEpoch: 0))
    }

    @Test("the commits come from each deployment's meta; variables are not in Vercel's record, and it says so")
    func commits() async throws {
        try await withVercel { h in
            let comparison = try await h.provider().compare(
                service: "frontend", from: Self.recorded("dpl_3"), to: Self.recorded("dpl_1"))
            #expect(comparison.platform == "vercel")
            #expect(comparison.from.commit == "ccc333")
            #expect(comparison.to.commit == "aaa111")
            #expect(comparison.from.createdAt == Timestamp(millisecondsSinceEpoch: 3_000_000))
            #expect(comparison.variables == nil)
            #expect(comparison.notes.contains { $0.contains("vercel env ls") })
            #expect(
                h.requests("/v13/deployments/").map(\.path) == ["/v13/deployments/dpl_3", "/v13/deployments/dpl_1"])
        }
    }
}
