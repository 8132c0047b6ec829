import RewindCore
import RewindPorts
import Testing

@Suite("Store contract: the fenced writer lease")
struct WriterLeaseContractTests {
    @Test(
        "acquire, renew, refuse a steal, take over once expired with a higher epoch, release",
        arguments: StoreFactory.all)
    func lease(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            #expect(try await store.currentLease() == nil)
            let first = try #require(try await store.acquireLease(instance: "daemon-a", now: at(0), until: at(30)))
            #expect(first == LeaseGrant(holder: "daemon-a", epoch: 1, until: at(30)))
            #expect(try await store.currentLease() == first)

            // Renewal, and a second acquire by the holder, keep the epoch.
            let renewed = try await store.renewLease(first, until: at(40))
            #expect(renewed == LeaseGrant(holder: "daemon-a", epoch: 1, until: at(40)))
            let again = try await store.acquireLease(instance: "daemon-a", now: at(20), until: at(50))
            #expect(again == LeaseGrant(holder: "daemon-a", epoch: 1, until: at(50)))

            // Another instance is refused while the lease runs, and the lease is untouched.
            #expect(try await store.acquireLease(instance: "daemon-b", now: at(49), until: at(90)) == nil)
            #expect(try await store.currentLease() == again)

            // Expired (until <= now): another instance takes it over, with a higher epoch.
            let takeover = try #require(try await store.acquireLease(instance: "daemon-b", now: at(50), until: at(80)))
            #expect(takeover == LeaseGrant(holder: "daemon-b", epoch: 2, until: at(80)))
            #expect(try await store.acquireLease(instance: "daemon-a", now: at(60), until: at(90)) == nil)

            // Releasing a grant that is not in force does nothing.
            try await store.releaseLease(first)
            #expect(try await store.currentLease() == takeover)

            try await store.releaseLease(takeover)
            #expect(try await store.currentLease() == nil)
            // After a release the next holder — even the same instance — gets a new epoch at once.
            let afterRelease = try await store.acquireLease(instance: "daemon-b", now: at(61), until: at(91))
            #expect(afterRelease == LeaseGrant(holder: "daemon-b", epoch: 3, until: at(91)))
        }
    }

    @Test("renewing after another instance took over is store_fenced", arguments: StoreFactory.all)
    func renewAfterTakeover(_ factory: StoreFactory) async throws {
        try await factory.withState { open in
            let a = try await open()
            let b = try await open()
            let grantA = try #require(try await a.acquireLease(instance: "daemon-a", now: at(0), until: at(5)))
            let grantB = try #require(try await b.acquireLease(instance: "daemon-b", now: at(5), until: at(10)))
            #expect(grantB.epoch == grantA.epoch + 1)

            let error = await expectError("store_fenced") { _ = try await a.renewLease(grantA, until: at(15)) }
            #expect(
                error?.message.contains("another Rewind instance (daemon-b, lease epoch 2) took over writing") == true)
            #expect(error as? StoreFenced == StoreFenced(grant: grantA, current: grantB))
            #expect(try await a.currentLease() == grantB)
        }
    }

    @Test("a grant past its expiry that nobody took over still renews and still writes", arguments: StoreFactory.all)
    func expiredButNotTakenOver(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let grant = try #require(try await store.acquireLease(instance: "daemon-a", now: at(0), until: at(5)))
            let writer = store.fenced(by: grant)
            try await writer.recordDeployment(deployment("backend", "b1", at: 10), makeLive: true)
            #expect(try await store.renewLease(grant, until: at(20)).epoch == grant.epoch)
            try await writer.setFreeze(Freeze(until: at(100), reason: "x", setAt: at(10)))
            #expect(try await store.currentFreeze() != nil)
        }
    }

    /// Every write a fenced store offers, each a small valid one on the state `fencedWrites` sets up.
    static let writes: [(String, @Sendable (any RewindStore) async throws -> Void)] = [
        (
            "commit",
            { _ = try await $0.commit(StateChange(newIncident: sampleIncident(), outbox: [outboxEntry(incident: 0)])) }
        ),
        ("recordDeployment", { try await $0.recordDeployment(deployment("backend", "b9", at: 9), makeLive: true) }),
        ("setLive", { try await $0.setLive(service: "backend", deploymentID: "b1") }),
        ("setTrust", { try await $0.setTrust(service: "backend", deploymentID: "b1", trust: .bad, at: at(9)) }),
        ("recordAutomaticRollback", { try await $0.recordAutomaticRollback(service: "backend", at: at(9)) }),
        ("setFreeze", { try await $0.setFreeze(Freeze(until: at(99), reason: "x", setAt: at(9))) }),
        ("setFreeze(nil)", { try await $0.setFreeze(nil) }),
        ("createIncident", { _ = try await $0.createIncident(sampleIncident()) }),
        (
            "updateIncident",
            {
                var incident = sampleIncident()
                incident.id = 1
                try await $0.updateIncident(incident)
            }
        ),
        ("append", { try await $0.append(TimelineEvent(incidentID: 1, at: at(9), kind: .decision, message: "x")) }),
        ("recordStep", { try await $0.recordStep(StepRecord(incidentID: 1, stepID: "s", state: .intent, at: at(9))) }),
        ("addTasks", { try await $0.addTasks([task(incident: 1, "remediation.fix_root_cause")]) }),
        ("updateTask", { try await $0.updateTask(task(incident: 1, "investigation.analyze_logs", title: "x")) }),
        ("recordSamples", { try await $0.recordSamples(incidentID: 1, [observation(at: 9)]) }),
        ("enqueue", { _ = try await $0.enqueue([outboxEntry(incident: 1)]) }),
        (
            "updateOutbox",
            {
                var entry = outboxEntry(incident: 1, status: .sent)
                entry.id = 1
                try await $0.updateOutbox(entry)
            }
        ),
        ("schedule", { try await $0.schedule([timer(incident: 1, due: 9)]) }),
        (
            "updateEscalation",
            {
                var fired = timer(incident: 1, due: 100)
                fired.id = 1
                fired.state = .fired
                try await $0.updateEscalation(fired)
            }
        ),
        ("cancelEscalations", { _ = try await $0.cancelEscalations(incidentID: 1) }),
        (
            "prune",
            {
                _ = try await $0.prune(
                    RetentionPolicy(closedIncidents: .seconds(3600), deploymentsPerService: 1), now: at(99_999))
            }
        ),
    ]

    /// The state the writes above apply to: incident 1 with a task, a notification and a timer; deployment b1.
    static func prepare(_ store: any RewindStore) async throws {
        _ = try await store.commit(
            StateChange(
                newIncident: sampleIncident(), outbox: [outboxEntry(incident: 0)],
                newTimers: [timer(incident: 0, due: 100)],
                tasks: [task(incident: 0, "investigation.analyze_logs")],
                deployments: [.init(deployment("backend", "b1", at: 1), makeLive: false)]))
    }

    /// Everything a test can read, to tell that a refused write changed nothing.
    static func snapshot(_ store: any RewindStore) async throws -> String {
        var parts: [String] = []
        parts.append("\(try await store.deployments(of: "backend"))")
        parts.append("\(String(describing: try await store.liveDeployment(of: "backend")))")
        parts.append("\(try await store.automaticRollbacks(service: "backend", since: at(0)))")
        parts.append("\(String(describing: try await store.currentFreeze()))")
        parts.append("\(try await store.incidents(limit: 10))")
        parts.append("\(try await store.timeline(incidentID: 1))")
        parts.append("\(try await store.stepHistory(incidentID: 1))")
        parts.append("\(try await store.tasks(incidentID: 1))")
        parts.append("\(try await store.samples(incidentID: 1))")
        parts.append("\(try await store.recentOutbox(limit: 100))")
        parts.append("\(try await store.escalations(incidentID: 1))")
        return parts.joined(separator: "\n")
    }

    @Test(
        "every write of an instance whose lease was taken over is refused and changes nothing; the new holder writes",
        arguments: StoreFactory.all)
    func fencedWrites(_ factory: StoreFactory) async throws {
        try await factory.withState { open in
            let first = try await open()
            let second = try await open()
            let grantA = try #require(try await first.acquireLease(instance: "daemon-a", now: at(0), until: at(5)))
            let stale = first.fenced(by: grantA)
            try await Self.prepare(stale)
            let grantB = try #require(try await second.acquireLease(instance: "daemon-b", now: at(5), until: at(10)))
            let successor = second.fenced(by: grantB)

            let before = try await Self.snapshot(first)
            for (name, write) in Self.writes {
                let error = await expectError("store_fenced") { try await write(stale) }
                #expect(error as? StoreFenced == StoreFenced(grant: grantA, current: grantB), "\(name)")
            }
            #expect(try await Self.snapshot(first) == before)
            // Reads through the fenced store still work.
            #expect(try await stale.incident(id: 1) != nil)

            for (name, write) in Self.writes {
                do { try await write(successor) } catch { Issue.record("\(name) by the new holder: \(error)") }
            }
            #expect(try await Self.snapshot(first) != before)
        }
    }

    @Test("after releasing, a store bound to the released grant cannot write", arguments: StoreFactory.all)
    func writesAfterRelease(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let grant = try #require(try await store.acquireLease(instance: "daemon-a", now: at(0), until: at(5)))
            let writer = store.fenced(by: grant)
            _ = try await writer.createIncident(sampleIncident())
            try await store.releaseLease(grant)
            let error = await expectError("store_fenced") { _ = try await writer.createIncident(sampleIncident()) }
            #expect(error?.message.contains("released the writer lease") == true)
            #expect(try await store.incidents(limit: 10).count == 1)
        }
    }

    @Test("a fenced store writes nothing before a lease was ever taken", arguments: StoreFactory.all)
    func fencedWithoutLease(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let writer = store.fenced(by: LeaseGrant(holder: "daemon-a", epoch: 1, until: at(5)))
            await expectError("store_fenced") {
                try await writer.recordAutomaticRollback(service: "backend", at: at(1))
            }
            let rollbacks = try await store.automaticRollbacks(service: "backend", since: at(0))
            #expect(rollbacks.isEmpty)
        }
    }

    @Test(
        "an unbound store writes whoever holds the lease (tools, tests, the CLI with no daemon)",
        arguments: StoreFactory.all)
    func unfencedWrites(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            _ = try await store.acquireLease(instance: "daemon-a", now: at(0), until: at(5))
            try await store.recordAutomaticRollback(service: "backend", at: at(1))
            #expect(try await store.automaticRollbacks(service: "backend", since: at(0)) == [at(1)])
        }
    }

    @Test(
        "the advisory form: acquireLease(holder:) and releaseLease(holder:) wrap the grant API",
        arguments: StoreFactory.all)
    func advisoryForm(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            #expect(try await store.acquireLease(holder: "daemon-a", now: at(0), until: at(30)))
            #expect(try await store.acquireLease(holder: "daemon-a", now: at(20), until: at(50)))
            #expect(try await store.acquireLease(holder: "daemon-b", now: at(49), until: at(90)) == false)
            #expect(try await store.currentLease() == LeaseGrant(holder: "daemon-a", epoch: 1, until: at(50)))

            try await store.releaseLease(holder: "daemon-b")
            #expect(try await store.currentLease()?.holder == "daemon-a")
            try await store.releaseLease(holder: "daemon-a")
            #expect(try await store.currentLease() == nil)
            #expect(try await store.acquireLease(holder: "daemon-b", now: at(51), until: at(91)))
            #expect(try await store.currentLease()?.epoch == 2)
        }
    }

    @Test(
        "the holder's advertised URL is published with its grant, kept by renewals, replaced by a takeover",
        arguments: StoreFactory.all)
    func advertisedURL(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let grant = try #require(
                try await store.acquireLease(
                    instance: "daemon-a", advertising: "http://10.0.3.7:8480", now: at(0), until: at(5)))
            #expect(grant.advertiseURL == "http://10.0.3.7:8480")
            #expect(try await store.currentLease()?.advertiseURL == "http://10.0.3.7:8480")
            _ = try await store.renewLease(grant, until: at(10))
            #expect(try await store.currentLease()?.advertiseURL == "http://10.0.3.7:8480")
            let takeover = try #require(try await store.acquireLease(instance: "daemon-b", now: at(11), until: at(20)))
            #expect(takeover.advertiseURL == nil)
            #expect(try await store.currentLease()?.advertiseURL == nil)
            try await store.releaseLease(takeover)
            #expect(try await store.currentLease() == nil)
        }
    }
}
