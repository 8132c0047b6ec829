import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// A daemon that died mid-rollback: the next one resumes from the journal and never calls the
/// platform twice for the same step.
@Suite("Engine: resuming after a restart", .timeLimit(.minutes(3)))
struct RestartTests {

    @Test("accepted before the restart, operation still running: polled to the end, never called again")
    func resumesAcceptedOperation() async throws {
        try await Harness.with { h in
            let staged = try await h.stageInterruptedRollback(journal: [.intent, .accepted(operationID: "op-1")])
            let v1 = Fixture.id(Fixture.backend, "v1")
            h.world.stageOperation(id: "op-1", service: Fixture.backend, target: v1, polls: 2)
            try await h.run { run in
                let incident = try await run.untilClosed()
                #expect(incident.id == staged.id)
                #expect(incident.status == .completed)

                #expect(h.world.rollbackCalls.isEmpty)
                #expect(h.world.statusPolls == 2)
                #expect(h.world.live(Fixture.backend) == v1)
                #expect(try await h.liveID(Fixture.backend) == v1)
                #expect(try await h.deployment(Fixture.backend, "v2")?.trust == .bad)

                #expect(
                    try await h.journal(incident.id, step: "rollback-backend")
                        == [.intent, .accepted(operationID: "op-1"), .done(.succeeded(viaFallback: false))])
                #expect(
                    try await h.journal(incident.id, step: "verify-backend") == [.done(.succeeded(viaFallback: false))])
                let timeline = try await h.sqlite.timeline(incidentID: incident.id)
                #expect(timeline.filter { $0.kind == .resumed }.count == 2)
                #expect(!timeline.contains { $0.kind == .stepIntent })
                // Nothing already announced is announced again.
                #expect(h.notifier.incidentKinds == [.completed])
                // The failing v2 kept firing while the incident ran: ignored, no second incident.
                #expect(try await h.incidents().count == 1)
            }
        }
    }

    @Test("intent recorded but the platform already serves the target: alreadyLive, nothing called")
    func resumesIntentAlreadyLive() async throws {
        try await Harness.with { h in
            let staged = try await h.stageInterruptedRollback(journal: [.intent])
            let v1 = Fixture.id(Fixture.backend, "v1")
            h.world.setLive(Fixture.backend, v1)
            try await h.run { run in
                let incident = try await run.untilClosed()
                #expect(incident.id == staged.id)
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCalls.isEmpty)
                #expect(try await h.liveID(Fixture.backend) == v1)
                #expect(
                    try await h.journal(incident.id, step: "rollback-backend") == [
                        .intent, .intent, .done(.alreadyLive),
                    ])
                let timeline = try await h.sqlite.timeline(incidentID: incident.id)
                #expect(timeline.contains { $0.kind == .resumed })
                #expect(timeline.contains { $0.kind == .stepAttempt && $0.message.contains("already serves") })
            }
        }
    }

    @Test("intent recorded and the platform still on v2: the step runs once, now")
    func resumesIntentNotYetCalled() async throws {
        try await Harness.with { h in
            _ = try await h.stageInterruptedRollback(journal: [.intent])
            try await h.run { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCalls.count == 1)
                #expect(
                    try await h.journal(incident.id, step: "rollback-backend")
                        == [.intent, .intent, .accepted(operationID: nil), .done(.succeeded(viaFallback: false))])
            }
        }
    }

    @Test("a step done but not verified before the restart: only the verification runs")
    func resumesVerificationOnly() async throws {
        try await Harness.with { h in
            let staged = try await h.stageInterruptedRollback(
                journal: [.intent, .accepted(operationID: nil), .done(.succeeded(viaFallback: false))])
            h.world.setLive(Fixture.backend, Fixture.id(Fixture.backend, "v1"))
            try await h.run { run in
                let incident = try await run.untilClosed()
                #expect(incident.id == staged.id)
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCalls.isEmpty)
                #expect(
                    try await h.journal(incident.id, step: "verify-backend") == [.done(.succeeded(viaFallback: false))])
            }
        }
    }

    @Test("a daemon stopped mid-operation: its successor on the same state finishes it without a second call")
    func successorFinishesInterruptedRollback() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.setRollbackBehaviour(.neverFinishes)
            var interrupted: Int64 = 0
            try await h.run { run in
                try await run.advance(until: "the platform accepted the rollback") { h.world.statusPolls >= 2 }
                interrupted = try #require(try await h.sqlite.openIncidents().first).id
            }
            #expect(
                try await h.journal(interrupted, step: "rollback-backend") == [.intent, .accepted(operationID: "op-1")])
            #expect(try await h.sqlite.incident(id: interrupted)?.status == .open)
            // Being stopped is not a failed rollback: the stopped daemon should neither close the incident
            // nor tell people the rollback failed (its successor finishes it below).
            let closedByStopped = h.events.closedIncidents
            let toldFailed = h.notifier.incidentKinds.contains(.failed)
            #expect(closedByStopped.isEmpty)
            #expect(!toldFailed)
            let closedBefore = h.events.closedIncidents.count

            // The platform finishes the operation on its own; a new daemon starts on the same state.
            h.world.stageOperation(id: "op-1", service: Fixture.backend, target: v1.id, polls: 1)
            try await h.run { run in
                let incident = try await run.untilClosed(closedBefore + 1)
                #expect(incident.id == interrupted)
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCalls.count == 1)
                #expect(try await h.liveID(Fixture.backend) == v1.id)
                #expect(
                    try await h.journal(incident.id, step: "rollback-backend")
                        == [.intent, .accepted(operationID: "op-1"), .done(.succeeded(viaFallback: false))])
            }
        }
    }

    // MARK: A call the previous daemon may have made (a synchronous provider: intent, no answer)

    /// Runs an engine whose backend provider is `platform` over the staged interrupted rollback.
    private func resume(
        _ h: Harness, with platform: FakePlatform, _ body: (EngineRun) async throws -> Void
    ) async throws {
        let policy = Fixture.policy()
        try await h.run(
            h.makeEngine(policy: policy, fallback: true, platforms: [Fixture.backend: platform]), policy: policy, body)
    }

    @Test(
        "intent without an answer, a provider that cannot tell what is live: not called again, outcome unknown, verified, escalated"
    )
    func interruptedCallOfABlindProviderIsNotRepeated() async throws {
        try await Harness.with { h in
            let staged = try await h.stageInterruptedRollback(journal: [.intent])
            // The previous daemon's command did run to its end; nothing can tell the new one so.
            h.world.setLive(Fixture.backend, Fixture.id(Fixture.backend, "v1"))
            try await resume(h, with: FakePlatform(h.world, tellsLive: false)) { run in
                let incident = try await run.untilClosed()
                #expect(incident.id == staged.id)
                #expect(incident.status == .failed)
                // Neither the provider nor its fallback was called a second time.
                #expect(h.world.rollbackCalls.isEmpty)
                let journal = try await h.journal(incident.id, step: "rollback-backend")
                #expect(journal.prefix(2) == [.intent, .intent])
                guard case .done(.unknown(let reason))? = journal.last else {
                    Issue.record("expected an unknown outcome, got \(journal)")
                    return
                }
                #expect(reason.contains("may or may not have run"))
                #expect(reason.contains("check backend by hand"))
                // Its health was verified, so people know where it stands.
                #expect(
                    try await h.journal(incident.id, step: "verify-backend") == [.done(.succeeded(viaFallback: false))])
                #expect(try await h.escalationReasons(incident.id) == ["rollback_failed"])
                #expect(h.notifier.incidentKinds == [.failed])
                #expect(h.notifier.incidentNotices.last?.error?.contains("outcome unknown") == true)
                // Rewind does not claim a rollback it cannot vouch for.
                #expect(try await h.deployment(Fixture.backend, "v2")?.trust != .bad)
            }
        }
    }

    @Test("intent without an answer, an idempotent provider that cannot tell what is live: called again, once")
    func interruptedCallOfAnIdempotentProviderRunsAgain() async throws {
        try await Harness.with { h in
            _ = try await h.stageInterruptedRollback(journal: [.intent])
            try await resume(h, with: FakePlatform(h.world, tellsLive: false, isIdempotent: true)) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCount(provider: FakePlatform.primary) == 1)
                #expect(h.world.rollbackCount(provider: FakePlatform.fallback) == 0)
                #expect(
                    try await h.journal(incident.id, step: "rollback-backend")
                        == [.intent, .intent, .accepted(operationID: nil), .done(.succeeded(viaFallback: false))])
            }
        }
    }

    @Test("intent without an answer, a provider that reads what is live (a command with current:): the re-read decides")
    func interruptedCallOfAProviderThatTellsIsReRead() async throws {
        try await Harness.with { h in
            _ = try await h.stageInterruptedRollback(journal: [.intent])
            let v1 = Fixture.id(Fixture.backend, "v1")
            // The interrupted command finished: the current command prints v1.
            h.world.setLive(Fixture.backend, v1)
            try await resume(h, with: FakePlatform(h.world)) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCalls.isEmpty)
                #expect(
                    try await h.journal(incident.id, step: "rollback-backend") == [
                        .intent, .intent, .done(.alreadyLive),
                    ])
            }
        }
    }

    @Test("a provider that cannot tell what is live is called as usual when nothing was interrupted")
    func blindProviderRollsBackOnAFreshIncident() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            try await resume(h, with: FakePlatform(h.world, tellsLive: false)) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCount(provider: FakePlatform.primary) == 1)
                #expect(h.world.live(Fixture.backend) == v1.id)
            }
        }
    }

    @Test("one writer: a second daemon on the same state refuses to start while the first holds the lease")
    func secondDaemonIsRefused() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run { run in
                let intruder = h.makeEngine(watch: false, holder: "intruder")
                let outcome = Box<String>()
                let started = h.clock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            try await withTaskExecutorPreference(h.executor) { try await intruder.run() }
                            outcome.set("returned")
                        } catch let refusal as EngineRefusal {
                            outcome.set(refusal.code)
                        } catch {
                            outcome.set("threw \(error)")
                        }
                    }
                    try await run.advance(until: "the second daemon gave up") { outcome.current != nil }
                    group.cancelAll()
                }
                #expect(outcome.current == "lease_held")
                #expect(h.clock.now - started >= .seconds(7))
            }
        }
    }
}
