import RewindCore
import RewindPorts
import Testing

/// `rewind state migrate`'s two halves: every store reads its whole state out (``StateInventory``), and the
/// stores that can be a migration's target (in memory, PostgreSQL) take it whole (``StateImport``) — after
/// which they read exactly as the source did, every order and id counter included.
@Suite("Store contract: exporting a whole state and importing it into an empty store")
struct StateTransferContractTests {
    /// Two services with live deployments, trust and automatic rollbacks, a freeze, a pruned incident (so the
    /// counters are ahead of the ids left), a closed and an open incident with everything recorded around them.
    static func fill(_ store: any RewindStore) async throws {
        try await store.recordDeployment(
            deployment("backend", "b1", at: 10, trust: .knownGood, knownGoodAt: at(50)), makeLive: false)
        try await store.recordDeployment(deployment("backend", "b2", at: 100, commit: "abc123"), makeLive: true)
        try await store.recordDeployment(deployment("frontend", "f1", at: 10), makeLive: true)
        try await store.recordDeployment(deployment("frontend", "f0", at: 10), makeLive: false)
        try await store.setTrust(service: "frontend", deploymentID: "f1", trust: .knownGood, at: at(60))
        try await store.setFreeze(Freeze(until: at(3700), reason: "incident", setAt: at(130), setBy: "rewind"))
        try await store.commit(
            StateChange(automation: [.pause(AutomationPause(service: "backend", reason: "maintenance", setAt: at(140)))]
            ))

        let pruned = try await RetentionContractTests.closedIncident(store, closedAt: 200)
        _ = try await store.prune(
            RetentionPolicy(closedIncidents: .seconds(86_400), deploymentsPerService: 50), now: at(3 * 86_400))
        #expect(try await store.incident(id: pruned) == nil)
        _ = try await RetentionContractTests.closedIncident(store, closedAt: 3 * 86_400)
        try await store.recordAutomaticRollback(service: "backend", at: at(3 * 86_400 + 1))
        try await store.recordAutomaticRollback(service: "worker", at: at(3 * 86_400 + 2))
        let open = try await store.commit(
            StateChange(
                newIncident: sampleIncident(openedAt: 3 * 86_400), outbox: [outboxEntry(incident: 0, channel: "email")],
                newTimers: [timer(incident: 0, .management, due: 900)],
                tasks: [task(incident: 0, "b"), task(incident: 0, "a")]))
        let id = try #require(open.incidentID)
        try await store.append(TimelineEvent(incidentID: id, at: at(300), kind: .decision, message: "second"))
        try await store.append(TimelineEvent(incidentID: id, at: at(300), kind: .decision, message: "first"))
        try await store.recordStep(StepRecord(incidentID: id, stepID: "rollback-backend", state: .intent, at: at(301)))
        try await store.recordStep(
            StepRecord(incidentID: id, stepID: "rollback-backend", state: Self.succeeded, at: at(305)))
        try await store.recordSamples(incidentID: id, [observation(at: 302, status: 503), observation(at: 301)])
        // What the daemon received, for `rewind replay`.
        let log = try #require(store as? any ReceivedEventLog)
        try await log.recordReceived(
            ReceivedEvents(
                alerts: [
                    ReceivedAlert(ReceivedEventLogContractTests.alert("HighLatency", at: 290), receivedAt: at(291)),
                    ReceivedAlert(
                        ReceivedEventLogContractTests.alert("HighLatency", at: 299, firing: false), receivedAt: at(299)),
                ],
                values: [
                    ReceivedValue(
                        PushedValue(service: "backend", signal: "queue", value: 7, at: at(295)), receivedAt: at(296))
                ]))
    }

    static let succeeded = StepRecord.State.done(.succeeded(viaFallback: false))

    /// The stores a migration can write into, each opened fresh and empty.
    static var targets: [StoreFactory] {
        StoreFactory.all.filter { $0.name != StoreFactory.sqlite.name }
    }

    @Test("a whole state moves to each store that imports, and reads the same there", arguments: StoreFactory.all)
    func roundTrip(_ source: StoreFactory) async throws {
        try await source.withStore { store in
            try await Self.fill(store)
            let snapshot = try await store.exportState()
            #expect(snapshot.incidents.count == 2)
            #expect(snapshot.counters.incidents == 3)
            #expect(snapshot.live.map(\.deploymentID) == ["b2", "f1"])
            #expect(snapshot.automaticRollbacks.map(\.service) == ["backend", "worker"])
            #expect(snapshot.timeline.filter { $0.incidentID == 3 }.map(\.message) == ["second", "first"])
            #expect(snapshot.received.alerts.map(\.alert.firing) == [true, false])
            #expect(snapshot.received.values.map(\.value.value) == [7])

            for target in Self.targets {
                try await target.withStore { empty in
                    let importer = try #require(empty as? any StateImport, "\(target.name) imports")
                    try await importer.importState(snapshot)
                    let copied = try await empty.exportState()
                    #expect(copied.differences(from: snapshot) == [], "\(source.name) → \(target.name)")
                    #expect(copied == snapshot)
                    // Ids go on from the counters, never reusing the pruned incident's.
                    #expect(try await empty.createIncident(sampleIncident()).id == 4)
                    #expect(try await empty.openIncidents().map(\.id) == [3, 4])
                    #expect(try await empty.tasks(incidentID: 3).map(\.id) == ["b", "a"])
                    #expect(try await empty.steps(incidentID: 3).map(\.state) == [Self.succeeded])
                    #expect(try await empty.liveSince(of: "backend") == at(100))
                }
            }
        }
    }

    @Test("an import never merges into a state in use: store_not_empty, nothing written", arguments: targets)
    func refusesAStateInUse(_ target: StoreFactory) async throws {
        let source = MemoryStore()
        try await Self.fill(source)
        let snapshot = try await source.exportState()
        try await target.withStore { store in
            try await store.recordDeployment(deployment("backend", "b9", at: 5), makeLive: true)
            let importer = try #require(store as? any StateImport)
            let error = await expectError("store_not_empty") { try await importer.importState(snapshot) }
            #expect(error?.message.contains("1 deployments") == true)
            #expect(try await store.incidents(limit: 10).isEmpty)
            #expect(try await store.deployments(of: "backend").map(\.id) == ["b9"])
        }
    }

    @Test("an empty state exports as empty", arguments: StoreFactory.all)
    func emptyState(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let snapshot = try await store.exportState()
            #expect(snapshot == StateSnapshot())
        }
    }
}
