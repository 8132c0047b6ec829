import RewindCore
import RewindPorts
import Testing

@Suite("Store contract: atomic state changes")
struct StateCommitContractTests {
    static let placeholder = StateChange.newIncidentID

    @Test(
        "opening an incident: one change creates it and everything it causes, the placeholder resolved everywhere",
        arguments: StoreFactory.all)
    func openIncident(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            try await store.recordDeployment(deployment("backend", "b2", at: 100), makeLive: true)
            _ = try await store.createIncident(sampleIncident())  // takes id 1: the new one is 2

            let placeholder = Self.placeholder
            var change = StateChange(newIncident: sampleIncident(openedAt: 200))
            change.timeline = [
                TimelineEvent(incidentID: placeholder, at: at(200), kind: .detected, message: "3 failures"),
                TimelineEvent(incidentID: placeholder, at: at(200), kind: .decision, message: "immediate rollback"),
            ]
            change.steps = [
                StepRecord(incidentID: placeholder, stepID: "rollback-backend", state: .intent, at: at(201))
            ]
            change.outbox = [
                outboxEntry(incident: placeholder, channel: "slack"),
                outboxEntry(incident: placeholder, channel: "email"),
            ]
            change.newTimers = [
                timer(incident: placeholder, .oncall, due: 200), timer(incident: placeholder, .management, due: 500),
            ]
            change.tasks = [task(incident: placeholder, "investigation.analyze_logs")]
            change.samples = [.init(incidentID: placeholder, [observation(at: 190, status: 503)])]
            change.freeze = .set(
                Freeze(until: at(3800), reason: "rollback in progress", setAt: at(200), incidentID: placeholder))
            change.trustChanges = [.init(service: "backend", deploymentID: "b2", trust: .bad, at: at(200))]
            change.automaticRollbacks = [.init(service: "backend", at: at(200))]

            let committed = try await store.commit(change)

            #expect(committed.incidentID == 2)
            #expect(committed.cancelledTimers == 0)
            #expect(committed.outbox.map(\.id) == [1, 2])
            #expect(committed.outbox.allSatisfy { $0.incidentID == 2 && $0.notice.incidentID == 2 })
            #expect(committed.timers.map(\.id) == [1, 2])
            #expect(committed.timers.allSatisfy { $0.incidentID == 2 })

            var incident = sampleIncident(openedAt: 200)
            incident.id = 2
            #expect(try await store.incident(id: 2) == incident)
            #expect(try await store.timeline(incidentID: 2).map(\.message) == ["3 failures", "immediate rollback"])
            #expect(try await store.timeline(incidentID: 2).allSatisfy { $0.incidentID == 2 })
            #expect(try await store.steps(incidentID: 2).map(\.incidentID) == [2])
            #expect(try await store.outbox(incidentID: 2) == committed.outbox)
            #expect(try await store.escalations(incidentID: 2) == committed.timers)
            #expect(try await store.tasks(incidentID: 2).map(\.incidentID) == [2])
            #expect(try await store.samples(incidentID: 2) == [observation(at: 190, status: 503)])
            #expect(try await store.currentFreeze()?.incidentID == 2)
            #expect(try await store.liveDeployment(of: "backend")?.trust == .bad)
            #expect(try await store.automaticRollbacks(service: "backend", since: at(0)) == [at(200)])
            // Nothing landed on the placeholder itself.
            #expect(try await store.timeline(incidentID: placeholder).isEmpty)
            #expect(try await store.outbox(incidentID: placeholder).isEmpty)
            #expect(try await store.escalations(incidentID: placeholder).isEmpty)
        }
    }

    @Test(
        "closing an incident: update, timeline, cancelled timers and completed notices in one change",
        arguments: StoreFactory.all)
    func closeIncident(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            var incident = try await store.createIncident(sampleIncident())
            try await store.schedule([
                timer(incident: incident.id, .oncall, due: 130), timer(incident: incident.id, .management, due: 400),
                timer(incident: incident.id, .product, due: 900),
            ])
            var fired = try await store.escalations(incidentID: incident.id)[0]
            fired.state = .fired
            try await store.updateEscalation(fired)

            incident.status = .completed
            incident.closedAt = at(600)
            let committed = try await store.commit(
                StateChange(
                    incidentUpdate: incident,
                    timeline: [
                        TimelineEvent(incidentID: incident.id, at: at(600), kind: .closed, message: "completed")
                    ],
                    outbox: [outboxEntry(incident: incident.id, kind: .completed)],
                    cancelTimersOfIncident: incident.id))

            #expect(committed.incidentID == nil)
            #expect(committed.cancelledTimers == 2)
            #expect(committed.outbox.map(\.notice.kind) == [.completed])
            #expect(try await store.incident(id: incident.id) == incident)
            #expect(try await store.openIncidents().isEmpty)
            #expect(try await store.timeline(incidentID: incident.id).map(\.kind) == [.closed])
            #expect(
                try await store.escalations(incidentID: incident.id).map(\.state) == [.fired, .cancelled, .cancelled])
            #expect(try await store.outbox(incidentID: incident.id) == committed.outbox)
        }
    }

    @Test(
        "order: timer updates, then the cancellation, then new timers; tasks before task updates",
        arguments: StoreFactory.all)
    func timerAndTaskOrder(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            try await store.schedule([timer(incident: 1, .oncall, due: 100), timer(incident: 1, .management, due: 300)])
            var fire = try await store.escalations(incidentID: 1)[0]
            fire.state = .fired
            var done = task(incident: 1, "investigation.analyze_logs")
            done.state = .done

            let committed = try await store.commit(
                StateChange(
                    timerUpdates: [fire], cancelTimersOfIncident: 1,
                    newTimers: [timer(incident: 1, .security, due: 100)],
                    tasks: [task(incident: 1, "investigation.analyze_logs")], taskUpdates: [done]))

            // The fired timer was updated before the cancellation; the new one came after it.
            #expect(committed.cancelledTimers == 1)
            #expect(try await store.escalations(incidentID: 1).map(\.state) == [.fired, .pending, .cancelled])
            #expect(try await store.dueEscalations(now: at(1000)) == committed.timers)
            #expect(try await store.tasks(incidentID: 1) == [done])
        }
    }

    @Test("order: a deployment recorded, made live and marked bad in one change", arguments: StoreFactory.all)
    func deploymentOrder(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            try await store.recordDeployment(deployment("backend", "b1", at: 100, trust: .knownGood), makeLive: true)
            _ = try await store.commit(
                StateChange(
                    deployments: [.init(deployment("backend", "b2", at: 200), makeLive: false)],
                    liveSwitches: [.init(service: "backend", deploymentID: "b2")],
                    trustChanges: [.init(service: "backend", deploymentID: "b2", trust: .bad, at: at(250))]))
            #expect(try await store.liveDeployment(of: "backend")?.id == "b2")
            #expect(try await store.liveDeployment(of: "backend")?.trust == .bad)
            #expect(try await store.deployments(of: "backend").map(\.trust) == [.knownGood, .bad])
        }
    }

    /// A part that fails, placed after every other part of the change that precedes it.
    enum FailingPart: String, CaseIterable, Sendable {
        case unknownIncidentUpdate, timelineOfUnknownIncident, stepOfUnknownIncident, unknownNotification
        case unknownTimer, unknownTask, liveSwitchToUnknownDeployment, trustOfUnknownDeployment

        func add(to change: inout StateChange) {
            switch self {
            case .unknownIncidentUpdate:
                var incident = sampleIncident()
                incident.id = 77
                change.incidentUpdate = incident
            case .timelineOfUnknownIncident:
                change.timeline.append(TimelineEvent(incidentID: 77, at: at(5), kind: .decision, message: "x"))
            case .stepOfUnknownIncident:
                change.steps.append(StepRecord(incidentID: 77, stepID: "rollback-backend", state: .intent, at: at(5)))
            case .unknownNotification:
                var entry = outboxEntry(incident: 1)
                entry.id = 77
                change.outboxUpdates.append(entry)
            case .unknownTimer:
                var unknown = timer(incident: 1, due: 100)
                unknown.id = 77
                change.timerUpdates.append(unknown)
            case .unknownTask:
                change.taskUpdates.append(task(incident: 77, "investigation.analyze_logs"))
            case .liveSwitchToUnknownDeployment:
                change.liveSwitches.append(.init(service: "backend", deploymentID: "b77"))
            case .trustOfUnknownDeployment:
                change.trustChanges.append(.init(service: "backend", deploymentID: "b77", trust: .bad, at: at(5)))
            }
        }
    }

    /// A change touching every kind of row.
    static func everything() -> StateChange {
        let placeholder = placeholder
        return StateChange(
            newIncident: sampleIncident(),
            timeline: [TimelineEvent(incidentID: placeholder, at: at(120), kind: .detected, message: "3 failures")],
            steps: [StepRecord(incidentID: placeholder, stepID: "rollback-backend", state: .intent, at: at(121))],
            outbox: [outboxEntry(incident: placeholder)],
            newTimers: [timer(incident: placeholder, due: 130)],
            tasks: [task(incident: placeholder, "investigation.analyze_logs")],
            samples: [.init(incidentID: placeholder, [observation(at: 119)])],
            freeze: .set(Freeze(until: at(3600), reason: "rollback", setAt: at(120), incidentID: placeholder)),
            deployments: [.init(deployment("backend", "b2", at: 100), makeLive: true)],
            automaticRollbacks: [.init(service: "backend", at: at(120))])
    }

    @Test(
        "a change that fails part-way leaves nothing behind and uses up no id",
        arguments: StoreFactory.all, FailingPart.allCases)
    func atomicity(_ factory: StoreFactory, _ failing: FailingPart) async throws {
        try await factory.withStore { store in
            var change = Self.everything()
            failing.add(to: &change)
            await expectError("store_not_found") { _ = try await store.commit(change) }

            #expect(try await store.incidents(limit: 10).isEmpty)
            #expect(try await store.timeline(incidentID: 1).isEmpty)
            #expect(try await store.stepHistory(incidentID: 1).isEmpty)
            #expect(try await store.recentOutbox(limit: 10).isEmpty)
            #expect(try await store.escalations(incidentID: 1).isEmpty)
            #expect(try await store.tasks(incidentID: 1).isEmpty)
            #expect(try await store.samples(incidentID: 1).isEmpty)
            #expect(try await store.currentFreeze() == nil)
            #expect(try await store.deployments(of: "backend").isEmpty)
            #expect(try await store.liveDeployment(of: "backend") == nil)
            #expect(try await store.automaticRollbacks(service: "backend", since: at(0)).isEmpty)

            // The same change without the failing part commits, with the first ids.
            let committed = try await store.commit(Self.everything())
            #expect(committed.incidentID == 1)
            #expect(committed.outbox.map(\.id) == [1])
            #expect(committed.timers.map(\.id) == [1])
        }
    }

    @Test(
        "the placeholder in a change that creates no incident is store_invalid_change; nothing is written",
        arguments: StoreFactory.all)
    func placeholderWithoutIncident(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let change = StateChange(
                outbox: [outboxEntry(incident: Self.placeholder)],
                deployments: [.init(deployment("backend", "b1", at: 100), makeLive: true)])
            let error = await expectError("store_invalid_change") { _ = try await store.commit(change) }
            #expect(error?.message.contains("1 notification and 1 deployment") == true)
            let deployments = try await store.deployments(of: "backend")
            let outbox = try await store.recentOutbox(limit: 10)
            #expect(deployments.isEmpty && outbox.isEmpty)

            // The single writes are one-part changes: the same rule holds.
            await expectError("store_invalid_change") {
                try await store.schedule([timer(incident: Self.placeholder, due: 1)])
            }
            await expectError("store_invalid_change") {
                try await store.setFreeze(
                    Freeze(until: at(10), reason: "x", setAt: at(0), incidentID: Self.placeholder))
            }
            let freeze = try await store.currentFreeze()
            #expect(freeze == nil)
        }
    }

    @Test("an empty change writes nothing", arguments: StoreFactory.all)
    func empty(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            #expect(StateChange().isEmpty)
            let committed = try await store.commit(StateChange())
            #expect(committed == CommittedChange())
            #expect(try await store.incidents(limit: 10).isEmpty)
            #expect(try await store.createIncident(sampleIncident()).id == 1)
        }
    }

    @Test(
        "a change's summary names its parts",
        arguments: [
            (StateChange(), "nothing"),
            (
                StateChange(timeline: [TimelineEvent(incidentID: 3, at: at(0), kind: .closed, message: "x")]),
                "1 timeline event"
            ),
            (
                StateChange(
                    newIncident: sampleIncident(), outbox: [outboxEntry(incident: 0), outboxEntry(incident: 0)],
                    freeze: .clear),
                "a new incident, 2 notifications and the end of the deployment freeze"
            ),
        ])
    func summary(_ change: StateChange, _ expected: String) {
        #expect(change.summary == expected)
    }
}
