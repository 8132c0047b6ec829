import RewindCore
import RewindPorts
import Testing

@Suite("Store contract: deployment ledger (deployments, live, trust, automatic rollbacks, freeze)")
struct DeploymentLedgerContractTests {
    @Test("deployments round-trip, oldest first, per service", arguments: StoreFactory.all)
    func roundTrip(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
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

    @Test(
        "where a deployment was seen (wasLive, listed) round-trips and is never cleared by re-recording",
        arguments: StoreFactory.all)
    func provenance(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            var listed = deployment("backend", "b1", at: 100)
            listed.version = "registry/app:v1"
            listed.listed = true
            var reported = deployment("backend", "b2", at: 200)
            reported.wasLive = true
            try await store.recordDeployment(listed, makeLive: false)
            try await store.recordDeployment(reported, makeLive: true)
            #expect(try await store.deployments(of: "backend") == [listed, reported])
            #expect(try await store.liveDeployment(of: "backend") == reported)

            // A later report of the listed one (free text) neither renames it nor clears its flag.
            var again = deployment("backend", "b1", at: 100)
            again.version = "evil/image:latest"
            again.wasLive = true
            try await store.recordDeployment(again, makeLive: false)
            let merged = try #require(try await store.deployments(of: "backend").first)
            #expect(merged.listed && merged.wasLive)
            #expect(merged.version == "registry/app:v1")
        }
    }

    @Test("deployments with the same time keep the order they were first recorded in", arguments: StoreFactory.all)
    func tiesInRecordOrder(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let ids = ["c", "a", "b"]
            for id in ids { try await store.recordDeployment(deployment("backend", id, at: 100), makeLive: false) }
            // Re-recording keeps a deployment's place.
            try await store.recordDeployment(deployment("backend", "c", at: 100, trust: .knownGood), makeLive: false)
            #expect(try await store.deployments(of: "backend").map(\.id) == ids)
        }
    }

    @Test(
        "makeLive and setLive move the live deployment; liveDeployment returns the stored record",
        arguments: StoreFactory.all)
    func live(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
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

            let error = await expectError("store_not_found") {
                try await store.setLive(service: "backend", deploymentID: "nope")
            }
            #expect(error?.message.contains("backend/nope") == true)
            #expect(try await store.liveDeployment(of: "backend") == b1)

            // The live record follows later trust changes of the same deployment.
            try await store.setTrust(service: "backend", deploymentID: "b1", trust: .bad, at: at(300))
            #expect(try await store.liveDeployment(of: "backend")?.trust == .bad)
        }
    }

    @Test(
        "liveSince is when the live deployment went live, not when it was built; nil when nothing is live",
        arguments: StoreFactory.all)
    func liveSince(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            #expect(try await store.liveSince(of: "backend") == nil)
            let b1 = deployment("backend", "b1", at: 100)
            // Recorded live without a time: its deployedAt.
            try await store.recordDeployment(b1, makeLive: true)
            #expect(try await store.liveSince(of: "backend") == at(100))
            // An old deployment made live again much later (a rollback): the time it went live.
            try await store.commit(
                StateChange(deployments: [
                    .init(deployment("backend", "b2", at: 200), makeLive: true, liveSince: at(250))
                ]))
            #expect(try await store.liveSince(of: "backend") == at(250))
            try await store.commit(
                StateChange(liveSwitches: [.init(service: "backend", deploymentID: "b1", since: at(9000))]))
            #expect(try await store.liveDeployment(of: "backend")?.id == "b1")
            #expect(try await store.liveSince(of: "backend") == at(9000))
            #expect(try await store.liveSince(of: "frontend") == nil)
        }
    }

    static let trustCases: [(DeploymentTrust, DeploymentTrust, DeploymentTrust)] = [
        (.suspect, .suspect, .suspect),
        (.suspect, .knownGood, .knownGood),
        (.suspect, .bad, .bad),
        (.knownGood, .suspect, .knownGood),
        (.knownGood, .knownGood, .knownGood),
        (.knownGood, .bad, .bad),
        (.bad, .suspect, .bad),
        (.bad, .knownGood, .bad),
        (.bad, .bad, .bad),
    ]

    @Test(
        "recording a deployment again never lowers its trust; bad always wins", arguments: StoreFactory.all, trustCases)
    func trustOnReRecord(
        _ factory: StoreFactory, _ trust: (DeploymentTrust, DeploymentTrust, DeploymentTrust)
    ) async throws {
        let (stored, incoming, expected) = trust
        try await factory.withStore { store in
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

    @Test(
        "re-recording keeps the earliest deployedAt and fills in, but never erases, commit and author",
        arguments: StoreFactory.all)
    func reRecordMergesFields(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
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

    @Test("setTrust changes trust in any direction and stamps knownGoodAt", arguments: StoreFactory.all)
    func setTrust(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
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

            let error = await expectError("store_not_found") {
                try await store.setTrust(service: "worker", deploymentID: "w1", trust: .bad, at: at(900))
            }
            #expect(error?.message.contains("worker/w1") == true)
        }
    }

    @Test(
        "automaticRollbacks returns a service's rollbacks at or after `since`, oldest first",
        arguments: StoreFactory.all)
    func automaticRollbacks(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            for seconds: Int64 in [300, 100, 200, 200] {
                try await store.recordAutomaticRollback(service: "backend", at: at(seconds))
            }
            try await store.recordAutomaticRollback(service: "frontend", at: at(250))

            #expect(
                try await store.automaticRollbacks(service: "backend", since: at(0))
                    == [at(100), at(200), at(200), at(300)])
            #expect(
                try await store.automaticRollbacks(service: "backend", since: at(200)) == [at(200), at(200), at(300)])
            #expect(try await store.automaticRollbacks(service: "backend", since: at(301)).isEmpty)
            #expect(try await store.automaticRollbacks(service: "frontend", since: at(0)) == [at(250)])
            #expect(try await store.automaticRollbacks(service: "worker", since: at(0)).isEmpty)
        }
    }

    @Test("a freeze is set, replaced and cleared; an expired one is still returned", arguments: StoreFactory.all)
    func freeze(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            #expect(try await store.currentFreeze() == nil)
            let first = Freeze(until: at(3600), reason: "incident 1: immediate rollback", setAt: at(0), incidentID: 1)
            try await store.setFreeze(first)
            #expect(try await store.currentFreeze() == first)

            let expired = Freeze(until: at(10), reason: "release train paused", setAt: at(0))
            try await store.setFreeze(expired)
            #expect(try await store.currentFreeze() == expired)

            try await store.setFreeze(nil)
            #expect(try await store.currentFreeze() == nil)
            try await store.setFreeze(nil)
            #expect(try await store.currentFreeze() == nil)
        }
    }

    @Test(
        "automation pauses: one per service and one for every service, replaced, resumed one by one or all at once",
        arguments: StoreFactory.all)
    func automationPauses(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            #expect(try await store.automationPauses().isEmpty)
            let backend = AutomationPause(
                service: "backend", reason: "vendor maintenance", setAt: at(0), setBy: "token ops")
            let all = AutomationPause(service: nil, reason: "game day", setAt: at(10))
            try await store.commit(StateChange(automation: [.pause(backend), .pause(all)]))
            #expect(try await store.automationPauses() == [all, backend])

            let longer = AutomationPause(service: "backend", reason: "still in maintenance", setAt: at(20))
            try await store.commit(StateChange(automation: [.pause(longer), .resume(service: "worker")]))
            #expect(try await store.automationPauses() == [all, longer])

            try await store.commit(StateChange(automation: [.resume(service: "backend")]))
            #expect(try await store.automationPauses() == [all])
            try await store.commit(StateChange(automation: [.pause(backend), .resume(service: nil)]))
            #expect(try await store.automationPauses().isEmpty)
        }
    }
}
