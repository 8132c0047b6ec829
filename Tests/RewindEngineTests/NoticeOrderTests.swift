import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// What channels receive, in which order, and where escalations and channel failures go.
@Suite("Engine: notice order and routing", .timeLimit(.minutes(3)))
struct NoticeOrderTests {
    @Test(
        "a channel whose first attempts fail keeps the incident's order: the resolve never overtakes its trigger's retries"
    )
    func completedWaitsForTheRetriedInitiated() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            // A PagerDuty-like channel: 429, then 500, then it answers.
            let pager = CollectingNotifier(channel: "pager", failures: 2)
            var policy = Fixture.policy()
            policy.notifications.audiences = [
                .oncall: ["collector"], .management: ["collector"], .devops: ["collector"], .product: ["collector"],
            ]
            try await h.run(policy: policy, notifiers: [pager]) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()
                try await run.advance(until: "the pager got both") { pager.kinds.count >= 2 }
                #expect(pager.kinds == [.initiated, .completed])
                let entries = try await h.sqlite.outbox(incidentID: incident.id).filter { $0.channel == "pager" }.sorted
                { $0.id < $1.id }
                let sent = entries.compactMap(\.sentAt)
                #expect(sent.count == 2 && sent[0] <= sent[1])
            }
        }
    }

    @Test(
        "a notice attempted while an earlier one of its channel is still in its first attempt goes right after it, not at its retry"
    )
    func noticeBehindAnAttemptInFlightIsNotHeldForTheRetry() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let slow = GatedNotifier(channel: "slow")
            var policy = Fixture.policy()
            policy.notifications.timeout = .seconds(3600)
            try await h.run(policy: policy, notifiers: [slow]) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                // The incident runs to its closing write while the initiated notice is still being sent to
                // the slow channel: the completed notice's attempt comes while that one is in flight.
                try await run.advance(until: "the incident's closing write") {
                    try await h.incidents().first?.closedAt != nil
                }
                #expect(slow.sends >= 1)
                let closedAt = try #require(try await h.incidents().first?.closedAt)
                slow.open()
                let incident = try await run.untilClosed()

                #expect(slow.kinds.prefix(1) == [.initiated])
                #expect(slow.kinds.contains(.completed))
                let entries = try await h.sqlite.outbox(incidentID: incident.id).filter {
                    $0.channel == "slow" && $0.notice.audience == nil
                }
                let completed = try #require(entries.first { $0.notice.kind == .completed })
                // Sent the moment the one ahead of it was: before the fix it waited for that one's retry slot.
                #expect(completed.status == .sent)
                #expect(completed.sentAt == closedAt)
                #expect(completed.attempts == 1)
            }
        }
    }

    @Test("escalation pages follow routes.escalated when the audience names no channel")
    func escalationsFollowTheirRoute() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let other = CollectingNotifier(channel: "other")
            var policy = Fixture.policy()
            policy.notifications.routes = [.escalated: ["collector"]]
            try await h.run(policy: policy, notifiers: [other]) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                _ = try await run.untilClosed()
                try await run.advance(until: "on-call was paged") { !h.notifier.pages.isEmpty }
                #expect(h.notifier.pages.map(\.audience) == [.oncall])
                #expect(other.pages.isEmpty, "the page went to a channel outside routes.escalated")
                // Events without a route still reach every channel.
                #expect(other.incidentKinds == [.initiated, .completed])
            }
        }
    }

    @Test("a failing channel is reported once per failure episode, never to itself nor to another failing channel")
    func channelFailedOncePerEpisode() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let dead = CollectingNotifier(channel: "dead", failures: Int.max)
            let alsoDead = CollectingNotifier(channel: "also-dead", failures: Int.max)
            try await h.run(notifiers: [dead, alsoDead]) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                _ = try await run.untilClosed()
                try await run.advance(until: "both dead channels gave up on the completed notice") {
                    run.events.notified.filter { !$0.delivered && $0.kind == .completed }.count == 2
                }
                let reports = h.notifier.notices.filter { $0.kind == .channelFailed }
                #expect(Set(reports.compactMap(\.failedChannel)) == ["dead", "also-dead"])
                #expect(reports.count == 2, "one report per channel, not one per dropped notice")
                #expect(reports.allSatisfy { $0.title.hasPrefix("NOTIFICATION CHANNEL FAILED") })
                // The dead channels never got (or were never sent) a report about each other.
                let outbox = try await h.sqlite.recentOutbox(limit: 500)
                #expect(
                    !outbox.contains {
                        $0.notice.kind == .channelFailed && ($0.channel == "dead" || $0.channel == "also-dead")
                            && $0.notice.failedChannel == $0.channel
                    })
            }
        }
    }
}
