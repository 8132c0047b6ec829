import RewindCore
import RewindStoreSQLite
import Testing

@Suite("SQLiteStore incidents and journal")
struct IncidentStoreTests {
    @Test("createIncident assigns increasing ids and stores plan and violation intact")
    func createAndRead() async throws {
        try await withStore { store in
            let first = try await store.createIncident(sampleIncident())
            var manual = sampleIncident(openedAt: 300)
            manual.id = 999  // ignored
            manual.trigger = .manual
            manual.strategy = nil
            manual.plan = nil
            manual.violation = nil
            manual.reason = "bad migration in v2"
            manual.mode = .observe
            let second = try await store.createIncident(manual)

            #expect(first.id == 1)
            #expect(second.id == 2)
            var expectedFirst = sampleIncident()
            expectedFirst.id = 1
            #expect(first == expectedFirst)
            #expect(try await store.incident(id: 1) == expectedFirst)
            manual.id = 2
            #expect(try await store.incident(id: 2) == manual)
            #expect(try await store.incident(id: 3) == nil)
        }
    }

    @Test("updateIncident replaces the record; an unknown id is store_not_found")
    func update() async throws {
        try await withStore { store in
            var incident = try await store.createIncident(sampleIncident())
            incident.status = .completed
            incident.closedAt = at(600)
            incident.summary = "rolled back frontend and backend; verified"
            incident.plan = nil
            try await store.updateIncident(incident)
            #expect(try await store.incident(id: incident.id) == incident)

            var unknown = incident
            unknown.id = 42
            let error = await #expect(throws: StoreError.self) { try await store.updateIncident(unknown) }
            #expect(error?.code == "store_not_found")
            #expect(error?.message.contains("incident 42") == true)
        }
    }

    @Test("incidents(limit:) is newest first; openIncidents lists only open ones, oldest first")
    func listing() async throws {
        try await withStore { store in
            for (index, status) in [IncidentStatus.completed, .open, .escalated, .open, .failed].enumerated() {
                _ = try await store.createIncident(sampleIncident(openedAt: Int64(index) * 60, status: status))
            }
            #expect(try await store.incidents(limit: 3).map(\.id) == [5, 4, 3])
            #expect(try await store.incidents(limit: 10).map(\.id) == [5, 4, 3, 2, 1])
            #expect(try await store.openIncidents().map(\.id) == [2, 4])
        }
    }

    @Test("the timeline is chronological, ties in append order, with detail JSON intact")
    func timeline() async throws {
        try await withStore { store in
            let incident = try await store.createIncident(sampleIncident())
            let detail = JSONValue.object([
                "evidence": .array([.string("status 503"), .number(41), .number(2.5)]),
                "step": .string("rollback-backend"), "verified": .bool(false), "operation": .null,
            ])
            let events = [
                TimelineEvent(
                    incidentID: incident.id, at: at(120), kind: .detected, message: "3 failures", detail: detail),
                TimelineEvent(incidentID: incident.id, at: at(120), kind: .decision, message: "immediate rollback"),
                TimelineEvent(incidentID: incident.id, at: at(125), kind: .stepIntent, message: "rollback-frontend"),
                TimelineEvent(incidentID: incident.id, at: at(126), kind: .stepOutcome, message: "succeeded"),
            ]
            // Appended out of order: the earlier decision arrives after a later step event.
            for index in [0, 2, 1, 3] { try await store.append(events[index]) }

            #expect(try await store.timeline(incidentID: incident.id) == [events[0], events[1], events[2], events[3]])
            #expect(try await store.timeline(incidentID: 77).isEmpty)
        }
    }

    @Test("appending to an unknown incident is store_not_found")
    func appendUnknown() async throws {
        try await withStore { store in
            let event = TimelineEvent(incidentID: 9, at: at(1), kind: .detected, message: "x")
            let error = await #expect(throws: StoreError.self) { try await store.append(event) }
            #expect(error?.kind == .notFound)
            let step = StepRecord(incidentID: 9, stepID: "rollback-backend", state: .intent, at: at(1))
            await #expect(throws: StoreError.self) { try await store.recordStep(step) }
        }
    }

    @Test("steps(incidentID:) gives the latest record per step; stepHistory keeps the whole journal")
    func stepJournal() async throws {
        try await withStore { store in
            let incident = try await store.createIncident(sampleIncident())
            let other = try await store.createIncident(sampleIncident())
            let id = incident.id
            let journal = [
                StepRecord(incidentID: id, stepID: "rollback-frontend", state: .intent, at: at(125)),
                StepRecord(
                    incidentID: id, stepID: "rollback-frontend", state: .accepted(operationID: "op-1"), at: at(126)),
                StepRecord(incidentID: id, stepID: "rollback-backend", state: .intent, at: at(127)),
                StepRecord(
                    incidentID: id, stepID: "rollback-frontend", state: .done(.succeeded(viaFallback: true)),
                    at: at(130)),
                StepRecord(incidentID: id, stepID: "rollback-backend", state: .accepted(operationID: nil), at: at(131)),
                StepRecord(
                    incidentID: id, stepID: "rollback-backend", state: .done(.failed("platform said 409")), at: at(140)),
            ]
            for record in journal { try await store.recordStep(record) }
            let unrelated = StepRecord(
                incidentID: other.id, stepID: "rollback-frontend", state: .done(.alreadyLive), at: at(1))
            try await store.recordStep(unrelated)

            #expect(try await store.steps(incidentID: id) == [journal[3], journal[5]])
            #expect(try await store.stepHistory(incidentID: id) == journal)
            #expect(try await store.steps(incidentID: other.id) == [unrelated])
            #expect(try await store.steps(incidentID: 1234).isEmpty)
        }
    }
}
