import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// A channel that folds repeats by a key of its own, as PagerDuty's `dedup_key` does.
private struct FoldingNotifier: Notifier {
    let base = CollectingNotifier(channel: "pager")
    var channel: String { base.channel }
    var foldsRepeats: Bool { true }

    func send(_ notice: Notice) async throws {
        try await base.send(notice)
    }
}

/// A daemon killed between a vendor's acceptance and its record of `sent` leaves the notice pending;
/// the next daemon sends it again. It cannot tell that case from a notice never sent, so it says so.
@Suite("Engine: notices an earlier daemon left pending", .timeLimit(.minutes(3)))
struct InheritedNoticeTests {
    @Test(
        "a notice left pending by an earlier daemon is sent with its outbox id and marked as a possible repeat, except on a channel that folds repeats; the new daemon's own notices are not marked"
    )
    func inheritedNoticeIsMarkedAsAPossibleRepeat() async throws {
        try await Harness.with { h in
            // What the killed daemon left: its intent, and the opening notice on both channels, pending.
            let incident = try await h.stageInterruptedRollback(journal: [.intent])
            let opening = Notice(
                kind: .initiated, incidentID: incident.id, services: [Fixture.backend], trigger: .healthCritical,
                severity: .critical, timestamp: h.clock.now, strategy: .immediate, actions: [], status: "in_progress")
            let left = try await h.sqlite.enqueue(
                ["collector", "pager"].map {
                    OutboxEntry(
                        incidentID: incident.id, channel: $0, notice: opening, nextAttemptAt: h.clock.now,
                        createdAt: h.clock.now)
                })

            let pager = FoldingNotifier()
            let policy = Fixture.policy()
            try await h.run(h.makeEngine(policy: policy, notifiers: [pager]), policy: policy) { run in
                let closed = try await run.untilClosed()
                #expect(closed.id == incident.id)
                try await run.advance(until: "the inherited notice is delivered on both channels") {
                    h.notifier.notices.contains { $0.delivery?.id == left[0].id }
                        && pager.base.notices.contains { $0.delivery?.id == left[1].id }
                }
            }

            let again = try #require(h.notifier.notices.first { $0.delivery?.id == left[0].id })
            #expect(again.kind == .initiated)
            #expect(again.delivery?.mayRepeat == true)
            let folded = try #require(pager.base.notices.first { $0.delivery?.id == left[1].id })
            #expect(folded.delivery?.mayRepeat == false)
            // The new daemon's own notices (the completion) carry their ids and are not marked.
            let completed = try #require(h.notifier.notices.first { $0.kind == .completed })
            #expect(try #require(completed.delivery?.id) > left[1].id)
            #expect(completed.delivery?.mayRepeat == false)
            // The timeline says which delivery may have repeated one.
            let timeline = try await h.sqlite.timeline(incidentID: incident.id).filter { $0.kind == .notification }
            let marked = timeline.filter { $0.message.contains("marked as sent again") }
            #expect(marked.count == 1)
            #expect(marked.first?.message.contains("collector") == true)
        }
    }
}
