import Foundation
import GRDB
import RewindCore
import RewindPorts
import Testing

@testable import RewindStoreSQLite

@Suite("SQLiteStore files: restarts, several processes, opening, migrations")
struct SQLiteFileTests {
    @Test("reopening the file keeps everything, the lease's epoch included")
    func survivesRestart() async throws {
        try await withStatePath { path in
            let incident: Incident
            let event: TimelineEvent
            let steps: [StepRecord]
            let committed: CommittedChange
            let grant: LeaseGrant
            let live = deployment("backend", "b2", at: 200, commit: "def456")
            let freeze = Freeze(until: at(3600), reason: "incident 1", setAt: at(0), incidentID: 1)
            do {
                let store = try SQLiteStore(path: path)
                grant = try #require(try await store.acquireLease(instance: "daemon-a", now: at(0), until: at(30)))
                let writer = store.fenced(by: grant)
                try await writer.recordDeployment(
                    deployment("backend", "b1", at: 100, trust: .knownGood), makeLive: false)
                try await writer.recordDeployment(live, makeLive: true)
                incident = try await writer.createIncident(sampleIncident())
                event = TimelineEvent(
                    incidentID: incident.id, at: at(121), kind: .decision, message: "immediate",
                    detail: .object(["targets": .array([.string("backend")])]))
                try await writer.append(event)
                steps = [
                    StepRecord(incidentID: incident.id, stepID: "rollback-backend", state: .intent, at: at(122)),
                    StepRecord(
                        incidentID: incident.id, stepID: "rollback-backend",
                        state: .accepted(operationID: "dep_123"), at: at(123)),
                ]
                for step in steps { try await writer.recordStep(step) }
                try await writer.recordAutomaticRollback(service: "backend", at: at(122))
                try await writer.setFreeze(freeze)
                committed = try await writer.commit(
                    StateChange(
                        outbox: [outboxEntry(incident: incident.id)],
                        newTimers: [timer(incident: incident.id, due: 400)],
                        tasks: [task(incident: incident.id, "investigation.analyze_logs")],
                        samples: [.init(incidentID: incident.id, [observation(at: 119)])]))
            }

            let reopened = try SQLiteStore(path: path)
            #expect(try await reopened.deployments(of: "backend").map(\.id) == ["b1", "b2"])
            #expect(try await reopened.liveDeployment(of: "backend") == live)
            #expect(try await reopened.incident(id: incident.id) == incident)
            #expect(try await reopened.openIncidents() == [incident])
            #expect(try await reopened.timeline(incidentID: incident.id) == [event])
            #expect(try await reopened.steps(incidentID: incident.id) == [steps[1]])
            #expect(try await reopened.stepHistory(incidentID: incident.id) == steps)
            #expect(try await reopened.automaticRollbacks(service: "backend", since: at(0)) == [at(122)])
            #expect(try await reopened.currentFreeze() == freeze)
            #expect(try await reopened.outbox(incidentID: incident.id) == committed.outbox)
            #expect(try await reopened.escalations(incidentID: incident.id) == committed.timers)
            #expect(try await reopened.tasks(incidentID: incident.id).count == 1)
            #expect(try await reopened.samples(incidentID: incident.id) == [observation(at: 119)])
            #expect(try await reopened.currentLease() == grant)
            #expect(try await reopened.acquireLease(instance: "daemon-b", now: at(10), until: at(40)) == nil)
            // The restarted holder renews with the same epoch; a new incident does not reuse an id.
            #expect(try await reopened.renewLease(grant, until: at(60)).epoch == grant.epoch)
            #expect(try await reopened.fenced(by: grant).createIncident(sampleIncident()).id == incident.id + 1)
        }
    }

    @Test("two stores on one file see each other's writes and fence each other (daemon and CLI, two daemons)")
    func twoInstances() async throws {
        try await withStatePath { path in
            let daemon = try SQLiteStore(path: path)
            let cli = try SQLiteStore.openExisting(path: path)

            let incident = try await daemon.createIncident(sampleIncident())
            #expect(try await cli.incident(id: incident.id) == incident)

            let freeze = Freeze(until: at(3600), reason: "operator freeze", setAt: at(5))
            try await cli.setFreeze(freeze)
            #expect(try await daemon.currentFreeze() == freeze)

            let grant = try #require(try await daemon.acquireLease(instance: "daemon", now: at(0), until: at(30)))
            #expect(try await cli.currentLease() == grant)
            #expect(try await cli.acquireLease(instance: "second-daemon", now: at(1), until: at(31)) == nil)

            let successor = try #require(
                try await cli.acquireLease(instance: "second-daemon", now: at(30), until: at(60)))
            await expectError("store_fenced") { try await daemon.fenced(by: grant).setFreeze(nil) }
            try await cli.fenced(by: successor).setFreeze(nil)
            #expect(try await daemon.currentFreeze() == nil)
        }
    }

    @Test("two stores racing for a free lease: exactly one wins, and each handover raises the epoch by one")
    func leaseRace() async throws {
        try await withStatePath { path in
            let stores = [try SQLiteStore(path: path), try SQLiteStore(path: path)]
            for round: Int64 in 0..<20 {
                let now = at(round * 100)
                let grants = try await withThrowingTaskGroup(of: LeaseGrant?.self) { group in
                    for (index, store) in stores.enumerated() {
                        group.addTask {
                            try await store.acquireLease(
                                instance: "daemon-\(round)-\(index)", now: now, until: now + .seconds(30))
                        }
                    }
                    return try await group.reduce(into: [LeaseGrant]()) { if let grant = $1 { $0.append(grant) } }
                }
                #expect(grants.map(\.epoch) == [round + 1], "round \(round)")
            }
        }
    }

    @Test("a commit on one connection is all or nothing for another connection reading the file")
    func commitIsOneTransaction() async throws {
        try await withStatePath { path in
            let writer = try SQLiteStore(path: path)
            let reader = try SQLiteStore.openExisting(path: path)
            var change = StateCommitContractTests.everything()
            change.trustChanges = [.init(service: "backend", deploymentID: "b77", trust: .bad, at: at(1))]
            await expectError("store_not_found") { _ = try await writer.commit(change) }
            #expect(try await reader.incidents(limit: 10).isEmpty)
            #expect(try await reader.deployments(of: "backend").isEmpty)
        }
    }

    @Test("a state file written before the lease had an epoch opens; its holder keeps the lease at epoch 1")
    func migratesLease() async throws {
        try await withStatePath { path in
            do {
                let queue = try DatabaseQueue(path: path)
                try Schema.migrator.migrate(queue, upTo: "v2")
                try await queue.write { db in
                    try db.execute(
                        sql: "INSERT INTO lease (id, holder, until) VALUES (1, 'old-daemon', ?)",
                        arguments: [at(30).millisecondsSinceEpoch])
                    try db.execute(
                        sql: """
                            INSERT INTO incidents (opened_at, status, trigger, severity, summary, mode, services)
                            VALUES (?, 'open', 'health_critical', 'critical', 'backend is down', 'enforce', '["backend"]')
                            """,
                        arguments: [at(0).millisecondsSinceEpoch])
                }
            }
            let store = try SQLiteStore.openExisting(path: path)
            #expect(try await store.currentLease() == LeaseGrant(holder: "old-daemon", epoch: 1, until: at(30)))
            #expect(try await store.incident(id: 1)?.summary == "backend is down")
            #expect(try await store.acquireLease(instance: "new-daemon", now: at(10), until: at(40)) == nil)
            let grant = try await store.acquireLease(instance: "new-daemon", now: at(30), until: at(60))
            #expect(grant == LeaseGrant(holder: "new-daemon", epoch: 2, until: at(60)))
        }
    }

    /// An older Rewind stored deployments only from reports (always made live) and from platform
    /// listings; which one is not known, so every old row counts as seen live and none as listed.
    @Test("a state file written before deployments recorded where they were seen opens; old rows count as seen live")
    func migratesDeploymentProvenance() async throws {
        try await withStatePath { path in
            do {
                let queue = try DatabaseQueue(path: path)
                try Schema.migrator.migrate(queue, upTo: "v3")
                try await queue.write { db in
                    try db.execute(
                        sql: """
                            INSERT INTO deployments (service, id, version, deployed_at, trust)
                            VALUES ('backend', 'b1', 'v1', 100, 'suspect'), ('backend', 'b2', 'v2', 200, 'suspect')
                            """)
                    try db.execute(sql: "INSERT INTO services_live (service, deployment_id) VALUES ('backend', 'b2')")
                }
            }
            let store = try SQLiteStore.openExisting(path: path)
            let deployments = try await store.deployments(of: "backend")
            #expect(deployments.map(\.id) == ["b1", "b2"])
            #expect(deployments.allSatisfy { $0.wasLive && !$0.listed && $0.isVouchedFor })
        }
    }

    @Test("every connection writes durably: WAL with synchronous=FULL, so a commit survives a power loss")
    func durableWrites() async throws {
        try await withStatePath { path in
            let store = try SQLiteStore(path: path)
            let settings = try await store.read("read the durability settings") { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
            }
            #expect(settings.0 == "wal")
            #expect(settings.1 == 2, "synchronous is \(settings.1 ?? -1); 2 is FULL")
            // The writer's connection above all: GRDB sets NORMAL on it when it turns WAL on.
            let writer = try await store.write("read the writer's durability settings") { db in
                try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
            #expect(writer == 2, "the writer's synchronous is \(writer ?? -1); 2 is FULL")
        }
    }

    @Test("refusals name the state file")
    func errorsNameTheFile() async throws {
        try await withStatePath { path in
            let store = try SQLiteStore(path: path)
            let error = await expectError("store_not_found") {
                try await store.setLive(service: "backend", deploymentID: "nope")
            }
            #expect(error is StoreError)
            #expect(error?.message.contains(path) == true)
        }
    }

    @Test("a new store creates missing directories")
    func createsDirectory() async throws {
        try await withStatePath { path in
            let nested = URL(fileURLWithPath: path).deletingLastPathComponent()
                .appendingPathComponent("state/nested/rewind.db").path
            let store = try SQLiteStore(path: nested)
            _ = try await store.createIncident(sampleIncident())
            #expect(FileManager.default.fileExists(atPath: nested))
            #expect(try await SQLiteStore.openExisting(path: nested).incidents(limit: 5).count == 1)
        }
    }

    @Test("openExisting on a missing file is store_missing_file naming the path, and creates nothing")
    func openExistingMissing() async throws {
        try await withStatePath { path in
            let error = #expect(throws: StoreError.self) { try SQLiteStore.openExisting(path: path) }
            #expect(error?.code == "store_missing_file")
            #expect(error?.path == path)
            #expect(error?.message.contains(path) == true)
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("openExisting refuses a file that is not a Rewind state file")
    func openExistingForeign() async throws {
        try await withStatePath { path in
            #expect(FileManager.default.createFile(atPath: path, contents: Data("not a database, just text\n".utf8)))
            let garbage = #expect(throws: StoreError.self) { try SQLiteStore.openExisting(path: path) }
            #expect(garbage?.code == "store_cannot_open")
            #expect(garbage?.message.contains(path) == true)

            try FileManager.default.removeItem(atPath: path)
            #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            let empty = #expect(throws: StoreError.self) { try SQLiteStore.openExisting(path: path) }
            #expect(empty?.code == "store_not_rewind_database")
        }
    }
}
