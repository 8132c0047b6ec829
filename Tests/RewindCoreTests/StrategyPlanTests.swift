import Foundation
import RewindCore
import Testing

/// The gradual and canary strategies, migrations, kill-switch flags, the immediate deadline and
/// forced plans: what the planner builds and how the incident machine runs it, tick by tick.
@Suite("Strategies: gradual, canary, migrations, flags, deadline, force")
struct StrategyPlanTests {
    typealias S = Fixture

    static func choice(_ service: ServiceName) -> RollbackChoice {
        let step = S.step(service)
        return RollbackChoice(service: service, from: step.from, to: step.to, reason: "test")
    }

    static func plan(_ strategy: Strategy, _ services: [ServicePolicy], verify: Bool = true) -> Plan {
        Planner.plan(
            strategy: strategy, choices: services.map { choice($0.name) }, policy: Policy(services: services),
            verify: verify)
    }

    static func runs(_ actions: [IncidentAction]) -> [String] {
        actions.compactMap { if case .runStep(let step) = $0 { step.id } else { nil } }
    }

    static let migration = MigrationStep()

    // MARK: Gradual

    @Test(
        "gradual: cut the new version's traffic by 50 %, watch 10 minutes, then route to stable and roll back — gated on the watch"
    )
    func gradualPlan() throws {
        let plan = Self.plan(.gradual, [ServicePolicy(name: "frontend")])
        #expect(
            plan.steps.map(\.id) == [
                "reduce-traffic-frontend", "watch-frontend", "route-stable-frontend", "rollback-frontend",
            ])
        #expect(plan.steps[0].action == .reduceTraffic(by: 0.5))
        #expect(plan.steps[0].timeout == .seconds(60))
        #expect(plan.steps[1].action == .watch(durationMs: 600_000))
        #expect(plan.steps[1].dependsOn == ["reduce-traffic-frontend"])
        #expect(plan.steps[2].action == .setTraffic(share: 0))
        #expect(plan.steps[2].unlessImproved == "watch-frontend")
        #expect(plan.steps[3].unlessImproved == "watch-frontend")
        #expect(plan.steps[3].after == ["route-stable-frontend"])
        #expect(plan.steps[3].timeout == .seconds(120))
        #expect(plan.freeze == nil && plan.deadline == nil)
    }

    @Test("gradual: the watch sees improvement → nothing rolled back, nothing verified, completed")
    func gradualImproved() {
        var machine = IncidentMachine(plan: Self.plan(.gradual, [ServicePolicy(name: "frontend")]), mode: .enforce)
        #expect(Self.runs(machine.start()) == ["reduce-traffic-frontend"])
        #expect(
            Self.runs(machine.stepFinished("reduce-traffic-frontend", .succeeded(viaFallback: false))) == [
                "watch-frontend"
            ])
        let actions = machine.stepFinished("watch-frontend", .improved("recovered"))
        #expect(actions == [.notify(.completed), .finish(.completed)])
        #expect(machine.steps["rollback-frontend"] == .done(.notNeeded("watch-frontend saw the service improve")))
        #expect(machine.steps["route-stable-frontend"] == .done(.notNeeded("watch-frontend saw the service improve")))
        #expect(machine.verifications.isEmpty)
    }

    @Test("gradual: no improvement → route to stable, then roll back, then verify")
    func gradualNoImprovement() {
        var machine = IncidentMachine(plan: Self.plan(.gradual, [ServicePolicy(name: "frontend")]), mode: .enforce)
        _ = machine.start()
        _ = machine.stepFinished("reduce-traffic-frontend", .succeeded(viaFallback: false))
        #expect(
            Self.runs(machine.stepFinished("watch-frontend", .noImprovement("still violating"))) == [
                "route-stable-frontend"
            ])
        #expect(
            Self.runs(machine.stepFinished("route-stable-frontend", .succeeded(viaFallback: false))) == [
                "rollback-frontend"
            ])
        #expect(machine.stepFinished("rollback-frontend", .succeeded(viaFallback: false)) == [.verify("frontend")])
        #expect(machine.verificationFinished("frontend", passed: true) == [.notify(.completed), .finish(.completed)])
    }

    @Test(
        "gradual: traffic cannot be cut → the watch is skipped and the rollback runs anyway; the incident still fails")
    func gradualTrafficFails() {
        var machine = IncidentMachine(plan: Self.plan(.gradual, [ServicePolicy(name: "frontend")]), mode: .enforce)
        _ = machine.start()
        #expect(
            Self.runs(machine.stepFinished("reduce-traffic-frontend", .failed("cloudflare: 403"))) == [
                "route-stable-frontend"
            ])
        #expect(machine.steps["watch-frontend"] == .done(.skipped("reduce-traffic-frontend did not succeed")))
        #expect(
            Self.runs(machine.stepFinished("route-stable-frontend", .failed("cloudflare: 403"))) == [
                "rollback-frontend"
            ])
        _ = machine.stepFinished("rollback-frontend", .succeeded(viaFallback: false))
        #expect(machine.verificationFinished("frontend", passed: true) == [.notify(.failed), .finish(.failed)])
    }

    // MARK: Canary

    @Test("canary: stop the canary (1 m), keep its data, route to stable by rolling back (2 m) even if stopping failed")
    func canary() {
        let plan = Self.plan(.canary, [ServicePolicy(name: "frontend")])
        #expect(plan.steps.map(\.id) == ["stop-canary-frontend", "keep-canary-data-frontend", "rollback-frontend"])
        #expect(plan.steps[0].action == .setTraffic(share: 0) && plan.steps[0].timeout == .seconds(60))
        #expect(plan.steps[1].action == .preserveCanaryData(windowMs: 1_800_000))
        #expect(
            plan.steps[2].timeout == .seconds(120) && plan.steps[2].dependsOn.isEmpty
                && plan.steps[2].after == ["stop-canary-frontend"])
        var machine = IncidentMachine(plan: plan, mode: .enforce)
        #expect(Self.runs(machine.start()) == ["stop-canary-frontend"])
        #expect(
            Self.runs(machine.stepFinished("stop-canary-frontend", .failed("timeout"))) == [
                "keep-canary-data-frontend", "rollback-frontend",
            ])
        _ = machine.stepFinished("keep-canary-data-frontend", .succeeded(viaFallback: false))
        #expect(machine.stepFinished("rollback-frontend", .succeeded(viaFallback: false)) == [.verify("frontend")])
        #expect(machine.verificationFinished("frontend", passed: true) == [.notify(.failed), .finish(.failed)])
    }

    @Test("canary: a service's own rollback timeout still wins")
    func canaryOwnTimeout() {
        let plan = Self.plan(.canary, [ServicePolicy(name: "frontend", rollbackTimeout: .seconds(45))])
        #expect(plan.steps.last?.timeout == .seconds(45))
    }

    @Test("canary work: analyze the canary's data within 30 minutes and document the learnings")
    func canaryTasks() {
        let tasks = PostRollbackWork.tasks(
            incidentID: 7, at: S.base, postMortemWithin: .seconds(86_400), strategy: .canary)
        #expect(tasks.first { $0.id == "investigation.analyze_canary_data" }?.dueAt == S.base + .seconds(1800))
        #expect(tasks.contains { $0.id == "documentation.document_learnings" })
        #expect(
            !PostRollbackWork.tasks(incidentID: 7, at: S.base, postMortemWithin: .seconds(86_400), strategy: .fast)
                .contains { $0.id == "documentation.document_learnings" })
    }

    // MARK: Migrations and flags

    @Test("a migration after the app runs once the app is back, and is skipped if the app's rollback failed")
    func migrationAfterApp() {
        let plan = Self.plan(.fast, [ServicePolicy(name: "backend", migration: Self.migration)])
        #expect(plan.steps.map(\.id) == ["rollback-backend", "migrate-backend"])
        #expect(plan.steps[1].dependsOn == ["rollback-backend"] && plan.steps[1].timeout == .seconds(300))
        var machine = IncidentMachine(plan: plan, mode: .enforce)
        #expect(Self.runs(machine.start()) == ["rollback-backend"])
        _ = machine.stepFinished("rollback-backend", .failed("railway: 500"))
        #expect(machine.steps["migrate-backend"] == .done(.skipped("rollback-backend did not succeed")))
    }

    @Test(
        "a migration before the app runs first, after the dependents; a failed one keeps the old app off the new schema"
    )
    func migrationBeforeApp() {
        let plan = Self.plan(
            .immediate,
            [
                ServicePolicy(name: "frontend", dependsOn: ["backend"]),
                ServicePolicy(name: "backend", migration: MigrationStep(beforeApp: true)),
            ])
        let migrate = plan.steps.first { $0.id == "migrate-backend" }
        #expect(migrate?.after == ["rollback-frontend"] && migrate?.dependsOn == [])
        #expect(plan.steps.first { $0.id == "rollback-backend" }?.dependsOn == ["migrate-backend"])
        #expect(plan.steps.first { $0.id == "rollback-backend" }?.after == ["rollback-frontend"])
        var machine = IncidentMachine(plan: plan, mode: .enforce)
        #expect(Self.runs(machine.start()) == ["rollback-frontend"])
        #expect(
            Self.runs(machine.stepFinished("rollback-frontend", .succeeded(viaFallback: false))) == ["migrate-backend"])
        _ = machine.stepFinished("migrate-backend", .failed("irreversible"))
        #expect(machine.steps["rollback-backend"] == .done(.skipped("migrate-backend did not succeed")))
    }

    @Test("an irreversible migration is planned as such, and says so")
    func irreversible() {
        let plan = Self.plan(.fast, [ServicePolicy(name: "backend", migration: MigrationStep(irreversible: true))])
        #expect(plan.steps.last?.action == .migrate(irreversible: true))
        #expect(plan.steps.last?.summary().contains("restore the database from a backup") == true)
    }

    @Test("kill-switch flags are turned off alongside the rollback; under gradual they wait for the watch")
    func flags() {
        let flags = FlagsStep(names: ["all_features", "a_b_testing"])
        let fast = Self.plan(.fast, [ServicePolicy(name: "frontend", flags: flags)])
        var machine = IncidentMachine(plan: fast, mode: .enforce)
        #expect(Set(Self.runs(machine.start())) == ["flags-frontend", "rollback-frontend"])
        #expect(
            fast.steps.first { $0.id == "flags-frontend" }?.action == .disableFlags(["all_features", "a_b_testing"]))
        let gradual = Self.plan(.gradual, [ServicePolicy(name: "frontend", flags: flags)])
        var gradualMachine = IncidentMachine(plan: gradual, mode: .enforce)
        _ = gradualMachine.start()
        _ = gradualMachine.stepFinished("reduce-traffic-frontend", .succeeded(viaFallback: false))
        _ = gradualMachine.stepFinished("watch-frontend", .improved("recovered"))
        #expect(gradualMachine.steps["flags-frontend"] == .done(.notNeeded("watch-frontend saw the service improve")))
        #expect(gradualMachine.outcome == .completed)
    }

    // MARK: Immediate deadline and force

    @Test("immediate: a total deadline over every step — by default the longest chain of step timeouts; fast has none")
    func deadline() {
        let chain = [
            ServicePolicy(name: "frontend", dependsOn: ["backend"]),
            ServicePolicy(name: "backend", dependsOn: ["worker"]),
            ServicePolicy(name: "worker"), ServicePolicy(name: "cache", rollbackTimeout: .seconds(45)),
        ]
        // frontend → backend → worker at 30 s each; the independent cache overlaps them.
        #expect(Self.plan(.immediate, chain).deadline == .seconds(90))
        var policy = Policy(services: chain)
        policy.strategies.immediateDeadline = .seconds(40)
        #expect(
            Planner.plan(strategy: .immediate, choices: chain.map { Self.choice($0.name) }, policy: policy).deadline
                == .seconds(40))
        #expect(Self.plan(.fast, [ServicePolicy(name: "a")]).deadline == nil)
        // A fallback gets its own timeout: the chain makes room for it.
        let withFallback = ServicePolicy(name: "worker", hasFallback: true)
        #expect(Self.plan(.immediate, [chain[0], chain[1], withFallback]).deadline == .seconds(120))
    }

    @Test("a forced plan runs its steps and is never verified")
    func forced() {
        var machine = IncidentMachine(
            plan: Self.plan(.fast, [ServicePolicy(name: "backend")], verify: false), mode: .enforce)
        _ = machine.start()
        #expect(
            machine.stepFinished("rollback-backend", .succeeded(viaFallback: false)) == [
                .notify(.completed), .finish(.completed),
            ])
    }

    @Test("a plan journaled before steps had actions still decodes: every step is a rollback, verified")
    func oldJournal() throws {
        let json = """
            {"strategy":"fast","steps":[{"id":"rollback-a","service":"a","timeoutMs":1000,"dependsOn":[],
            "from":\(try encode(S.step("a").from)),"to":\(try encode(S.step("a").to))}]}
            """
        let plan = try JSONDecoder().decode(Plan.self, from: Data(json.utf8))
        #expect(plan.steps.first?.action == .rollback && plan.steps.first?.after == [] && plan.verify)
    }

    func encode(_ deployment: Deployment) throws -> String {
        String(decoding: try JSONEncoder().encode(deployment), as: UTF8.self)
    }

    // MARK: Assessment

    @Test(
        "a service that runs canaries takes the canary strategy for a performance regression, and the decision says why"
    )
    func canaryChosen() {
        var snapshot = S.snapshot("frontend", [("v1", .knownGood), ("v2", .suspect)])
        snapshot.hasTrafficControl = true
        snapshot.runsCanaries = true
        let decision = Assessment.decide(
            violation: S.violation("frontend", .performance),
            policy: Policy(services: [ServicePolicy(name: "frontend")]),
            services: [snapshot], now: S.base)
        guard case .rollback(let strategy, _, _, let notes) = decision else {
            Issue.record("expected a rollback, got \(decision)")
            return
        }
        #expect(strategy == .canary)
        #expect(notes.first?.contains("canaries") == true)
        // Critical health stays immediate.
        let critical = Assessment.decide(
            violation: S.violation("frontend", .healthCritical),
            policy: Policy(services: [ServicePolicy(name: "frontend")]),
            services: [snapshot], now: S.base)
        guard case .rollback(let immediate, _, _, _) = critical else {
            Issue.record("expected a rollback")
            return
        }
        #expect(immediate == .immediate)
    }

    @Test(
        "--force: with nothing known good, the newest earlier deployment not marked bad; without it, the refusal mentions --force"
    )
    func force() {
        let snapshot = S.snapshot("backend", [("v0", .bad), ("v1", .suspect), ("v2", .suspect)])
        guard case .escalate(_, let detail) = Assessment.decideManual(service: "backend", to: nil, services: [snapshot])
        else {
            Issue.record("expected a refusal")
            return
        }
        #expect(detail.contains("--force"))
        guard
            case .rollback(_, let choices, _, _) = Assessment.decideManual(
                service: "backend", to: nil, services: [snapshot], force: true)
        else {
            Issue.record("expected a forced rollback")
            return
        }
        #expect(choices.first?.to.version == "v1")
        #expect(choices.first?.reason.hasPrefix("forced") == true)
    }

    @Test(
        "a CDN cache in front of the service is purged after its rollback succeeded; a contained gradual purges nothing"
    )
    func purgeAfterRollback() {
        var frontend = ServicePolicy(name: "frontend", hasTrafficControl: true)
        frontend.purgesCache = true
        let fast = Self.plan(.fast, [frontend])
        #expect(fast.steps.map(\.id) == ["rollback-frontend", "purge-cache-frontend"])
        #expect(fast.steps[1].dependsOn == ["rollback-frontend"] && fast.steps[1].action == .purgeCache)
        let gradual = Self.plan(.gradual, [frontend])
        #expect(gradual.steps.first { $0.id == "purge-cache-frontend" }?.unlessImproved == "watch-frontend")
        var machine = IncidentMachine(plan: fast, mode: .enforce)
        _ = machine.start()
        _ = machine.stepFinished("rollback-frontend", .failed("vercel: 500"))
        #expect(machine.steps["purge-cache-frontend"] == .done(.skipped("rollback-frontend did not succeed")))
    }
}
