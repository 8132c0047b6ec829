import RewindCore
import RewindStoreSQLite
import Testing

@Suite("SQLiteStore deployments")
struct DeploymentStoreTests {
    @Test("deployments round-trip, oldest first, per service")
    func roundTrip() async throws {
        try await withStore { store in
            let b2 = deployment("backend", "b2", at: 200, commit: "def456")
            let b1 = deployment("backend", "b1", at: 100, trust: .knownGood, commit: "abc123", knownGoodAt: at(150))
            let b3 = deployment("backend", "b3", at: 300, trust: .bad)
            let f1 = deployment("frontend", "f1", at: 50)
            for item in [b2, f1, b3, b1] { try await store.recordDeployment(item, makeLive: false) }

            #expect(try await store.deployments(of: "backend") == [b1, b2, b3])
            #expect(try await store.deployments(of: "frontend") == [f1])
            #expect(try await store.deployments(of: "worker").isEmpty)
        }
    }

    @Test("makeLive and setLive move the live deployment; liveDeployment returns the stored record")
    func live() async throws {
        try await withStore { store in
            #expect(try await store.liveDeployment(of: "backend") == nil)
            let b1 = deployment("backend", "b1", at: 100, trust: .knownGood, knownGoodAt: at(150))
            let b2 = deployment("backend", "b2", at: 200)
            try await store.recordDeployment(b1, makeLive: true)
            #expect(try await store.liveDeployment(of: "backend") == b1)
            try await store.recordDeployment(b2, makeLive: true)
            #expect(try await store.liveDeployment(of: "backend") == b2)
            try await store.setLive(service: "backend", deploymentID: "b1")
            #expect(try await store.liveDeployment(of: "backend") == b1)
            #expect(try await store.liveDeployment(of: "frontend") == nil)

            let error = await #expect(throws: StoreError.self) {
                try await store.setLive(service: "backend", deploymentID: "nope")
            }
            #expect(error?.code == "store_not_found")
            #expect(error?.message.contains("backend/nope") == true)
            #expect(try await store.liveDeployment(of: "backend") == b1)
        }
    }

    @Test(
        "recording a deployment again never lowers its trust; bad always wins",
        arguments: [
            (DeploymentTrust.suspect, DeploymentTrust.suspect, DeploymentTrust.suspect),
            (.suspect, .knownGood, .knownGood),
            (.suspect, .bad, .bad),
            (.knownGood, .suspect, .knownGood),
            (.knownGood, .knownGood, .knownGood),
            (.knownGood, .bad, .bad),
            (.bad, .suspect, .bad),
            (.bad, .knownGood, .bad),
            (.bad, .bad, .bad),
        ])
    func trustOnReRecord(stored: DeploymentTrust, incoming: DeploymentTrust, expected: DeploymentTrust) async throws {
        try await withStore { store in
            let knownGoodAt: Timestamp? = stored == .knownGood ? at(150) : nil
            try await store.recordDeployment(
                deployment("backend", "b1", at: 100, trust: stored, knownGoodAt: knownGoodAt), makeLive: false)
            try await store.recordDeployment(deployment("backend", "b1", at: 100, trust: incoming), makeLive: false)
            let result = try await store.deployments(of: "backend")
            #expect(result.map(\.trust) == [expected])
            if stored == .knownGood && expected != .suspect {
                #expect(result.first?.knownGoodAt == at(150))
            }
        }
    }

    @Test("re-recording keeps the earliest deployedAt and fills in, but never erases, commit and author")
    func reRecordMergesFields() async throws {
        try await withStore { store in
            try await store.recordDeployment(deployment("backend", "b1", at: 100, commit: "abc123"), makeLive: true)
            var again = deployment("backend", "b1", at: 400)
            again.version = "2.0.1"
            try await store.recordDeployment(again, makeLive: false)

            let stored = try await store.liveDeployment(of: "backend")
            #expect(stored?.deployedAt == at(100))
            #expect(stored?.version == "2.0.1")
            #expect(stored?.commit == "abc123")
            #expect(stored?.author == "ada")
            #expect(try await store.deployments(of: "backend").count == 1)
        }
    }

    @Test("setTrust changes trust in any direction and stamps knownGoodAt")
    func setTrust() async throws {
        try await withStore { store in
            try await store.recordDeployment(deployment("backend", "b1", at: 100), makeLive: true)

            try await store.setTrust(service: "backend", deploymentID: "b1", trust: .knownGood, at: at(700))
            var live = try await store.liveDeployment(of: "backend")
            #expect(live?.trust == .knownGood)
            #expect(live?.knownGoodAt == at(700))

            try await store.setTrust(service: "backend", deploymentID: "b1", trust: .bad, at: at(800))
            live = try await store.liveDeployment(of: "backend")
            #expect(live?.trust == .bad)
            #expect(live?.knownGoodAt == at(700))

            try await store.setTrust(service: "backend", deploymentID: "b1", trust: .suspect, at: at(900))
            live = try await store.liveDeployment(of: "backend")
            #expect(live?.trust == .suspect)
            #expect(live?.knownGoodAt == nil)

            let error = await #expect(throws: StoreError.self) {
                try await store.setTrust(service: "worker", deploymentID: "w1", trust: .bad, at: at(900))
            }
            #expect(error?.kind == .notFound)
        }
    }
}
