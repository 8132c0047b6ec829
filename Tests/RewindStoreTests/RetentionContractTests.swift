import RewindCore
import RewindPorts
import Testing

@Suite(
    "Store contract: retention (pruning closed incidents, old deployments and automatic rollbacks; the bounded read)")
struct RetentionContractTests {
    static let day: Int64 = 86_400
    static let retention = RetentionPolicy(closedIncidents: .seconds(30 * day), deploymentsPerService: 3)

    /// A closed incident, with everything recorded around it, closed at `closedAt` seconds.
    static func closedIncident(
        _ store: any RewindStore, closedAt: Int64, outbox: OutboxEntry.Status = .sent
    ) async throws -> Int64 {
        var incident = sampleIncident()
        incident.status = .completed
        incident.closedAt = at(closedAt)
        let committed = try await store.commit(
            StateChange(
                newIncident: incident, outbox: [outboxEntry(incident: 0, status: outbox)],
                newTimers: [timer(incident: 0, due: 100)],
                tasks: [task(incident: 0, "investigation.analyze_logs")]))
        let id = try #require(committed.incidentID)
        try await store.append(
            TimelineEvent(incidentID: id, at: at(130), kind: .decision, message: "immediate rollback"))
        try await store.recordStep(StepRecord(incidentID: id, stepID: "rollback-backend", state: .intent, at: at(130)))
        try await store.recordSamples(incidentID: id, [observation(at: 125)])
        _ = try await store.cancelEscalations(incidentID: id)
        return id
    }

    @Test(
        "a closed incident older than the retention goes with its timeline, journal, tasks, samples, notices and timers",
        arguments: StoreFactory.all)
    func closedIncidentsExpire(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let old = try await Self.closedIncident(store, closedAt: 200)
            let recent = try await Self.closedIncident(store, closedAt: 20 * Self.day)
            let open = try await store.createIncident(sampleIncident()).id

            let report = try await store.prune(Self.retention, now: at(40 * Self.day))
            #expect(report.incidents == 1)
            #expect(try await store.incident(id: old) == nil)
            #expect(try await store.timeline(incidentID: old).isEmpty)
            #expect(try await store.stepHistory(incidentID: old).isEmpty)
            #expect(try await store.tasks(incidentID: old).isEmpty)
            #expect(try await store.samples(incidentID: old).isEmpty)
            #expect(try await store.outbox(incidentID: old).isEmpty)
            #expect(try await store.escalations(incidentID: old).isEmpty)
            #expect(try await store.incident(id: recent) != nil)
            #expect(try await store.timeline(incidentID: recent).count == 1)
            #expect(try await store.outbox(incidentID: recent).count == 1)
            #expect(try await store.incident(id: open) != nil)

            // Pruning again removes nothing more; ids are not reused.
            #expect(try await store.prune(Self.retention, now: at(40 * Self.day)).isEmpty)
            #expect(try await store.createIncident(sampleIncident()).id > open)
        }
    }

    @Test(
        "a closed incident with a notice still pending is kept until the notice is settled", arguments: StoreFactory.all
    )
    func pendingNoticeKeepsIncident(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let id = try await Self.closedIncident(store, closedAt: 200, outbox: .pending)
            #expect(try await store.prune(Self.retention, now: at(40 * Self.day)).incidents == 0)
            #expect(try await store.incident(id: id) != nil)
            var entry = try #require(try await store.outbox(incidentID: id).first)
            entry.status = .failed
            try await store.updateOutbox(entry)
            #expect(try await store.prune(Self.retention, now: at(40 * Self.day)).incidents == 1)
            #expect(try await store.incident(id: id) == nil)
        }
    }

    @Test(
        "early warnings (notices about no incident) go once settled and older than the retention; pending ones stay",
        arguments: StoreFactory.all)
    func settledEarlyWarningsExpire(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            func warning(due: Int64, _ status: OutboxEntry.Status) -> OutboxEntry {
                outboxEntry(incident: Notice.noIncidentID, due: due, kind: .earlyWarning, status: status)
            }
            _ = try await store.enqueue([
                warning(due: 200, .sent), warning(due: 300, .failed), warning(due: 400, .pending),
                warning(due: 20 * Self.day, .sent),
            ])
            let incident = try await Self.closedIncident(store, closedAt: 20 * Self.day)

            let report = try await store.prune(Self.retention, now: at(40 * Self.day))
            #expect(report.notices == 2)
            let left = try await store.outbox(incidentID: Notice.noIncidentID)
            #expect(left.map(\.nextAttemptAt) == [at(400), at(20 * Self.day)])
            #expect(left.map(\.status) == [.pending, .sent])
            #expect(try await store.outbox(incidentID: incident).count == 1)
            #expect(try await store.prune(Self.retention, now: at(40 * Self.day)).isEmpty)
        }
    }

    @Test(
        "per service the newest deployments stay, with the live one and its rollback targets",
        arguments: StoreFactory.all)
    func deploymentsPerService(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            // b1 known good long ago, b2 known good, b3 bad, b4 live, then b5…b7 newer (suspect, not live).
            try await store.recordDeployment(
                deployment("backend", "b1", at: 10, trust: .knownGood, knownGoodAt: at(20)), makeLive: false)
            try await store.recordDeployment(
                deployment("backend", "b2", at: 100, trust: .knownGood, knownGoodAt: at(150)), makeLive: false)
            try await store.recordDeployment(deployment("backend", "b3", at: 200, trust: .bad), makeLive: false)
            try await store.recordDeployment(deployment("backend", "b4", at: 300), makeLive: true)
            for (id, time) in [("b5", 400), ("b6", 500), ("b7", 600)] {
                try await store.recordDeployment(deployment("backend", id, at: Int64(time)), makeLive: false)
            }
            try await store.recordDeployment(deployment("frontend", "f1", at: 10), makeLive: false)
            let all = try await store.deployments(of: "backend")
            let expected = DeploymentRetention.retained(all, liveID: "b4", newest: 3)
            #expect(expected.map(\.id) == ["b2", "b4", "b5", "b6", "b7"])

            // The bounded read answers what pruning will keep, before and after.
            #expect(try await store.recentDeployments(of: "backend", limit: 3) == expected)
            let report = try await store.prune(Self.retention, now: at(1000))
            #expect(report.deployments == 2)
            #expect(try await store.deployments(of: "backend") == expected)
            #expect(try await store.liveDeployment(of: "backend")?.id == "b4")
            #expect(try await store.deployments(of: "frontend").map(\.id) == ["f1"])
            #expect(try await store.recentDeployments(of: "backend", limit: 3) == expected)
            #expect(try await store.recentDeployments(of: "worker", limit: 3).isEmpty)
        }
    }

    @Test("deployments of a service in an open incident are not pruned", arguments: StoreFactory.all)
    func openIncidentGuardsItsServices(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            for index in 1...6 {
                try await store.recordDeployment(
                    deployment("backend", "b\(index)", at: Int64(index * 100)), makeLive: index == 6)
            }
            let incident = try await store.createIncident(sampleIncident())  // names frontend and backend
            #expect(try await store.prune(Self.retention, now: at(1000)).deployments == 0)
            #expect(try await store.deployments(of: "backend").count == 6)

            var closed = incident
            closed.status = .completed
            closed.closedAt = at(900)
            try await store.updateIncident(closed)
            #expect(try await store.prune(Self.retention, now: at(1000)).deployments == 3)
            #expect(try await store.deployments(of: "backend").map(\.id) == ["b4", "b5", "b6"])
        }
    }

    @Test("automatic rollbacks older than the incident retention are forgotten", arguments: StoreFactory.all)
    func automaticRollbacksExpire(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            try await store.recordAutomaticRollback(service: "backend", at: at(100))
            try await store.recordAutomaticRollback(service: "backend", at: at(35 * Self.day))
            #expect(try await store.prune(Self.retention, now: at(40 * Self.day)).automaticRollbacks == 1)
            #expect(try await store.automaticRollbacks(service: "backend", since: at(0)) == [at(35 * Self.day)])
        }
    }
}
