import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// The gradual and canary strategies, kill-switch flags, migrations, the immediate deadline and
/// forced rollbacks, run by the engine on the manual clock over real SQLite.
@Suite("Engine: gradual, canary, flags, migrations, deadline, force", .timeLimit(.minutes(3)))
struct StrategyScenarioTests {
    static let backend = Fixture.backend
    static let v2 = Fixture.id(Fixture.backend, "v2")

    /// backend with a conversion signal (a business trigger asks for gradual) over a 5-minute
    /// rolling baseline; the gradual watch lasts a minute.
    static func conversionPolicy() -> Policy {
        var conversion = Fixture.signal(.conversionRate)
        conversion.baseline = .rolling(.seconds(300))
        var policy = Fixture.metricPolicy([conversion])
        policy.verification.business.enabled = false
        policy.strategies.gradualWatch = .seconds(60)
        policy.strategies.gradualWatchInterval = .seconds(10)
        return policy
    }

    static func outcome(_ states: [StepRecord.State]) -> StepOutcome? {
        if case .done(let outcome)? = states.last { outcome } else { nil }
    }

    /// backend v1 converts 4 %; v2, deployed after five minutes of baseline with all the traffic,
    /// converts `newConversion`. Runs `body` once the incident has closed.
    static func gradual(
        newConversion: Double, _ body: @escaping (Harness, Incident, Deployment, FakeTraffic) async throws -> Void
    ) async throws {
        try await gradual(newConversion: newConversion) { h, _, incident, v1, traffic in
            try await body(h, incident, v1, traffic)
        }
    }

    /// The same scenario, with the running engine.
    static func gradual(
        newConversion: Double,
        _ body: @escaping (Harness, EngineRun, Incident, Deployment, FakeTraffic) async throws -> Void
    ) async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let metrics = FakeMetrics(world: h.world)
            let traffic = FakeTraffic(share: 1)
            metrics.split(Self.backend, .init(traffic: traffic, stable: v1.id))
            metrics.set(Self.backend, "conversion_rate", whileLive: v1.id, 0.04)
            metrics.set(Self.backend, "conversion_rate", whileLive: Self.v2, newConversion)
            try await h.run(
                policy: Self.conversionPolicy(), metricSource: metrics,
                controls: Controls(traffic: [Self.backend: traffic])
            ) { run in
                try await run.advance(by: .seconds(300))
                try await run.deploy(Self.backend, "v2", health: .healthy)
                try await body(h, run, try await run.untilClosed(), v1, traffic)
            }
        }
    }

    @Test(
        "gradual: the new version's share is cut to 50 %, a minute of watching shows no improvement, all traffic goes to stable and it is rolled back"
    )
    func gradualWithoutImprovement() async throws {
        // At half the traffic the blend is 0.03: still 25 % under the baseline.
        try await Self.gradual(newConversion: 0.02) { h, incident, v1, traffic in
            let stored = try #require(try await h.sqlite.incident(id: incident.id))
            #expect(stored.strategy == .gradual)
            #expect(stored.status == .completed)
            #expect(traffic.sets == [0.5, 0])
            #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
            #expect(
                try await h.journal(incident.id, step: "reduce-traffic-backend")
                    == [.intent, .accepted(operationID: "share:0.5"), .done(.succeeded(viaFallback: false))])
            guard case .noImprovement(let why)? = Self.outcome(try await h.journal(incident.id, step: "watch-backend"))
            else {
                Issue.record("the watch should have seen no improvement")
                return
            }
            #expect(why.contains("conversion_rate still violates"))
            // The watch evaluated the signal every 10 s, not on its 15-minute schedule.
            let looks = try await h.sqlite.timeline(incidentID: incident.id).filter {
                $0.kind == .stepAttempt && $0.message.hasPrefix("watch-backend: conversion_rate")
            }
            #expect(looks.count >= 5)
            // The rollback waited out the whole watch.
            let call = try #require(h.world.rollbackCalls.first)
            #expect(call.at - incident.openedAt >= .seconds(60))
            #expect(try await h.liveID(Self.backend) == v1.id)
            let initiated = try #require(h.notifier.incidentNotices.first)
            #expect(initiated.actions.first?.hasPrefix("cut traffic to backend's new version v2") == true)
        }
    }

    @Test(
        "gradual: cutting the share brings the metric back within its threshold → no rollback; the new version keeps half the traffic"
    )
    func gradualContained() async throws {
        // 17.5 % under the baseline at full traffic, 8.75 % at half: within the 15 % threshold.
        try await Self.gradual(newConversion: 0.033) { h, incident, _, traffic in
            #expect(incident.status == .completed)
            #expect(traffic.sets == [0.5])
            #expect(h.world.rollbackCount() == 0)
            #expect(try await h.liveID(Self.backend) == Self.v2)
            guard case .improved? = Self.outcome(try await h.journal(incident.id, step: "watch-backend")) else {
                Issue.record("the watch should have seen the signal recover")
                return
            }
            #expect(
                try await h.journal(incident.id, step: "rollback-backend") == [
                    .done(.notNeeded("watch-backend saw the service improve"))
                ])
            #expect(try await h.journal(incident.id, step: "verify-backend").isEmpty)
            #expect(h.notifier.incidentNotices.last?.status.hasPrefix("contained") == true)
            // Nobody forgets a version left at half the traffic: a task says to promote or roll back.
            let tasks = try await h.sqlite.tasks(incidentID: incident.id)
            #expect(tasks.contains { $0.id == "remediation.promote_or_roll_back" && $0.dueAt != nil })
        }
    }

    @Test(
        "promote after a contained gradual incident: the new version gets all the traffic as a journaled step, the task is done; a second promote is refused"
    )
    func promoteContained() async throws {
        try await Self.gradual(newConversion: 0.033) { h, run, incident, _, traffic in
            #expect(traffic.sets == [0.5])
            let result = try await run.engine.promote(service: Self.backend, by: "token oncall").get()
            #expect(result.incidentID == incident.id)
            #expect(result.deployment.id == Self.v2)
            #expect(result.task.id == PostRollbackWork.promoteOrRollBack)
            #expect(result.task.state == .done)
            #expect(traffic.sets == [0.5, 1])
            #expect(traffic.share == 1)
            #expect(h.world.rollbackCount() == 0)
            #expect(
                try await h.journal(incident.id, step: "promote-backend")
                    == [.intent, .accepted(operationID: "share:1.0"), .done(.succeeded(viaFallback: false))])
            let task = try #require(
                try await h.sqlite.tasks(incidentID: incident.id).first { $0.id == PostRollbackWork.promoteOrRollBack })
            #expect(task.state == .done)
            #expect(task.note?.contains("promoted by token oncall") == true)
            let timeline = try await h.sqlite.timeline(incidentID: incident.id).map(\.message)
            #expect(timeline.contains { $0.hasPrefix("promote requested by token oncall") })
            #expect(
                timeline.contains {
                    $0.hasPrefix("task \(PostRollbackWork.promoteOrRollBack) is now done (by token oncall)")
                })

            // Done once: nothing is left to promote, and nothing moves.
            guard case .failure(let again) = await run.engine.promote(service: Self.backend, by: "token oncall") else {
                Issue.record("a second promote should be refused")
                return
            }
            #expect(again.code == "nothing_to_promote")
            #expect(again.message.contains("nothing to promote"))
            #expect(traffic.sets == [0.5, 1])
        }
    }

    @Test(
        "rolling back a contained service is the other way out: the contained incident's promote-or-roll-back task is done, and there is nothing left to promote"
    )
    func rollbackClosesThePromoteTask() async throws {
        try await Self.gradual(newConversion: 0.033) { h, run, incident, v1, _ in
            let id = try await run.engine.requestRollback(
                .init(service: Self.backend, to: nil, reason: "v2 still converts worse")
            ).get()
            let rollback = try await run.untilClosed(2)
            #expect(rollback.id == id)
            #expect(rollback.status == .completed)
            #expect(try await h.liveID(Self.backend) == v1.id)
            let task = try #require(
                try await h.sqlite.tasks(incidentID: incident.id).first { $0.id == PostRollbackWork.promoteOrRollBack })
            #expect(task.state == .done)
            #expect(task.note == "rolled back in incident #\(id)")
            let timeline = try await h.sqlite.timeline(incidentID: incident.id).map(\.message)
            #expect(
                timeline.contains(
                    "task \(PostRollbackWork.promoteOrRollBack) is now done: backend was rolled back in incident #\(id)"
                ))
            guard case .failure(let refusal) = await run.engine.promote(service: Self.backend, by: "cli user alice")
            else {
                Issue.record("nothing is left to promote after a rollback")
                return
            }
            #expect(refusal.code == "nothing_to_promote")
        }
    }

    @Test("promote is refused when the gradual incident rolled back, and for a service Rewind does not know")
    func promoteRefused() async throws {
        try await Self.gradual(newConversion: 0.02) { h, run, incident, _, traffic in
            guard case .failure(let refusal) = await run.engine.promote(service: Self.backend, by: "cli user alice")
            else {
                Issue.record("a rolled-back incident has nothing to promote")
                return
            }
            #expect(refusal.code == "nothing_to_promote")
            #expect(
                refusal.message.contains("no gradual rollout of backend is waiting at a reduced share"),
                "\(refusal.message)")
            #expect(traffic.sets == [0.5, 0])
            let promoteJournal = try await h.journal(incident.id, step: "promote-backend")
            #expect(promoteJournal.isEmpty)
            guard case .failure(let unknown) = await run.engine.promote(service: "billing", by: "cli user alice") else {
                Issue.record("an unknown service cannot be promoted")
                return
            }
            #expect(unknown.code == "unknown_service")
        }
    }

    @Test(
        "canary: a regressing canary is stopped, its data kept, stable restored by a rollback, and the canary work recorded"
    )
    func canary() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let metrics = FakeMetrics(world: h.world)
            let traffic = FakeTraffic(share: 0.2)
            metrics.split(Self.backend, .init(traffic: traffic, stable: v1.id))
            metrics.set(Self.backend, "latency_p95", whileLive: v1.id, 0.3)
            metrics.set(Self.backend, "latency_p95", whileLive: Self.v2, 6.0)  // 1.44 s blended at 20 %
            var policy = Fixture.metricPolicy([Fixture.signal(.latencyP95)])
            policy.services[0].rollout = .canary
            policy.services[0].purgesCache = true
            try await h.run(policy: policy, metricSource: metrics, controls: Controls(traffic: [Self.backend: traffic]))
            { run in
                try await run.deploy(Self.backend, "v2", health: .healthy)
                let incident = try await run.untilClosed()

                let stored = try #require(try await h.sqlite.incident(id: incident.id))
                #expect(stored.strategy == .canary)
                #expect(stored.status == .completed)
                #expect(traffic.sets == [0])
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
                // Stale assets do not outlive the rollback: the CDN cache is purged once it is done.
                #expect(traffic.purges == 1)
                #expect(
                    try await h.journal(incident.id, step: "purge-cache-backend").last
                        == .done(.succeeded(viaFallback: false)))
                let timeline = try await h.sqlite.timeline(incidentID: incident.id)
                #expect(
                    timeline.first { $0.kind == .decision }?.message.contains("runs its new deployments as canaries")
                        == true)
                let kept = try #require(timeline.first { $0.kind == .canaryData })
                #expect(kept.message.contains("canary data (v2 (backend-v2))"))
                guard case .object(let detail)? = kept.detail, case .array(let signals)? = detail["signals"] else {
                    Issue.record("the canary's signals were not kept")
                    return
                }
                #expect(signals.count == 1)
                // The canary was stopped before stable was restored.
                let stopped = try #require(
                    timeline.firstIndex { $0.kind == .stepOutcome && $0.message.hasPrefix("stop-canary-backend") })
                let restored = try #require(
                    timeline.firstIndex { $0.kind == .stepIntent && $0.message.contains("roll back backend") })
                #expect(stopped < restored)
                let tasks = try await h.sqlite.tasks(incidentID: incident.id).map(\.id)
                #expect(tasks.contains("investigation.analyze_canary_data"))
                #expect(tasks.contains("documentation.document_learnings"))
            }
        }
    }

    @Test("kill-switch flags are turned off (those still on) and a down-migration runs after the application is back")
    func flagsAndMigration() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let flags = FakeFlags(["all_features": true, "a_b_testing": false])
            let migration = FakeMigration(world: h.world)
            var policy = Fixture.policy()
            policy.services[0].flags = FlagsStep(names: ["all_features", "a_b_testing"])
            policy.services[0].migration = MigrationStep()
            let controls = Controls(flags: [Self.backend: flags], migrations: [Self.backend: migration])
            try await h.run(policy: policy, controls: controls) { run in
                try await run.deploy(Self.backend, "v2", health: .failing(status: 500))
                let incident = try await run.untilClosed()

                #expect(incident.status == .completed)
                #expect(flags.disableCalls == ["all_features"])
                #expect(!flags.isOn("all_features"))
                #expect(migration.calls.map(\.target) == [v1.id])
                #expect(migration.calls.first?.liveDuring == v1.id)
                let output = try await h.sqlite.timeline(incidentID: incident.id).filter { $0.kind == .output }
                #expect(output.contains { $0.message.hasPrefix("./migrate exited with status 0") })
            }
        }
    }

    @Test(
        "an irreversible migration that must run before the app fails at once; the app is not rolled back onto a schema it cannot use"
    )
    func irreversibleMigration() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            var policy = Fixture.policy()
            policy.services[0].migration = MigrationStep(beforeApp: true, irreversible: true)
            let controls = Controls(migrations: [Self.backend: FakeMigration(world: h.world, irreversible: true)])
            try await h.run(policy: policy, controls: controls) { run in
                try await run.deploy(Self.backend, "v2", health: .failing(status: 500))
                let incident = try await run.untilClosed()

                #expect(incident.status == .failed)
                #expect(h.world.rollbackCount() == 0)
                #expect(try await h.escalationReasons(incident.id).contains("rollback_failed"))
                #expect(
                    try await h.journal(incident.id, step: "rollback-backend") == [
                        .done(.skipped("migrate-backend did not succeed"))
                    ])
                #expect(h.notifier.incidentNotices.last?.error?.contains("restore from backup") == true)
            }
        }
    }

    @Test(
        "immediate: the incident's total deadline cuts every hanging rollback short, the failing service's own included"
    )
    func immediateDeadline() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            h.world.setRollbackBehaviour(.neverFinishes)
            var policy = Fixture.policy(workerDependsOnBackend: true)
            policy.strategies.immediateDeadline = .seconds(5)
            try await h.run(policy: policy) { run in
                try await h.deploySuspect(Fixture.worker, "v2", health: .healthy)
                try await run.deploy(Self.backend, "v2", health: .failing(status: 500))
                let incident = try await run.untilClosed()

                #expect(incident.status == .failed)
                let closed = try #require(incident.closedAt)
                #expect(closed - incident.openedAt < .seconds(30))
                for step in ["rollback-worker", "rollback-backend"] {
                    guard case .failed(let why)? = Self.outcome(try await h.journal(incident.id, step: step)) else {
                        Issue.record("\(step) should have failed at the deadline")
                        continue
                    }
                    #expect(why.contains("timeout") || why.contains("deadline") || why.contains("5s"), "\(why)")
                }
            }
        }
    }

    @Test("--force: the rollback runs, nothing is verified, and the journal says it was forced")
    func forcedRollback() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            // v1 would fail its verification: a forced rollback does not look.
            h.world.setHealth(v1.id, .failing(status: 503))
            try await h.deploySuspect(Self.backend, "v2", health: .healthy)
            try await h.run { run in
                let id = try await run.engine.requestRollback(
                    .init(service: Self.backend, to: nil, reason: "drain", force: true)
                ).get()
                let incident = try await run.untilClosed()
                #expect(incident.id == id)
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
                #expect(try await h.journal(id, step: "verify-backend").isEmpty)
                let decision = try #require(try await h.sqlite.timeline(incidentID: id).first { $0.kind == .decision })
                #expect(decision.message.contains("forced by an operator"))
                #expect(
                    h.notifier.incidentNotices.first?.actions.contains("verification skipped: forced by an operator")
                        == true)
            }
        }
    }

    @Test("a restart after the traffic cut was journaled sets the journaled share again, never half of it")
    func gradualResumesJournaledShare() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let v2 = try await h.deploySuspect(Self.backend, "v2", health: .healthy)
            let traffic = FakeTraffic(share: 0.5)  // the daemon died right after setting it
            var policy = Fixture.policy()
            policy.strategies.gradualWatch = .seconds(30)
            let plan = Planner.plan(
                strategy: .gradual, choices: [RollbackChoice(service: Self.backend, from: v2, to: v1, reason: "test")],
                policy: policy)
            let incident = try await h.sqlite.createIncident(
                Incident(
                    id: 0, openedAt: h.clock.now, services: [Self.backend], trigger: .business, severity: .high,
                    strategy: .gradual,
                    status: .open, summary: "backend: business", plan: plan))
            for state in [StepRecord.State.intent, .accepted(operationID: "share:0.5")] {
                try await h.sqlite.recordStep(
                    StepRecord(incidentID: incident.id, stepID: "reduce-traffic-backend", state: state, at: h.clock.now)
                )
            }
            try await h.run(policy: policy, controls: Controls(traffic: [Self.backend: traffic])) { run in
                let closed = try await run.untilClosed()
                #expect(closed.id == incident.id)
                #expect(traffic.sets == [0])  // no second cut to 25 %; then all to stable after the watch
                #expect(try await h.journal(incident.id, step: "reduce-traffic-backend").last == .done(.alreadyLive))
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
            }
        }
    }
}
