import RewindCore
import Testing

@Suite("DeploymentRetention: which deployments the store, the engine's load and the book keep")
struct DeploymentRetentionTests {
    static func history(_ count: Int, knownGood: Set<Int> = [], bad: Set<Int> = []) -> [Deployment] {
        (1...count).map { index in
            let trust: DeploymentTrust = knownGood.contains(index) ? .knownGood : bad.contains(index) ? .bad : .suspect
            return Fixture.deployment("backend", "v\(index)", at: Fixture.minutes(Int64(index)), trust)
        }
    }

    @Test("the newest N, the live one, its rollback targets and the newest known-good one")
    func keeps() {
        let deployments = Self.history(20, knownGood: [2, 15], bad: [9])
        // v10 is live (an older one: the newer ones are suspect, not live yet).
        let kept = DeploymentRetention.kept(deployments.shuffled(), liveID: "backend-v10", newest: 3)
        // v18…v20 newest; v10 live; v2 the target (known good before v10); v8 the previous not bad; v15 the newest known good.
        #expect(
            kept == [
                "backend-v18", "backend-v19", "backend-v20", "backend-v10", "backend-v2", "backend-v8", "backend-v15",
            ])
        #expect(
            RollbackTarget.select(
                current: deployments[9],
                from: DeploymentRetention.retained(deployments, liveID: "backend-v10", newest: 3))
                == RollbackTarget.select(current: deployments[9], from: deployments))
    }

    @Test("the book trims a page to the rule, and does not learn what the rule would drop")
    func book() {
        let deployments = Self.history(10)
        var book = DeploymentBook(pages: ["backend": .init(deployments: deployments, liveID: "backend-v10")])
        #expect(book.retentionFloor("backend", newest: 4) == Fixture.minutes(7))
        #expect(book.retentionFloor("backend", newest: 11) == nil)
        book.retain("backend", newest: 4)
        #expect(
            Set(book.deployments(of: "backend").map(\.id)) == ["backend-v7", "backend-v8", "backend-v9", "backend-v10"])
        #expect(book.live("backend")?.id == "backend-v10")
    }
}
