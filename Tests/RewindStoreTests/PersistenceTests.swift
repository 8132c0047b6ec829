import Foundation
import RewindCore
import RewindStoreSQLite
import Testing

@Suite("SQLiteStore files: restarts, several processes, opening")
struct PersistenceTests {
    @Test("reopening the file keeps everything")
    func survivesRestart() async throws {
        try await withStatePath { path in
            let incident: Incident
            let event: TimelineEvent
            let steps: [StepRecord]
            let live = deployment("backend", "b2", at: 200, commit: "def456")
            let freeze = Freeze(until: at(3600), reason: "incident 1", setAt: at(0), incidentID: 1)
            do {
                let store = try SQLiteStore(path: path)
                try await store.recordDeployment(
                    deployment("backend", "b1", at: 100, trust: .knownGood), makeLive: false)
                try await store.recordDeployment(live, makeLive: true)
                incident = try await store.createIncident(sampleIncident())
                event = TimelineEvent(
                    incidentID: incident.id, at: at(121), kind: .decision, message: "immediate",
                    detail: .object(["targets": .array([.string("backend")])]))
                try await store.append(event)
                steps = [
                    StepRecord(incidentID: incident.id, stepID: "rollback-backend", state: .intent, at: at(122)),
                    StepRecord(
                        incidentID: incident.id, stepID: "rollback-backend",
                        state: .accepted(operationID: "dep_123"), at: at(123)),
                ]
                for step in steps { try await store.recordStep(step) }
                try await store.recordAutomaticRollback(service: "backend", at: at(122))
                try await store.setFreeze(freeze)
                #expect(try await store.acquireLease(holder: "daemon-a", now: at(0), until: at(30)))
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
            #expect(try await reopened.acquireLease(holder: "daemon-b", now: at(10), until: at(40)) == false)
            // A new incident after the restart does not reuse an id.
            #expect(try await reopened.createIncident(sampleIncident()).id == incident.id + 1)
        }
    }

    @Test("two stores on one file see each other's writes (daemon and CLI)")
    func twoInstances() async throws {
        try await withStatePath { path in
            let daemon = try SQLiteStore(path: path)
            let cli = try SQLiteStore.openExisting(path: path)

            let incident = try await daemon.createIncident(sampleIncident())
            #expect(try await cli.incident(id: incident.id) == incident)

            let freeze = Freeze(until: at(3600), reason: "operator freeze", setAt: at(5))
            try await cli.setFreeze(freeze)
            #expect(try await daemon.currentFreeze() == freeze)

            #expect(try await daemon.acquireLease(holder: "daemon", now: at(0), until: at(30)))
            #expect(try await cli.currentLease() == WriterLease(holder: "daemon", until: at(30)))
            #expect(try await cli.acquireLease(holder: "second-daemon", now: at(1), until: at(31)) == false)
        }
    }

    @Test("two stores racing for a free lease: exactly one wins")
    func leaseRace() async throws {
        try await withStatePath { path in
            let stores = [try SQLiteStore(path: path), try SQLiteStore(path: path)]
            for round: Int64 in 0..<20 {
                let now = at(round * 100)
                let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for (index, store) in stores.enumerated() {
                        group.addTask {
                            try await store.acquireLease(
                                holder: "daemon-\(round)-\(index)", now: now, until: now + .seconds(30))
                        }
                    }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(winners == 1, "round \(round)")
            }
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
