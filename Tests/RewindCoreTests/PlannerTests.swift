import RewindCore
import Testing

@Suite("Planner: ordered steps, timeouts, freeze")
struct PlannerTests {
    /// frontend → backend → worker (each depends on the next).
    static let chain = Policy(services: [
        ServicePolicy(name: "frontend", dependsOn: ["backend"]),
        ServicePolicy(name: "backend", dependsOn: ["worker"]),
        ServicePolicy(name: "worker"),
    ])

    static func choice(_ service: ServiceName) -> RollbackChoice {
        let step = Fixture.step(service)
        return RollbackChoice(service: service, from: step.from, to: step.to, reason: "test")
    }

    static func plan(_ services: [ServiceName], _ strategy: Strategy = .immediate, policy: Policy = chain) -> Plan {
        Planner.plan(strategy: strategy, choices: services.map(choice), policy: policy)
    }

    static func step(_ plan: Plan, _ service: ServiceName) throws -> PlanStep {
        try #require(plan.steps.first { $0.service == service })
    }

    /// Every step that must finish before `id` (succeed or not), directly or through other steps.
    static func prerequisites(of id: String, in plan: Plan) -> Set<String> {
        var found: Set<String> = []
        var frontier = [id]
        while let next = frontier.popLast() {
            let step = plan.steps.first(where: { $0.id == next })
            for dependency in (step?.dependsOn ?? []) + (step?.after ?? []) where found.insert(dependency).inserted {
                frontier.append(dependency)
            }
        }
        return found
    }

    @Test("a service is rolled back before the services it depends on (under immediate: ordering only)")
    func dependentsFirst() throws {
        let plan = Self.plan(["worker", "backend", "frontend"])
        #expect(plan.steps.map(\.id) == ["rollback-worker", "rollback-backend", "rollback-frontend"])
        #expect(plan.steps.allSatisfy { $0.dependsOn.isEmpty })
        #expect(try Self.step(plan, "frontend").after == [])
        #expect(try Self.step(plan, "backend").after == ["rollback-frontend"])
        #expect(try Self.step(plan, "worker").after.contains("rollback-backend"))
        // Fast with several services keeps hard dependencies.
        let fast = Self.plan(["worker", "backend", "frontend"], .fast)
        #expect(try Self.step(fast, "backend").dependsOn == ["rollback-frontend"])
        #expect(Self.prerequisites(of: "rollback-frontend", in: plan) == [])
        #expect(Self.prerequisites(of: "rollback-backend", in: plan) == ["rollback-frontend"])
        #expect(Self.prerequisites(of: "rollback-worker", in: plan) == ["rollback-backend", "rollback-frontend"])
        // Steps carry the choice unchanged.
        let worker = try Self.step(plan, "worker")
        #expect(worker.from == Self.choice("worker").from)
        #expect(worker.to == Self.choice("worker").to)
    }

    @Test("the order is transitive through a service that is not in the plan")
    func transitiveThroughMissingService() throws {
        let plan = Self.plan(["worker", "frontend"])
        #expect(try Self.step(plan, "worker").after == ["rollback-frontend"])
        #expect(try Self.step(plan, "frontend").after == [])
    }

    @Test(
        "immediate: the service whose trigger fired waits for nobody, and a dependent's failed rollback never skips another"
    )
    func immediateActsOnEverySuspectNow() throws {
        let plan = Planner.plan(
            strategy: .immediate, choices: ["frontend", "backend", "worker"].map(Self.choice), policy: Self.chain,
            affected: "backend")
        #expect(try Self.step(plan, "backend").after == [] && Self.step(plan, "backend").dependsOn == [])
        var machine = IncidentMachine(plan: plan, mode: .enforce)
        let started = machine.start().compactMap { if case .runStep(let step) = $0 { step.id } else { nil } }
        #expect(Set(started) == ["rollback-frontend", "rollback-backend"])
        // frontend's rollback fails: worker still runs (ordering only), after frontend and backend.
        _ = machine.stepFinished("rollback-frontend", .failed("vercel: 500"))
        let next = machine.stepFinished("rollback-backend", .succeeded(viaFallback: false))
        #expect(next.contains { if case .runStep(let step) = $0 { step.id == "rollback-worker" } else { false } })
    }

    @Test("independent services have no edge between them")
    func independent() {
        let policy = Policy(services: [
            ServicePolicy(name: "a"), ServicePolicy(name: "b"), ServicePolicy(name: "c", dependsOn: ["b"]),
        ])
        let plan = Self.plan(["a", "b"], policy: policy)
        #expect(plan.steps.map(\.dependsOn) == [[], []])
    }

    @Test(
        "timeouts: immediate 30s (a shorter service timeout wins), fast 2m by default (a service timeout wins)",
        arguments: [
            (Strategy.immediate, Int64?.none, Int64(30_000)),
            (.fast, nil, 120_000),
            (.immediate, 180_000, 30_000),
            (.immediate, 10_000, 10_000),
            (.fast, 180_000, 180_000),
            (.fast, 10_000, 10_000),
        ])
    func timeouts(strategy: Strategy, overrideMs: Int64?, expectedMs: Int64) throws {
        let policy = Policy(services: [
            ServicePolicy(name: "backend", rollbackTimeout: overrideMs.map { .milliseconds($0) }),
            ServicePolicy(name: "worker"),
        ])
        let plan = Self.plan(["backend", "worker"], strategy, policy: policy)
        #expect(try Self.step(plan, "backend").timeout == .milliseconds(expectedMs))
        // The service without an override keeps the strategy's default.
        #expect(try Self.step(plan, "worker").timeout == (strategy == .immediate ? .seconds(30) : .seconds(120)))
    }

    @Test("strategy timings come from the policy")
    func customTimings() throws {
        let policy = Policy(
            services: [ServicePolicy(name: "backend")],
            strategies: StrategyTimings(
                immediateTimeout: .seconds(45), immediateFreeze: .seconds(7200), fastTimeout: .seconds(90)))
        let immediate = Self.plan(["backend"], .immediate, policy: policy)
        #expect(try Self.step(immediate, "backend").timeout == .seconds(45))
        #expect(immediate.freeze == .seconds(7200))
        let fast = Self.plan(["backend"], .fast, policy: policy)
        #expect(try Self.step(fast, "backend").timeout == .seconds(90))
    }

    @Test("deployments are frozen for 1h by the immediate strategy only")
    func freeze() {
        #expect(Self.plan(["backend"], .immediate).freeze == .seconds(3600))
        #expect(Self.plan(["backend"], .immediate).strategy == .immediate)
        #expect(Self.plan(["backend"], .fast).freeze == nil)
        #expect(Self.plan(["backend"], .fast).strategy == .fast)
    }

    @Test("dependencyCycle finds a → b → a")
    func twoCycle() {
        let services = [ServicePolicy(name: "a", dependsOn: ["b"]), ServicePolicy(name: "b", dependsOn: ["a"])]
        #expect(Planner.dependencyCycle(in: services) == ["a", "b", "a"])
    }

    @Test("dependencyCycle finds a longer cycle and a self-dependency")
    func otherCycles() throws {
        let longer = [
            ServicePolicy(name: "d"),
            ServicePolicy(name: "a", dependsOn: ["b"]),
            ServicePolicy(name: "b", dependsOn: ["c", "d"]),
            ServicePolicy(name: "c", dependsOn: ["a"]),
        ]
        let cycle = try #require(Planner.dependencyCycle(in: longer))
        #expect(cycle.first == cycle.last)
        #expect(Set(cycle) == ["a", "b", "c"])
        #expect(Planner.dependencyCycle(in: [ServicePolicy(name: "a", dependsOn: ["a"])]) == ["a", "a"])
    }

    @Test("dependencyCycle returns nil for a DAG, including a diamond and unknown dependencies")
    func dag() {
        #expect(Planner.dependencyCycle(in: Self.chain.services) == nil)
        let diamond = [
            ServicePolicy(name: "top", dependsOn: ["left", "right"]),
            ServicePolicy(name: "left", dependsOn: ["bottom"]),
            ServicePolicy(name: "right", dependsOn: ["bottom", "external"]),
            ServicePolicy(name: "bottom"),
        ]
        #expect(Planner.dependencyCycle(in: diamond) == nil)
        #expect(Planner.dependencyCycle(in: []) == nil)
    }
}
