import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Synchronization
import Testing

/// Around and after a rollback: who hears what and when, notices that survive failures and restarts,
/// escalation timers and what stops them, and the work left for people once it is over.
@Suite("Engine: notifications, escalation and aftercare", .timeLimit(.minutes(3)))
struct AftercareScenarioTests {
    // MARK: Notifications

    @Test("routes: initiated reaches only the critical channel, completed only the high one; each entry is sent")
    func noticesFollowTheirRoutes() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let critical = CollectingNotifier(channel: "critical")
            let high = CollectingNotifier(channel: "high")
            var policy = Fixture.policy()
            policy.notifications.routes = [.initiated: ["critical"], .completed: ["high"]]
            try await h.run(policy: policy, notifiers: [critical, high]) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)

                #expect(critical.incidentKinds == [.initiated])
                #expect(high.incidentKinds == [.completed])
                #expect(h.notifier.incidentKinds.isEmpty)

                let entries = try await h.sqlite.outbox(incidentID: incident.id).filter(\.isIncidentNotice)
                #expect(entries.map(\.route) == [Route("critical", .initiated), Route("high", .completed)])
                #expect(entries.allSatisfy { $0.status == .sent && $0.attempts == 1 && $0.sentAt != nil })
            }
        }
    }

    @Test("a channel failing twice (transient) delivers on the third attempt, after the backoff")
    func transientFailuresAreRetriedFromTheOutbox() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let flaky = CollectingNotifier(channel: "flaky", failures: 2)
            var policy = Fixture.policy()
            // Only the initiated notice reaches the flaky channel, so its two failures are that notice's.
            policy.notifications.routes = [
                .initiated: ["collector", "flaky"], .completed: ["collector"], .failed: ["collector"],
                .escalated: ["collector"],
            ]
            policy.notifications.audiences = Dictionary(
                uniqueKeysWithValues: Audience.allCases.map { ($0, ["collector"]) })
            try await h.run(policy: policy, notifiers: [flaky]) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()
                try await run.advance(until: "the flaky channel delivered") {
                    try await h.sqlite.outbox(incidentID: incident.id).contains {
                        $0.channel == "flaky" && $0.status != .pending
                    }
                }

                let entry = try #require(
                    try await h.sqlite.outbox(incidentID: incident.id).first { $0.channel == "flaky" })
                #expect(entry.status == .sent)
                #expect(entry.attempts == 3)
                #expect(entry.lastError == nil)
                // Backoff with the draw fixed at 0.5: at least 500 ms, then at least 1 s between attempts.
                let sentAt = try #require(entry.sentAt)
                #expect(sentAt - entry.createdAt >= .milliseconds(1500))
                #expect(flaky.attempts == 3)
                #expect(flaky.incidentKinds == [.initiated])

                let messages = try await h.sqlite.timeline(incidentID: incident.id).map(\.message)
                #expect(messages.contains("initiated sent to flaky after 3 attempts"))
                #expect(!h.notifier.notices.contains { $0.status == "notification channel down" })
            }
        }
    }

    @Test(
        "a channel that rejects every notice (permanent): its entries fail at once, the others hear it once (channel_failed)"
    )
    func permanentFailureReportsTheChannelDown() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let rejecting = RejectingNotifier(channel: "rejecting")
            try await h.run(notifiers: [rejecting]) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()
                try await run.advance(until: "the other channel heard the rejecting one is down") {
                    h.notifier.notices.contains { $0.status == "notification channel down" }
                }

                let entries = try await h.sqlite.outbox(incidentID: incident.id).filter { $0.channel == "rejecting" }
                #expect(!entries.isEmpty)
                #expect(entries.allSatisfy { $0.status == .failed && $0.attempts == 1 && $0.sentAt == nil })
                #expect(entries.contains { $0.notice.kind == .initiated })
                // At least once each (see `noticeInFlightIsNotSentTwice`: an entry can be attempted twice).
                #expect(rejecting.attempts >= entries.count)

                // One channel_failed for the failure episode, not one per notice the channel dropped; it
                // does not say "escalated" (the rollback went fine).
                try await run.advance(by: .seconds(10))
                let down = h.notifier.notices.filter { $0.status == "notification channel down" }
                #expect(down.count == 1)
                #expect(
                    down.allSatisfy {
                        $0.kind == .channelFailed && $0.failedChannel == "rejecting" && $0.incidentID == incident.id
                    })
                #expect(
                    down.contains { $0.error?.contains("rejecting could not deliver the initiated notice") == true })
                #expect(!down.contains { $0.title.contains("ESCALATED") })
                // Nobody reports the rejecting channel down to itself.
                #expect(
                    try await h.sqlite.outbox(incidentID: incident.id).allSatisfy {
                        $0.channel != "rejecting" || $0.notice.status != "notification channel down"
                    })
                let messages = try await h.sqlite.timeline(incidentID: incident.id).map(\.message)
                #expect(messages.contains { $0.hasPrefix("initiated NOT delivered to rejecting after 1 attempts") })
            }
        }
    }

    @Test("a notice pending when the daemon stops is delivered by its successor on the same store")
    func pendingNoticeSurvivesARestart() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let down = CollectingNotifier(channel: "flaky", failures: Int.max)
            var pending: OutboxEntry?
            try await h.run(notifiers: [down]) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let initiated = { () async throws -> OutboxEntry? in
                    guard let incident = try await h.incidents().first else { return nil }
                    return try await h.sqlite.outbox(incidentID: incident.id).first {
                        $0.channel == "flaky" && $0.notice.kind == .initiated
                    }
                }
                try await run.advance(until: "the initiated notice to flaky was retried") {
                    try await initiated()?.attempts ?? 0 >= 2
                }
                pending = try await initiated()
            }
            let stranded = try #require(pending)
            #expect(stranded.status == .pending)
            let attemptsBefore = down.attempts

            let back = CollectingNotifier(channel: "flaky")
            try await h.run(notifiers: [back]) { run in
                try await run.advance(until: "the successor delivered the stranded notice") {
                    try await h.sqlite.outbox(incidentID: stranded.incidentID).first { $0.id == stranded.id }?.status
                        != .pending
                }
                let delivered = try #require(
                    try await h.sqlite.outbox(incidentID: stranded.incidentID).first { $0.id == stranded.id })
                #expect(delivered.status == .sent)
                #expect(delivered.attempts == stranded.attempts + 1)
                #expect(back.incidentKinds.contains(.initiated))
                #expect(down.attempts == attemptsBefore)
            }
        }
    }

    @Test("a notice whose first attempt is still in flight is not sent a second time by the dispatcher")
    func noticeInFlightIsNotSentTwice() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let slow = GatedNotifier(channel: "slow")
            var policy = Fixture.policy()
            policy.notifications.routes = [.initiated: ["slow"]]
            try await h.run(policy: policy, notifiers: [slow]) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                try await run.advance(until: "the initiated notice is being sent") { slow.sends >= 1 }
                // The first attempt hangs (well within the 10 s attempt timeout) while the dispatcher ticks.
                await run.jump(by: .seconds(2))
                let sends = slow.initiatedSends
                slow.open()
                let incident = try await run.untilClosed()
                #expect(sends == 1)
                let entry = try await h.sqlite.outbox(incidentID: incident.id).first { $0.channel == "slow" }
                #expect(entry?.status == .sent)
            }
        }
    }

    // MARK: Escalation

    @Test("a critical incident left open: on-call now, management at 5 m (not before), devops at 15 m from detection")
    func openCriticalIncidentEscalates() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            h.world.setRollbackBehaviour(.neverFinishes)
            let people = AudienceChannels()
            try await h.run(policy: people.policy(), notifiers: people.all) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                try await run.advance(until: "on-call paged") { !people.oncall.pages.isEmpty }
                let incident = try #require(try await h.sqlite.openIncidents().first)

                let timers = try await h.sqlite.escalations(incidentID: incident.id)
                #expect(timers.map(\.audience) == [.oncall, .management, .devops, .product])
                #expect(timers.map(\.policy) == [.immediate, .immediate, .delayed, .delayed])
                // Scheduled as the incident opened (the harness may move the clock a little in between).
                let scheduledAt = try #require(timers.first?.dueAt)
                #expect(scheduledAt - incident.openedAt <= .seconds(2))
                #expect(timers.map { $0.dueAt - scheduledAt } == [.zero, .seconds(300), .seconds(900), .seconds(1800)])

                let page = try #require(people.oncall.pages.first)
                #expect(page.kind == .escalated)
                #expect(page.audience == .oncall)
                #expect(page.incidentID == incident.id)
                #expect(page.status == "escalated to oncall")
                #expect(page.timestamp - scheduledAt <= .seconds(2))

                let management = scheduledAt + .seconds(300)
                await run.jump(to: management - .seconds(1))
                #expect(people.management.pages.isEmpty)
                try await run.advance(until: "management paged") { !people.management.pages.isEmpty }
                #expect(h.clock.now - management <= .seconds(2))
                #expect(people.management.pages.allSatisfy { $0.audience == .management })

                let devops = scheduledAt + .seconds(900)
                await run.jump(to: devops - .seconds(1))
                #expect(people.devops.pages.isEmpty)
                try await run.advance(until: "devops paged") { !people.devops.pages.isEmpty }
                #expect(h.clock.now - devops <= .seconds(2))
                #expect(people.devops.pages.allSatisfy { $0.audience == .devops })

                // Each page on its audience's channels only, and each issued once.
                #expect(people.oncall.pages.allSatisfy { $0.audience == .oncall })
                #expect(try await h.pagesIssued(incident.id, to: people.oncall) == 1)
                #expect(try await h.pagesIssued(incident.id, to: people.management) == 1)
                #expect(try await h.pagesIssued(incident.id, to: people.devops) == 1)
                #expect(people.product.pages.isEmpty)
                #expect(h.notifier.pages.isEmpty)
                let states = try await h.sqlite.escalations(incidentID: incident.id).map(\.state)
                #expect(states == [.fired, .fired, .fired, .pending])
                #expect(try await h.sqlite.incident(id: incident.id)?.status == .open)
            }
        }
    }

    @Test("acknowledging at 2 m stops the escalation: no management page, timers cancelled, only once")
    func acknowledgementStopsEscalation() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            h.world.setRollbackBehaviour(.neverFinishes)
            let people = AudienceChannels()
            try await h.run(policy: people.policy(), notifiers: people.all) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                try await run.advance(until: "on-call paged") { !people.oncall.pages.isEmpty }
                let incident = try #require(try await h.sqlite.openIncidents().first)

                await run.jump(to: incident.openedAt + .seconds(120))
                let acknowledged = try await run.engine.acknowledge(incidentID: incident.id, by: "alice").get()
                #expect(acknowledged.acknowledgedBy == "alice")
                #expect(acknowledged.acknowledgedAt == h.clock.now)

                await run.jump(to: incident.openedAt + .seconds(360))
                await run.jump(to: incident.openedAt + .seconds(1260))
                #expect(people.management.pages.isEmpty)
                #expect(people.devops.pages.isEmpty)
                #expect(try await h.pagesIssued(incident.id, to: people.oncall) == 1)

                let timers = try await h.sqlite.escalations(incidentID: incident.id)
                #expect(timers.map(\.state) == [.fired, .cancelled, .cancelled, .cancelled])
                let timeline = try await h.sqlite.timeline(incidentID: incident.id)
                #expect(timeline.contains { $0.kind == .acknowledged && $0.message == "acknowledged by alice" })
                #expect(
                    timeline.contains {
                        $0.kind == .escalation && $0.message.hasPrefix("escalation stopped (3 pending)")
                    })
                let stored = try #require(try await h.sqlite.incident(id: incident.id))
                #expect(stored.acknowledgedBy == "alice")

                let again = await run.engine.acknowledge(incidentID: incident.id, by: "bob")
                guard case .failure(let refusal) = again else {
                    Issue.record("a second acknowledgement was accepted")
                    return
                }
                #expect(refusal.code == "already_acknowledged")
                #expect(try await h.sqlite.incident(id: incident.id)?.acknowledgedBy == "alice")
                #expect(
                    try await h.sqlite.timeline(incidentID: incident.id).filter { $0.kind == .acknowledged }.count == 1)
            }
        }
    }

    @Test("acknowledging an incident that does not exist is refused")
    func acknowledgingAnUnknownIncidentIsRefused() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run { run in
                let outcome = await run.engine.acknowledge(incidentID: 42, by: "alice")
                guard case .failure(let refusal) = outcome else {
                    Issue.record("acknowledged an incident that does not exist")
                    return
                }
                #expect(refusal.code == "not_found")
            }
        }
    }

    @Test("a critical rollback that completes stops its escalation: nothing pending, no management page at 10 m")
    func completionStopsEscalation() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)

                let timers = try await h.sqlite.escalations(incidentID: incident.id)
                #expect(timers.count == 4)
                #expect(timers.allSatisfy { $0.state != .pending })
                #expect(timers.filter { $0.audience != .oncall }.allSatisfy { $0.state == .cancelled })
                let timeline = try await h.sqlite.timeline(incidentID: incident.id)
                #expect(
                    timeline.contains {
                        $0.message.hasPrefix("escalation stopped") && $0.message.hasSuffix("the incident completed")
                    })

                for _ in 0..<10 { await run.jump(by: .seconds(60)) }
                #expect(h.clock.now - incident.openedAt >= .seconds(600))
                #expect(h.notifier.pages.allSatisfy { $0.audience == .oncall })
                #expect(!h.notifier.pages.contains { $0.audience == .management })
            }
        }
    }

    @Test("a failed rollback: immediate escalation from the failure, deployments frozen, tasks recorded")
    func failedRollbackEscalatesImmediately() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            h.world.failNextRollbacks(Int.max, with: ProviderError(.rejected, "the platform refused the rollback"))
            try await h.run { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()
                #expect(incident.status == .failed)
                let closedAt = try #require(incident.closedAt)

                let failure = try await h.sqlite.escalations(incidentID: incident.id).filter {
                    $0.reason == "rollback failed"
                }
                #expect(failure.map(\.audience) == [.oncall, .management])
                #expect(failure.allSatisfy { $0.policy == .immediate })
                let failedAt = try #require(failure.first?.dueAt)
                #expect(failedAt - closedAt <= .seconds(2))
                #expect(failure.map { $0.dueAt - failedAt } == [.zero, .seconds(300)])

                let freeze = try #require(try await h.sqlite.currentFreeze())
                #expect(freeze.incidentID == incident.id)
                #expect(freeze.isActive(at: h.clock.now))

                #expect(try await h.sqlite.tasks(incidentID: incident.id).count == 16)
                #expect(try await h.escalationReasons(incident.id) == ["rollback_failed"])

                try await run.advance(until: "on-call paged about the failure") {
                    h.notifier.pages.contains {
                        $0.audience == .oncall && $0.error?.hasPrefix("rollback failed") == true
                    }
                }
            }
        }
    }

    @Test("a failed rollback pages management once, not once per escalation plan")
    func failedRollbackPagesManagementOnce() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            h.world.failNextRollbacks(Int.max, with: ProviderError(.rejected, "the platform refused the rollback"))
            try await h.run { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()
                #expect(incident.status == .failed)
                for _ in 0..<7 { await run.jump(by: .seconds(60)) }
                // The timers set when the rollback started give way to the failure's own.
                let management = try await h.pagesIssued(incident.id, to: h.notifier, audience: .management)
                #expect(management == 1)
            }
        }
    }

    @Test("a restart keeps the escalation schedule: management paged at 5 m exactly once")
    func restartKeepsTheEscalationSchedule() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            h.world.setRollbackBehaviour(.neverFinishes)
            let people = AudienceChannels()
            var opened: Incident?
            try await h.run(policy: people.policy(), notifiers: people.all) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                try await run.advance(until: "on-call paged") { !people.oncall.pages.isEmpty }
                let incident = try #require(try await h.sqlite.openIncidents().first)
                opened = incident
                await run.jump(to: incident.openedAt + .seconds(120))
            }
            let incident = try #require(opened)
            #expect(people.management.pages.isEmpty)

            try await h.run(policy: people.policy(), notifiers: people.all) { run in
                let management = try #require(
                    try await h.sqlite.escalations(incidentID: incident.id).first { $0.audience == .management }?.dueAt)
                #expect(management - incident.openedAt <= .seconds(302))
                await run.jump(to: management - .seconds(1))
                #expect(people.management.pages.isEmpty)
                try await run.advance(until: "management paged") { !people.management.pages.isEmpty }
                #expect(h.clock.now - management <= .seconds(2))
                await run.jump(by: .seconds(30))

                // One page each, issued once (see `noticeInFlightIsNotSentTwice` for a delivery that doubles).
                #expect(try await h.pagesIssued(incident.id, to: people.management) == 1)
                #expect(try await h.pagesIssued(incident.id, to: people.oncall) == 1)
                let timers = try await h.sqlite.escalations(incidentID: incident.id)
                #expect(timers.count == 4)
                #expect(timers.map(\.state) == [.fired, .fired, .pending, .pending])
            }
        }
    }

    // MARK: Aftercare

    @Test("a completed rollback leaves the guide's 16 tasks and the samples around it")
    func completedRollbackRecordsTasksAndSamples() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let closed = try await run.untilClosed()
                #expect(closed.status == .completed)
                let incident = try #require(try await h.sqlite.incident(id: closed.id))
                let closedAt = try #require(incident.closedAt)

                let tasks = try await h.sqlite.tasks(incidentID: incident.id)
                #expect(tasks.count == 16)
                let groups = Dictionary(grouping: tasks, by: \.group)
                #expect(groups[.investigation]?.count == 5)
                #expect(groups[.remediation]?.count == 5)
                #expect(groups[.documentation]?.count == 5)
                #expect(groups[.postMortem]?.count == 1)
                #expect(groups[.investigation]?.allSatisfy { $0.dueAt == closedAt + .seconds(7200) } == true)
                #expect(groups[.remediation]?.allSatisfy { $0.dueAt == closedAt + .seconds(86_400) } == true)
                #expect(groups[.documentation]?.allSatisfy { $0.dueAt == nil } == true)
                #expect(groups[.postMortem]?.first?.dueAt == closedAt + .seconds(86_400))
                #expect(tasks.allSatisfy { $0.state == .open && $0.incidentID == incident.id })
                #expect(tasks.first?.id == "investigation.analyze_logs")
                #expect(tasks.first?.title == "Analyze logs")

                let rollbackAt = try #require(h.world.rollbackCalls.first?.at)
                let samples = try await h.sqlite.samples(incidentID: incident.id)
                let failing = samples.filter { !$0.result.isSuccess }
                let after = samples.filter { $0.at > rollbackAt }
                #expect(samples.allSatisfy { $0.service == Fixture.backend })
                // The failures that made the rule fire, all before the rollback; only passes after it.
                #expect(failing.count >= 3)
                #expect(failing.allSatisfy { $0.at <= rollbackAt })
                #expect(after.count >= 2)
                #expect(after.allSatisfy { $0.result.isSuccess })
                #expect(samples.map(\.at) == samples.map(\.at).sorted())
                #expect(samples.allSatisfy { $0.at >= incident.openedAt - .seconds(300) && $0.at <= closedAt })
            }
        }
    }

    // MARK: Overdue tasks

    @Test(
        "overdue tasks remind their audience once: devops at 2 h (one notice for the open investigation tasks), again at 24 h for the rest; a done task is not chased"
    )
    func overdueTasksRemindTheirAudienceOnce() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let people = AudienceChannels()
            try await h.run(policy: people.policy(), notifiers: people.all) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()
                let closedAt = try #require(try await h.sqlite.incident(id: incident.id)?.closedAt)
                _ = try await run.engine.updateTask(
                    incidentID: incident.id, taskID: "investigation.analyze_logs", state: .done, note: "seen")

                await run.jump(to: closedAt + .seconds(7200) - .seconds(2))
                #expect(people.devops.reminders.isEmpty)
                try await run.advance(until: "devops reminded") { !people.devops.reminders.isEmpty }
                #expect(h.clock.now - (closedAt + .seconds(7200)) <= .seconds(31))
                let first = try #require(people.devops.reminders.first)
                #expect(first.audience == .devops)
                #expect(first.incidentID == incident.id)
                #expect(first.title == "POST-ROLLBACK WORK OVERDUE")
                #expect(first.actions.count == 4, "\(first.actions)")
                #expect(first.actions.contains { $0.hasPrefix("Review metrics (investigation.review_metrics), due") })
                #expect(!first.actions.contains { $0.contains("analyze_logs") })

                // Never twice for the same task.
                await run.jump(by: .seconds(3600))
                #expect(people.devops.reminders.count == 1)

                // At 24 h: remediation and the post-mortem, in one more notice.
                await run.jump(to: closedAt + .seconds(86_400) + .seconds(1))
                try await run.advance(until: "devops reminded again") { people.devops.reminders.count == 2 }
                #expect(people.devops.reminders.last?.actions.count == 6)
                await run.jump(by: .seconds(3600))
                #expect(people.devops.reminders.count == 2)
                // Routed to the audience: no other channel hears of it.
                #expect([people.oncall, people.management, people.product].allSatisfy { $0.reminders.isEmpty })

                let tasks = try await h.sqlite.tasks(incidentID: incident.id)
                #expect(tasks.first { $0.id == "investigation.analyze_logs" }?.remindedAt == nil)
                #expect(tasks.filter { $0.dueAt != nil && $0.state == .open }.allSatisfy { $0.remindedAt != nil })
                #expect(tasks.filter { $0.dueAt == nil }.allSatisfy { $0.remindedAt == nil })
                let reminded = try await h.sqlite.timeline(incidentID: incident.id).filter {
                    $0.kind == .task && $0.message.hasPrefix("reminded devops")
                }
                #expect(reminded.count == 2)
                #expect(try await h.sqlite.overdueTasks(now: h.clock.now).isEmpty)
            }
        }
    }

    @Test(
        "a reminder survives a restart: due while no daemon ran, sent once by the next one, never again after another restart"
    )
    func overdueReminderSurvivesARestart() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            var closed: Incident?
            try await h.run { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                closed = try await run.untilClosed()
            }
            let incident = try #require(closed)
            let closedAt = try #require(try await h.sqlite.incident(id: incident.id)?.closedAt)
            h.clock.advance(by: closedAt + .seconds(7200) + .seconds(60) - h.clock.now)
            try await h.run { run in
                try await run.advance(until: "reminded after the restart") { !h.notifier.reminders.isEmpty }
                await run.jump(by: .seconds(60))
            }
            try await h.run { run in
                await run.jump(by: .seconds(120))
            }
            // No audience has channels in the fixture: the reminder follows the routes (every channel).
            #expect(h.notifier.reminders.count == 1)
            let entries = try await h.sqlite.outbox(incidentID: incident.id).filter { $0.notice.kind == .taskOverdue }
            #expect(entries.count == 1)
            #expect(entries.first?.status == .sent)
        }
    }

    @Test("observe mode: no escalation timers, no tasks, no pages")
    func observeModeLeavesNoAftercare() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run(policy: Fixture.policy(mode: .observe)) { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()
                #expect(incident.status == .observed)
                #expect(h.world.rollbackCalls.isEmpty)

                for _ in 0..<6 { await run.jump(by: .seconds(60)) }
                #expect(try await h.sqlite.escalations(incidentID: incident.id).isEmpty)
                #expect(try await h.sqlite.tasks(incidentID: incident.id).isEmpty)
                #expect(h.notifier.pages.isEmpty)
                #expect(h.notifier.incidentKinds == [.wouldRollBack])
            }
        }
    }
}

// MARK: - Helpers

/// One collecting channel per audience, and the policy that routes each audience's pages to it.
private struct AudienceChannels {
    let oncall = CollectingNotifier(channel: "oncall-pager")
    let management = CollectingNotifier(channel: "management")
    let devops = CollectingNotifier(channel: "devops")
    let product = CollectingNotifier(channel: "product")

    var all: [any Notifier] { [oncall, management, devops, product] }

    /// The fixture's policy with a backend rollback that may take an hour (immediate steps too), so
    /// that an incident whose rollback never finishes stays open past every escalation step the tests
    /// look at.
    func policy() -> Policy {
        var policy = Fixture.policy(backendRollbackTimeout: .seconds(3600))
        policy.strategies.immediateTimeout = .seconds(3600)
        policy.notifications.audiences = [
            .oncall: [oncall.channel], .management: [management.channel], .devops: [devops.channel],
            .product: [product.channel],
        ]
        return policy
    }
}

/// A channel that refuses every notice with a permanent error, as a provider does with a revoked
/// credential or a malformed request.
private final class RejectingNotifier: Notifier {
    let channel: String
    private let sends = Mutex(0)

    init(channel: String) {
        self.channel = channel
    }

    func send(_ notice: Notice) async throws {
        sends.withLock { $0 += 1 }
        throw ProviderError(.rejected, "\(channel) answered HTTP 400: invalid payload")
    }

    var attempts: Int { sends.withLock { $0 } }
}

/// A channel and the kind of notice it was given: how routing is asserted.
private struct Route: Equatable, CustomStringConvertible {
    var channel: String
    var kind: NoticeKind

    init(_ channel: String, _ kind: NoticeKind) {
        self.channel = channel
        self.kind = kind
    }

    var description: String { "\(kind.rawValue) → \(channel)" }
}

extension OutboxEntry {
    /// The incident's own notices: not escalation pages, nor reports that a channel is down.
    fileprivate var isIncidentNotice: Bool {
        notice.audience == nil && notice.status != "notification channel down"
    }

    fileprivate var route: Route { Route(channel, notice.kind) }
}

extension Harness {
    /// How many escalation pages the engine issued to `notifier`'s channel (outbox entries, however
    /// often each was delivered), optionally for one audience.
    fileprivate func pagesIssued(
        _ incidentID: Int64, to notifier: CollectingNotifier, audience: Audience? = nil
    )
        async throws -> Int
    {
        try await sqlite.outbox(incidentID: incidentID).filter { entry in
            entry.channel == notifier.channel && entry.notice.audience != nil && entry.notice.kind != .taskOverdue
                && (audience == nil || entry.notice.audience == audience)
        }.count
    }
}

extension EngineRun {
    /// Moves the clock forward in one jump, waking every sleeper whose time has come, then lets the
    /// engine settle. For long stretches (minutes) where nothing happens between the sleepers' deadlines.
    fileprivate func jump(by duration: Duration) async {
        clock.advance(by: duration)
        await settle()
    }

    /// Jumps to `instant` (no-op when it has passed).
    fileprivate func jump(to instant: Timestamp) async {
        await jump(by: max(instant - clock.now, .zero))
    }
}
