import RewindCore
import RewindPorts
import Testing

@Suite("Store contract: incident journal (incidents, timeline, steps, tasks, samples)")
struct IncidentJournalContractTests {
    @Test("createIncident assigns increasing ids and stores plan and violation intact", arguments: StoreFactory.all)
    func createAndRead(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
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

    @Test("updateIncident replaces the record; an unknown id is store_not_found", arguments: StoreFactory.all)
    func update(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            var incident = try await store.createIncident(sampleIncident())
            incident.status = .completed
            incident.closedAt = at(600)
            incident.summary = "rolled back frontend and backend; verified"
            incident.plan = nil
            incident.acknowledgedAt = at(500)
            incident.acknowledgedBy = "ada"
            try await store.updateIncident(incident)
            #expect(try await store.incident(id: incident.id) == incident)

            var unknown = incident
            unknown.id = 42
            let error = await expectError("store_not_found") { try await store.updateIncident(unknown) }
            #expect(error?.message.contains("incident 42") == true)
            #expect(try await store.incident(id: 42) == nil)
        }
    }

    @Test(
        "incidents(limit:) is newest first; openIncidents lists only open ones, oldest first",
        arguments: StoreFactory.all)
    func listing(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            for (index, status) in [IncidentStatus.completed, .open, .escalated, .open, .failed].enumerated() {
                _ = try await store.createIncident(sampleIncident(openedAt: Int64(index) * 60, status: status))
            }
            #expect(try await store.incidents(limit: 3).map(\.id) == [5, 4, 3])
            #expect(try await store.incidents(limit: 10).map(\.id) == [5, 4, 3, 2, 1])
            #expect(try await store.incidents(limit: 0).isEmpty)
            #expect(try await store.openIncidents().map(\.id) == [2, 4])
        }
    }

    @Test("the timeline is chronological, ties in append order, with detail JSON intact", arguments: StoreFactory.all)
    func timeline(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
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

    @Test("appending to, or recording a step of, an unknown incident is store_not_found", arguments: StoreFactory.all)
    func appendUnknown(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let event = TimelineEvent(incidentID: 9, at: at(1), kind: .detected, message: "x")
            await expectError("store_not_found") { try await store.append(event) }
            let step = StepRecord(incidentID: 9, stepID: "rollback-backend", state: .intent, at: at(1))
            await expectError("store_not_found") { try await store.recordStep(step) }
            let timeline = try await store.timeline(incidentID: 9)
            let journal = try await store.stepHistory(incidentID: 9)
            #expect(timeline.isEmpty && journal.isEmpty)
        }
    }

    @Test(
        "steps(incidentID:) gives the latest record per step; stepHistory keeps the whole journal",
        arguments: StoreFactory.all)
    func stepJournal(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
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

    @Test(
        "tasks keep the order they were added; a task added again is skipped; updates keep its place",
        arguments: StoreFactory.all)
    func tasks(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let logs = task(incident: 1, "investigation.analyze_logs")
            let metrics = task(incident: 1, "investigation.review_metrics", title: "Review metrics")
            let other = task(incident: 2, "investigation.analyze_logs")
            try await store.addTasks([logs, metrics])
            try await store.addTasks([other])
            let report = task(incident: 1, "documentation.incident_report", title: "Incident report")
            try await store.addTasks([task(incident: 1, "investigation.analyze_logs", title: "changed"), report])
            #expect(try await store.tasks(incidentID: 1) == [logs, metrics, report])
            #expect(try await store.tasks(incidentID: 2) == [other])
            #expect(try await store.tasks(incidentID: 3).isEmpty)

            var done = metrics
            done.state = .done
            done.note = "p99 back to normal"
            done.updatedAt = at(900)
            try await store.updateTask(done)
            #expect(try await store.tasks(incidentID: 1) == [logs, done, report])

            let error = await expectError("store_not_found") {
                try await store.updateTask(task(incident: 2, "remediation.fix_root_cause"))
            }
            #expect(error?.message.contains("remediation.fix_root_cause") == true)
            #expect(try await store.tasks(incidentID: 2) == [other])
        }
    }

    @Test(
        "overdueTasks: due, open or in progress, not reminded; earliest due first; updates move a task in and out",
        arguments: StoreFactory.all)
    func overdueTasks(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            var early = task(incident: 2, "investigation.analyze_logs")
            early.dueAt = at(600)
            let logs = task(incident: 1, "investigation.analyze_logs")  // due at 7320
            var progress = task(incident: 1, "investigation.review_metrics", title: "Review metrics")
            progress.state = .inProgress
            var done = task(incident: 1, "investigation.check_configuration", title: "Check configuration")
            done.state = .done
            var undated = task(incident: 1, "documentation.incident_report", title: "Incident report")
            undated.dueAt = nil
            var later = task(incident: 1, "remediation.fix_root_cause", title: "Fix root cause")
            later.dueAt = at(90_000)
            try await store.addTasks([logs, progress, done, undated, later])
            try await store.addTasks([early])

            #expect(try await store.overdueTasks(now: at(599)).isEmpty)
            #expect(try await store.overdueTasks(now: at(600)) == [early])
            #expect(try await store.overdueTasks(now: at(7320)) == [early, logs, progress])

            var reminded = logs
            reminded.remindedAt = at(7330)
            var finished = progress
            finished.state = .done
            try await store.updateTask(reminded)
            try await store.updateTask(finished)
            #expect(try await store.overdueTasks(now: at(8000)) == [early])
            #expect(try await store.tasks(incidentID: 1).first == reminded)

            // Reopened and not reminded: chased again.
            finished.state = .open
            try await store.updateTask(finished)
            #expect(try await store.overdueTasks(now: at(8000)) == [early, finished])
        }
    }

    @Test("samples come back by time, ties in the order recorded, per incident", arguments: StoreFactory.all)
    func samples(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let late = observation(at: 300, status: 503)
            let earlyA = observation(at: 100, "http /healthz")
            let earlyB = observation(at: 100, "http /ready", status: 500)
            try await store.recordSamples(incidentID: 1, [late, earlyA])
            try await store.recordSamples(incidentID: 1, [earlyB])
            try await store.recordSamples(incidentID: 2, [observation(at: 50)])
            #expect(try await store.samples(incidentID: 1) == [earlyA, earlyB, late])
            #expect(try await store.samples(incidentID: 2) == [observation(at: 50)])
            #expect(try await store.samples(incidentID: 3).isEmpty)
        }
    }
}
