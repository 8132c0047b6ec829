import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// The one-shot engine behind `rewind rollback` without a daemon: it ends by itself once its work is
/// done, and never leaves a page only written down for a later invocation to send.
@Suite("Engine: one-shot rollbacks", .timeLimit(.minutes(3)))
struct OneShotTests {
    @Test("a one-shot rollback that fails pages on-call before the engine returns, its timer fired in the same write")
    func failedRollbackPagesBeforeItReturns() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .healthy)
            h.world.failNextRollbacks(10, with: ProviderError(.rejected, "the platform refuses the rollback"))
            let engine = h.makeEngine(watch: false)
            try await h.run(engine, policy: Fixture.policy()) { run in
                let id = try await engine.requestRollback(
                    .init(service: Fixture.backend, to: nil, reason: "bad migration")
                ).get()
                let incident = await engine.waitForIncident(id)
                #expect(incident.status == .failed)
                engine.finish()
                try await run.advance(until: "the engine returned") { run.stopped != nil }
                #expect(run.stopped == "run() returned")

                // On-call was paged before it returned; management's page waits (5 m) for the daemon.
                let pages = h.notifier.notices.filter { $0.kind == .escalated }
                #expect(pages.map(\.audience) == [.oncall])
                let timers = try await h.sqlite.escalations(incidentID: id)
                #expect(timers.first { $0.audience == .oncall }?.state == .fired)
                #expect(timers.first { $0.audience == .management }?.state == .pending)
                // And the failed notice itself went out.
                #expect(h.notifier.incidentKinds.contains(.failed))
            }
        }
    }
}
