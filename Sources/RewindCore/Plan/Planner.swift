/// The pure planning: (strategy, rollback choices, policy) → the ordered steps of a ``Plan``.
public enum Planner {
    /// Builds the plan for a rollback decision.
    ///
    /// Order: a service is rolled back before the services it depends on (if frontend depends on
    /// backend, frontend goes first, so that no live frontend calls a backend API that no longer
    /// exists). The rule is transitive through services that are not in the plan. Independent
    /// services have no edge between them and run at the same time.
    ///
    /// Under the immediate strategy (every suspect service at once) the order is kept, but as an
    /// ordering only: a service whose dependent failed to roll back is still rolled back (an
    /// unrelated failure never skips it), and the `affected` service — the one whose trigger fired,
    /// down by definition — waits for nobody.
    ///
    /// Timeouts: immediate steps get `strategies.immediate.timeout` (30 s), cut to a service's own
    /// `rollback_timeout` when that is shorter; fast, gradual and canary rollbacks get the
    /// service's `rollback_timeout` when set, else the strategy's (2 m fast and gradual, 2 m for the
    /// canary's route to stable).
    ///
    /// Per service, by strategy:
    /// - immediate, fast: roll back (under the strategy's timeout, or the service's own).
    /// - gradual: cut the new version's traffic by `gradualReduction`, watch `gradualWatch`; if
    ///   nothing improved, route all traffic to stable and roll back.
    /// - canary: stop the canary (new share 0, 1 minute), route traffic to stable by rolling back
    ///   (2 minutes), and keep the canary's data for analysis.
    ///
    /// A `migration:` runs before the application's rollback (`before_app: true`) or after it;
    /// `flags:` are turned off alongside the rollback. Under the gradual strategy both wait for
    /// the watch, like the rollback itself.
    public static func plan(
        strategy: Strategy, choices: [RollbackChoice], policy: Policy, verify: Bool = true, affected: ServiceName? = nil
    ) -> Plan {
        let inPlan = Set(choices.map(\.service))
        let timings = policy.strategies
        var steps: [PlanStep] = []
        for choice in choices {
            let service = policy.service(choice.service)
            let name = choice.service
            let ordered =
                name == affected && strategy == .immediate ? [] : transitiveDependents(of: name, policy: policy)
            let dependents = ordered.filter { inPlan.contains($0) }.sorted().map { "rollback-\($0)" }
            // Immediate: the order is kept, a failure elsewhere never skips this service.
            let hardDependencies = strategy == .immediate ? [] : dependents
            let ordering = strategy == .immediate ? dependents : []
            func step(
                _ prefix: String, _ action: StepAction, _ timeout: Duration, dependsOn: [String] = [],
                after: [String] = [],
                unlessImproved: String? = nil
            ) -> PlanStep {
                PlanStep(
                    id: "\(prefix)-\(name)", service: name, from: choice.from, to: choice.to, action: action,
                    timeout: timeout,
                    dependsOn: dependsOn, after: after, unlessImproved: unlessImproved)
            }
            let strategyTimeout: Duration =
                switch strategy {
                case .immediate: timings.immediateTimeout
                case .canary: timings.canaryRouteTimeout
                case .fast, .gradual: timings.fastTimeout
                }
            var lead: [PlanStep] = []
            var gate: String?
            var rollbackAfter: [String] = []
            switch strategy {
            case .gradual:
                let reduce = step(
                    "reduce-traffic", .reduceTraffic(by: timings.gradualReduction), timings.trafficTimeout)
                let watch = step(
                    "watch", .watch(durationMs: timings.gradualWatch.milliseconds),
                    timings.gradualWatch + timings.trafficTimeout,
                    dependsOn: [reduce.id])
                let stable = step(
                    "route-stable", .setTraffic(share: 0), timings.trafficTimeout, after: [watch.id],
                    unlessImproved: watch.id)
                lead = [reduce, watch, stable]
                gate = watch.id
                rollbackAfter = [stable.id]
            case .canary:
                let stop = step("stop-canary", .setTraffic(share: 0), timings.trafficTimeout)
                let keep = step(
                    "keep-canary-data", .preserveCanaryData(windowMs: timings.canaryAnalysis.milliseconds),
                    timings.trafficTimeout,
                    after: [stop.id])
                lead = [stop, keep]
                rollbackAfter = [stop.id]
            case .immediate, .fast:
                break
            }
            let timeout =
                strategy == .immediate
                ? min(service?.rollbackTimeout ?? strategyTimeout, strategyTimeout)
                : service?.rollbackTimeout ?? strategyTimeout
            var rollback = step(
                "rollback", .rollback, timeout, dependsOn: hardDependencies,
                after: rollbackAfter + ordering, unlessImproved: gate)
            var extra: [PlanStep] = []
            if let migration = service?.migration {
                if migration.beforeApp {
                    let migrate = step(
                        "migrate", .migrate(irreversible: migration.irreversible), migration.timeout,
                        dependsOn: hardDependencies, after: rollbackAfter + ordering, unlessImproved: gate)
                    rollback.dependsOn.append(migrate.id)
                    extra.append(migrate)
                } else {
                    extra.append(
                        step(
                            "migrate", .migrate(irreversible: migration.irreversible), migration.timeout,
                            dependsOn: [rollback.id],
                            unlessImproved: gate))
                }
            }
            if service?.purgesCache == true {
                // After the rollback succeeded (it follows any move of traffic back to stable);
                // a gradual incident that saw improvement purges nothing: the new version still serves.
                extra.append(
                    step(
                        "purge-cache", .purgeCache, timings.trafficTimeout, dependsOn: [rollback.id],
                        unlessImproved: gate))
            }
            if let flags = service?.flags {
                extra.append(
                    step(
                        "flags", .disableFlags(flags.names), flags.timeout, after: gate.map { [$0] } ?? [],
                        unlessImproved: gate))
            }
            let afterApp = extra.filter { $0.dependsOn.contains(rollback.id) }
            steps += lead + extra.filter { !$0.dependsOn.contains(rollback.id) } + [rollback] + afterApp
        }
        let immediate = strategy == .immediate
        return Plan(
            strategy: strategy, steps: steps, freeze: immediate ? timings.immediateFreeze : nil,
            deadline: immediate ? timings.immediateDeadline ?? longestChain(steps, policy: policy) : nil, verify: verify
        )
    }

    /// The time the steps need when each uses its whole timeout (a rollback with a fallback: twice,
    /// since the fallback gets its own): the longest chain through `dependsOn` and `after` edges
    /// (independent steps overlap).
    static func longestChain(_ steps: [PlanStep], policy: Policy) -> Duration {
        func budget(_ step: PlanStep) -> Duration {
            step.action == .rollback && policy.service(step.service)?.hasFallback == true
                ? step.timeout * 2 : step.timeout
        }
        let byID = Dictionary(uniqueKeysWithValues: steps.map { ($0.id, $0) })
        var finish: [String: Duration] = [:]
        func end(_ step: PlanStep, depth: Int) -> Duration {
            if let known = finish[step.id] { return known }
            guard depth <= steps.count else { return budget(step) }  // a cycle cannot be planned; stop anyway
            let start =
                (step.dependsOn + step.after).compactMap { byID[$0] }.map { end($0, depth: depth + 1) }.max() ?? .zero
            finish[step.id] = start + budget(step)
            return start + budget(step)
        }
        return steps.map { end($0, depth: 0) }.max() ?? .zero
    }

    /// Services that depend on `service`, directly or through others.
    static func transitiveDependents(of service: ServiceName, policy: Policy) -> Set<ServiceName> {
        var found: Set<ServiceName> = []
        var frontier = [service]
        while let next = frontier.popLast() {
            for candidate in policy.services where candidate.dependsOn.contains(next) && !found.contains(candidate.name)
            {
                found.insert(candidate.name)
                frontier.append(candidate.name)
            }
        }
        found.remove(service)
        return found
    }

    /// A dependency cycle among services, if there is one (reported by config validation).
    public static func dependencyCycle(in services: [ServicePolicy]) -> [ServiceName]? {
        let edges = Dictionary(uniqueKeysWithValues: services.map { ($0.name, $0.dependsOn) })
        var state: [ServiceName: Int] = [:]  // 1 visiting, 2 done
        var stack: [ServiceName] = []
        func visit(_ node: ServiceName) -> [ServiceName]? {
            if state[node] == 2 { return nil }
            if state[node] == 1 {
                let start = stack.firstIndex(of: node) ?? 0
                return Array(stack[start...]) + [node]
            }
            state[node] = 1
            stack.append(node)
            for next in edges[node] ?? [] where edges[next] != nil {
                if let cycle = visit(next) { return cycle }
            }
            stack.removeLast()
            state[node] = 2
            return nil
        }
        for service in services {
            if let cycle = visit(service.name) { return cycle }
        }
        return nil
    }
}
