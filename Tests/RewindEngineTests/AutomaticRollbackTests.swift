import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// From failing checks to a decision: what fires, what does not, and what Rewind does about it.
@Suite("Engine: automatic rollbacks", .timeLimit(.minutes(3)))
struct AutomaticRollbackTests {
    @Test("one durable write before the platform call: the incident's opening carries its first rollback's intent")
    func openingCarriesTheFirstIntent() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.run { run in
                _ = try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])

                let intents = h.activity.commits.filter { change in
                    change.steps.contains { $0.stepID == "rollback-backend" && $0.state == .intent }
                }
                #expect(intents.count == 1)
                let opening = try #require(intents.first)
                #expect(opening.newIncident != nil)
                #expect(opening.timeline.map(\.kind).containsSubsequence([.detected, .decision, .stepIntent]))
                #expect(opening.outbox.contains { $0.notice.kind == .initiated })
                // Journaled once: the executor does not write the intent the opening wrote.
                #expect(
                    try await h.journal(incident.id, step: "rollback-backend")
                        == [.intent, .accepted(operationID: nil), .done(.succeeded(viaFallback: false))])
                #expect(try await h.timelineKinds(incident.id).filter { $0 == .stepIntent }.count == 1)
            }
        }
    }

    @Test("critical failures on a suspect backend: one immediate rollback to v1, verified, frozen, announced")
    func criticalFailureRollsBackImmediately() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let flaky = CollectingNotifier(channel: "flaky", failures: Int.max)
            try await h.run(notifiers: [flaky]) { run in
                let v2 = try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()

                // The platform: one call, back on v1, told that Rewind decided it.
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
                #expect(h.world.rollbackCalls.map(\.manual) == [false])
                #expect(h.world.live(Fixture.backend) == v1.id)
                #expect(h.world.rollbackCount(service: Fixture.worker) == 0)

                // The incident.
                let stored = try #require(try await h.sqlite.incident(id: incident.id))
                #expect(stored.status == .completed)
                #expect(stored.trigger == .healthCritical)
                #expect(stored.severity == .critical)
                #expect(stored.strategy == .immediate)
                #expect(stored.services == [Fixture.backend])
                #expect(stored.closedAt != nil)
                #expect(stored.violation?.evidence.count == 3)

                // Deployments: live is v1 again, v2 is bad and will never be a rollback target.
                #expect(try await h.liveID(Fixture.backend) == v1.id)
                #expect(try await h.deployment(Fixture.backend, "v2")?.trust == .bad)
                #expect(try await h.deployment(Fixture.backend, "v1")?.trust == .knownGood)
                #expect(
                    try await h.sqlite.automaticRollbacks(service: Fixture.backend, since: v2.deployedAt).count == 1)

                // The immediate strategy freezes deployments for an hour.
                let freeze = try #require(try await h.sqlite.currentFreeze())
                #expect(freeze.until - freeze.setAt == .seconds(3600))
                #expect(freeze.incidentID == incident.id)
                #expect(freeze.isActive(at: h.clock.now))

                // The journal: intent before the call, accepted after it, then the outcome; then verified.
                #expect(
                    try await h.journal(incident.id, step: "rollback-backend")
                        == [.intent, .accepted(operationID: nil), .done(.succeeded(viaFallback: false))])
                #expect(
                    try await h.journal(incident.id, step: "verify-backend") == [.done(.succeeded(viaFallback: false))])
                let kinds = try await h.timelineKinds(incident.id)
                #expect(
                    kinds.containsSubsequence([
                        .detected, .decision, .freeze, .stepIntent, .stepAccepted, .stepOutcome, .verification,
                        .verification, .closed,
                    ]))
                #expect(try await h.escalationReasons(incident.id).isEmpty)
                // Completing the incident stops its escalation: nothing is left pending.
                #expect(try await h.sqlite.escalations(incidentID: incident.id).allSatisfy { $0.state != .pending })

                // Notices: initiated, then completed, each with the evidence that made the rule fire.
                #expect(h.notifier.incidentKinds == [.initiated, .completed])
                let completed = try #require(h.notifier.incidentNotices.last)
                #expect(completed.incidentID == incident.id)
                #expect(completed.services == [Fixture.backend])
                #expect(completed.evidence.first == "backend-health: 3 consecutive within 2m, failing for at least 2s")
                #expect(completed.evidence.count == 4)
                #expect(completed.evidence.dropFirst().allSatisfy { $0.contains("HTTP 503") })
                #expect(completed.verificationResults.count == 2)
                #expect(completed.durationMs != nil)
                #expect(
                    completed.actions.contains { $0.contains("roll back backend v2 (backend-v2) → v1 (backend-v1)") })
                #expect(h.notifier.incidentNotices.first?.evidence == completed.evidence)

                // A channel that keeps failing does not hold the incident up. Its notices wait in the outbox
                // and are retried with backoff until they give up; then the other channels hear it is down.
                #expect(flaky.attempts >= 2)
                try await run.advance(until: "the flaky channel gave up on initiated and completed") {
                    let givenUp = run.events.notified.filter { $0.channel == "flaky" && !$0.delivered }.map(\.kind)
                    return Set(givenUp).isSuperset(of: [.initiated, .completed])
                }
                let notDelivered = try await h.sqlite.timeline(incidentID: incident.id).map(\.message).filter {
                    $0.contains("NOT delivered to flaky")
                }
                #expect(notDelivered.contains { $0.hasPrefix("initiated NOT delivered to flaky") })
                #expect(notDelivered.contains { $0.hasPrefix("completed NOT delivered to flaky") })
                #expect(
                    h.notifier.notices.contains {
                        $0.status == "notification channel down" && $0.error?.contains("flaky") == true
                    })
            }
        }
    }

    @Test("a flapping check (fail, fail, success, …) never fires: no incident after a minute of it")
    func flappingNeverFires() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .cycle([false, false, true]))
            try await h.run { run in
                try await run.advance(by: .seconds(60))
                #expect(h.world.probeCount(Fixture.id(Fixture.backend, "v2")) >= 50)
                #expect(run.events.checkFailures.contains { $0.count == 2 })
                #expect(!run.events.checkFailures.contains { $0.count >= 3 })
                #expect(run.events.violations.isEmpty)
                #expect(try await h.incidents().isEmpty)
                #expect(h.world.rollbackCalls.isEmpty)
                #expect(try await h.deployment(Fixture.backend, "v2")?.trust == .suspect)
            }
        }
    }

    @Test("drain blips (15 failed re-checks, 1.4 s of 503, then healthy) never fire: min_duration, not the count")
    func drainBlipsNeverFire() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let blip = Array(repeating: false, count: 15) + Array(repeating: true, count: 5)
            try await h.deploySuspect(Fixture.backend, "v2", health: .cycle(blip))
            try await h.run { run in
                try await run.advance(by: .seconds(300))
                // Each blip passes the 3-failure count many times over; none lasts the 2 s the rule asks for.
                #expect(run.events.checkFailures.filter { $0.count == 3 }.count >= 100)
                #expect(run.events.violations.isEmpty)
                #expect(try await h.incidents().isEmpty)
                #expect(h.world.rollbackCalls.isEmpty)
            }
        }
    }

    @Test("non-critical worker failures: the fast strategy after 5 consecutive failures, no freeze")
    func nonCriticalFailureRollsBackFast() async throws {
        try await Harness.with { h in
            let (_, w1) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.worker, "v2", health: .timeout)
            try await h.run { run in
                let incident = try await run.untilClosed()

                let failures = run.events.checkFailures.filter { $0.service == Fixture.worker }
                #expect(failures.map(\.count).prefix(5) == [1, 2, 3, 4, 5])
                #expect(failures.allSatisfy { $0.of == 5 })
                let violation = try #require(run.events.violations.first)
                #expect(violation.trigger == .healthNonCritical)
                #expect(violation.evidence.count == 5)
                #expect(violation.evidence.allSatisfy { $0.result == "timed out" && $0.latencyMs == 5000 })

                let stored = try #require(try await h.sqlite.incident(id: incident.id))
                #expect(stored.status == .completed)
                #expect(stored.strategy == .fast)
                #expect(stored.severity == .high)
                #expect(stored.plan?.steps.map(\.timeout) == [.seconds(120)])
                #expect(stored.plan?.freeze == nil)
                #expect(try await h.sqlite.currentFreeze() == nil)
                #expect(!(try await h.timelineKinds(incident.id)).contains(.freeze))

                #expect(h.world.rollbackCalls.map(\.target) == [w1.id])
                #expect(try await h.liveID(Fixture.worker) == w1.id)
                #expect(try await h.deployment(Fixture.worker, "v2")?.trust == .bad)
                #expect(try await h.liveID(Fixture.backend) == Fixture.id(Fixture.backend, "v1"))
                #expect(h.notifier.incidentKinds == [.initiated, .completed])
            }
        }
    }

    @Test("a known-good service failing with nothing suspect: escalated, not rolled back, and only once")
    func knownGoodFailureEscalates() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            h.world.setHealth(v1.id, .failing(status: 500))
            try await h.run { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .escalated)
                #expect(incident.strategy == nil)
                #expect(incident.plan == nil)

                let timeline = try await h.sqlite.timeline(incidentID: incident.id)
                #expect(timeline.map(\.kind).containsSubsequence([.detected, .decision, .escalation, .notification]))
                #expect(
                    timeline.first { $0.kind == .decision }?.detail
                        == .object(["escalation": .string("not_caused_by_deployment")]))
                #expect(h.notifier.incidentKinds == [.escalated])
                #expect(h.notifier.incidentNotices.first?.actions == ["no rollback; people notified"])
                #expect(h.notifier.incidentNotices.first?.error?.contains("no service is suspect") == true)
                #expect(h.world.rollbackCalls.isEmpty)
                #expect(try await h.deployment(Fixture.backend, "v1")?.trust == .knownGood)
                // A critical service down is the guide's immediate escalation: deployments freeze, rollback or not.
                let freeze = try #require(try await h.sqlite.currentFreeze())
                #expect(freeze.incidentID == incident.id && freeze.until - freeze.setAt == .seconds(3600))
                #expect(timeline.contains { $0.kind == .freeze })

                let statuses = run.engine.checkStatuses
                #expect(statuses.map(\.check) == ["backend-health", "worker-health"])
                #expect(statuses.first?.firing == true)
                #expect(statuses.first?.lastResult == "HTTP 500")
                #expect((statuses.first?.consecutiveFailures ?? 0) >= 3)
                #expect(statuses.last?.firing == false)
                #expect(statuses.last?.lastResult == "HTTP 200")
                #expect(statuses.last?.consecutiveFailures == 0)

                // The trigger stays firing while the service stays down: no second incident.
                try await run.advance(by: .seconds(30))
                #expect(try await h.incidents().count == 1)
                #expect(h.world.rollbackCalls.isEmpty)
            }
        }
    }

    @Test("observe mode: the incident is observed, people hear what would happen, nothing is touched")
    func observeModeActsOnNothing() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let v2 = try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            try await h.run(policy: Fixture.policy(mode: .observe)) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .observed)
                #expect(incident.mode == .observe)
                #expect(incident.strategy == .immediate)

                #expect(h.notifier.incidentKinds == [.wouldRollBack])
                let notice = try #require(h.notifier.incidentNotices.first)
                #expect(notice.actions.contains { $0.hasPrefix("would roll back backend") })
                #expect(notice.actions.contains("would freeze deployments for 1h"))

                #expect(h.world.rollbackCalls.isEmpty)
                #expect(h.world.live(Fixture.backend) == v2.id)
                #expect(try await h.liveID(Fixture.backend) == v2.id)
                #expect(try await h.sqlite.currentFreeze() == nil)
                let kinds = try await h.timelineKinds(incident.id)
                #expect(!kinds.contains(.stepIntent))
                #expect(!kinds.contains(.freeze))

                try await run.advance(by: .seconds(10))
                #expect(try await h.incidents().count == 1)
            }
        }
    }

    @Test("the immediate strategy rolls back every suspect service, each verified")
    func immediateRollsBackEverySuspect() async throws {
        try await Harness.with { h in
            let (b1, w1) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 502))
            try await h.deploySuspect(Fixture.worker, "v2", health: .healthy)
            try await h.run { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(Set(incident.services) == [Fixture.backend, Fixture.worker])
                #expect(Set(h.world.rollbackCalls.map(\.target)) == [b1.id, w1.id])
                #expect(try await h.liveID(Fixture.worker) == w1.id)
                let steps = try await h.sqlite.steps(incidentID: incident.id)
                #expect(
                    Set(steps.map(\.stepID)) == [
                        "rollback-backend", "rollback-worker", "verify-backend", "verify-worker",
                    ])
                #expect(steps.allSatisfy { $0.outcome?.isSuccess == true })
            }
        }
    }

    @Test(
        "immediate: the failing service is rolled back at once, its suspect dependent beside it, nothing waits for it")
    func failingServiceGoesFirst() async throws {
        try await Harness.with { h in
            let (b1, w1) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 502))
            try await h.deploySuspect(Fixture.worker, "v2", health: .healthy)
            try await h.run(policy: Fixture.policy(workerDependsOnBackend: true)) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(Set(h.world.rollbackCalls.map(\.target)) == [w1.id, b1.id])
                let backend = try #require(incident.plan?.steps.first { $0.service == Fixture.backend })
                #expect(backend.dependsOn.isEmpty && backend.after.isEmpty)
                // "All services healthy": each verification attempt checks every service of the plan.
                let attempts = try await h.sqlite.timeline(incidentID: incident.id).filter { $0.kind == .verification }
                    .map(\.message)
                #expect(
                    attempts.contains {
                        $0.hasPrefix("backend attempt 1:") && $0.contains("worker/worker-health HTTP 200")
                    }, "\(attempts)")
            }
        }
    }

    @Test(
        "immediate: a dependent whose rollback fails never keeps the failing service down; the incident fails and says why"
    )
    func unrelatedFailureDoesNotSkip() async throws {
        try await Harness.with { h in
            let (b1, _) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 502))
            let w2 = try await h.deploySuspect(Fixture.worker, "v2", health: .healthy)
            h.world.failNextRollbacks(
                5, with: ProviderError(.auth, "the token was refused (HTTP 401)"), provider: "worker-platform")
            let policy = Fixture.policy(workerDependsOnBackend: true)
            let engine = h.makeEngine(policy: policy, platformKinds: [Fixture.worker: "worker-platform"])
            try await h.run(engine, policy: policy) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .failed)
                #expect(h.world.live(Fixture.backend) == b1.id, "the failing backend was not rolled back")
                #expect(h.world.live(Fixture.worker) == w2.id)
                try await run.untilNotified(.failed)
                #expect(h.notifier.incidentKinds == [.initiated, .failed])
                #expect(try await h.escalationReasons(incident.id) == ["rollback_failed"])
                let steps = try await h.sqlite.steps(incidentID: incident.id)
                #expect(steps.first { $0.stepID == "rollback-backend" }?.outcome?.isSuccess == true)
                #expect(steps.first { $0.stepID == "rollback-worker" }?.outcome?.isSuccess == false)
                let failed = h.notifier.incidentNotices.last
                #expect(failed?.error?.contains("the token was refused") == true)
            }
        }
    }
}
