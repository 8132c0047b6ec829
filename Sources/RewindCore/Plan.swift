/// What one plan step does.
public enum StepAction: Sendable, Equatable, Codable {
    /// Roll the service back on its platform (provider, then fallback), then verify it.
    case rollback
    /// Set the new version's share of traffic (canary: 0, all traffic to stable).
    case setTraffic(share: Double)
    /// Cut the new version's share of traffic by this fraction of what it has (gradual: 0.5).
    case reduceTraffic(by: Double)
    /// Watch the trigger that opened the incident for this long: `improved` when it recovered,
    /// `noImprovement` when it did not (the gradual strategy then rolls back).
    case watch(durationMs: Int64)
    /// Turn the service's kill-switch flags off (`flags:`).
    case disableFlags([String])
    /// Run the service's down-migration (`migration:`); an irreversible one fails at once.
    case migrate(irreversible: Bool)
    /// Keep the canary's data for analysis: its signals, evidence and deployment are recorded on
    /// the incident, and "analyze canary data" is due within this window.
    case preserveCanaryData(windowMs: Int64)
}

/// One step of a rollback plan.
public struct PlanStep: Sendable, Equatable, Codable, Identifiable {
    public var id: String
    public var service: ServiceName
    public var from: Deployment
    public var to: Deployment
    public var action: StepAction
    /// How long the step may take; a rollback's fallback gets as long again.
    public var timeoutMs: Int64
    /// Steps that must have succeeded first; if one did not, this step is skipped.
    public var dependsOn: [String]
    /// Steps that must have finished first, in any outcome (ordering only).
    public var after: [String]
    /// The id of a watch step: this step runs only if that watch saw no improvement, and is not
    /// needed when it did (the gradual strategy's "roll back if no improvement").
    public var unlessImproved: String?

    public init(
        id: String, service: ServiceName, from: Deployment, to: Deployment, action: StepAction = .rollback, timeout: Duration,
        dependsOn: [String], after: [String] = [], unlessImproved: String? = nil
    ) {
        self.id = id
        self.service = service
        self.from = from
        self.to = to
        self.action = action
        self.timeoutMs = timeout.milliseconds
        self.dependsOn = dependsOn
        self.after = after
        self.unlessImproved = unlessImproved
    }

    public var timeout: Duration { .milliseconds(timeoutMs) }

    /// What the step does, in the words of a notice: "roll back backend v2 → v1".
    public func summary(wouldOnly: Bool = false) -> String {
        let verb = { (word: String) in wouldOnly ? "would \(word)" : word }
        switch action {
        case .rollback: return "\(verb("roll back")) \(service) \(from.label) → \(to.label)"
        case .setTraffic(let share):
            return share == 0
                ? "\(verb("route")) all of \(service)'s traffic to stable (new version \(from.label) at 0 %)"
                : "\(verb("set")) \(service)'s new version \(from.label) to \(Self.percent(share)) of traffic"
        case .reduceTraffic(let fraction):
            return "\(verb("cut")) traffic to \(service)'s new version \(from.label) by \(Self.percent(fraction))"
        case .watch(let ms):
            return "\(verb("watch")) \(service) for \(Duration.milliseconds(ms).rewindDescription); roll back if nothing improves"
        case .disableFlags(let flags): return "\(verb("turn off")) \(service)'s flags \(flags.joined(separator: ", "))"
        case .migrate(let irreversible):
            return irreversible
                ? "\(service)'s migration is irreversible: restore the database from a backup"
                : "\(verb("run")) \(service)'s down-migration to \(to.label)"
        case .preserveCanaryData(let ms):
            return "\(verb("keep")) \(service)'s canary data (\(from.label)) for analysis within \(Duration.milliseconds(ms).rewindDescription)"
        }
    }

    /// A share of traffic as people read it ("50 %"), as every ratio is shown.
    public static func percent(_ fraction: Double) -> String {
        MetricUnit.ratio.format(fraction)
    }

    enum CodingKeys: String, CodingKey { case id, service, from, to, action, timeoutMs, dependsOn, after, unlessImproved }

    /// Plans journaled before steps had actions decode as rollbacks.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        service = try c.decode(ServiceName.self, forKey: .service)
        from = try c.decode(Deployment.self, forKey: .from)
        to = try c.decode(Deployment.self, forKey: .to)
        action = try c.decodeIfPresent(StepAction.self, forKey: .action) ?? .rollback
        timeoutMs = try c.decode(Int64.self, forKey: .timeoutMs)
        dependsOn = try c.decodeIfPresent([String].self, forKey: .dependsOn) ?? []
        after = try c.decodeIfPresent([String].self, forKey: .after) ?? []
        unlessImproved = try c.decodeIfPresent(String.self, forKey: .unlessImproved)
    }
}

/// An ordered rollback plan.
public struct Plan: Sendable, Equatable, Codable {
    public var strategy: Strategy
    public var steps: [PlanStep]
    /// Freeze deployments for this long when the plan starts (immediate strategy).
    public var freezeMs: Int64?
    /// The whole incident's deadline (immediate strategy): a step still waiting when it passes
    /// is skipped, and a running one has only what is left of it.
    public var deadlineMs: Int64?
    /// Verify rolled-back services (health checks, then validation phases). Off only for a
    /// forced manual rollback (`rewind rollback --force`), which the journal says.
    public var verify: Bool

    public init(strategy: Strategy, steps: [PlanStep], freeze: Duration?, deadline: Duration? = nil, verify: Bool = true) {
        self.strategy = strategy
        self.steps = steps
        self.freezeMs = freeze?.milliseconds
        self.deadlineMs = deadline?.milliseconds
        self.verify = verify
    }

    public var freeze: Duration? { freezeMs.map { .milliseconds($0) } }
    public var deadline: Duration? { deadlineMs.map { .milliseconds($0) } }

    enum CodingKeys: String, CodingKey { case strategy, steps, freezeMs, deadlineMs, verify }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        strategy = try c.decode(Strategy.self, forKey: .strategy)
        steps = try c.decode([PlanStep].self, forKey: .steps)
        freezeMs = try c.decodeIfPresent(Int64.self, forKey: .freezeMs)
        deadlineMs = try c.decodeIfPresent(Int64.self, forKey: .deadlineMs)
        verify = try c.decodeIfPresent(Bool.self, forKey: .verify) ?? true
    }
}

public enum Planner {
    /// Builds the plan for a rollback decision.
    ///
    /// Order: a service is rolled back before the services it depends on (if frontend depends on
    /// backend, frontend goes first, so that no live frontend calls a backend API that no longer
    /// exists). The rule is transitive through services that are not in the plan. Independent
    /// services have no edge between them and run at the same time.
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
    public static func plan(strategy: Strategy, choices: [RollbackChoice], policy: Policy, verify: Bool = true) -> Plan {
        let inPlan = Set(choices.map(\.service))
        let timings = policy.strategies
        var steps: [PlanStep] = []
        for choice in choices {
            let service = policy.service(choice.service)
            let name = choice.service
            let dependents = transitiveDependents(of: name, policy: policy).filter { inPlan.contains($0) }.sorted().map { "rollback-\($0)" }
            func step(_ prefix: String, _ action: StepAction, _ timeout: Duration, dependsOn: [String] = [], after: [String] = [],
                      unlessImproved: String? = nil) -> PlanStep {
                PlanStep(id: "\(prefix)-\(name)", service: name, from: choice.from, to: choice.to, action: action, timeout: timeout,
                         dependsOn: dependsOn, after: after, unlessImproved: unlessImproved)
            }
            let strategyTimeout: Duration = switch strategy {
            case .immediate: timings.immediateTimeout
            case .canary: timings.canaryRouteTimeout
            case .fast, .gradual: timings.fastTimeout
            }
            var lead: [PlanStep] = []
            var gate: String?
            var rollbackAfter: [String] = []
            switch strategy {
            case .gradual:
                let reduce = step("reduce-traffic", .reduceTraffic(by: timings.gradualReduction), timings.trafficTimeout)
                let watch = step("watch", .watch(durationMs: timings.gradualWatch.milliseconds), timings.gradualWatch + timings.trafficTimeout,
                                 dependsOn: [reduce.id])
                let stable = step("route-stable", .setTraffic(share: 0), timings.trafficTimeout, after: [watch.id], unlessImproved: watch.id)
                lead = [reduce, watch, stable]
                gate = watch.id
                rollbackAfter = [stable.id]
            case .canary:
                let stop = step("stop-canary", .setTraffic(share: 0), timings.trafficTimeout)
                let keep = step("keep-canary-data", .preserveCanaryData(windowMs: timings.canaryAnalysis.milliseconds), timings.trafficTimeout,
                                after: [stop.id])
                lead = [stop, keep]
                rollbackAfter = [stop.id]
            case .immediate, .fast:
                break
            }
            var rollback = step("rollback", .rollback, service?.rollbackTimeout ?? strategyTimeout, dependsOn: dependents,
                                after: rollbackAfter, unlessImproved: gate)
            var extra: [PlanStep] = []
            if let migration = service?.migration {
                let timeout = migration.timeout ?? MigrationSpec.defaultTimeout
                if migration.beforeApp {
                    let migrate = step("migrate", .migrate(irreversible: migration.irreversible), timeout, dependsOn: dependents,
                                       after: rollbackAfter, unlessImproved: gate)
                    rollback.dependsOn.append(migrate.id)
                    extra.append(migrate)
                } else {
                    extra.append(step("migrate", .migrate(irreversible: migration.irreversible), timeout, dependsOn: [rollback.id],
                                      unlessImproved: gate))
                }
            }
            if let flags = service?.flags {
                extra.append(step("flags", .disableFlags(flags.disable), flags.timeout, after: gate.map { [$0] } ?? [], unlessImproved: gate))
            }
            let afterApp = extra.filter { $0.dependsOn.contains(rollback.id) }
            steps += lead + extra.filter { !$0.dependsOn.contains(rollback.id) } + [rollback] + afterApp
        }
        let immediate = strategy == .immediate
        return Plan(strategy: strategy, steps: steps, freeze: immediate ? timings.immediateFreeze : nil,
                    deadline: immediate ? timings.immediateDeadline ?? longestChain(steps, policy: policy) : nil, verify: verify)
    }

    /// The time the steps need when each uses its whole timeout (a rollback with a fallback: twice,
    /// since the fallback gets its own): the longest chain through `dependsOn` and `after` edges
    /// (independent steps overlap).
    static func longestChain(_ steps: [PlanStep], policy: Policy) -> Duration {
        func budget(_ step: PlanStep) -> Duration {
            step.action == .rollback && policy.service(step.service)?.fallback != nil ? step.timeout * 2 : step.timeout
        }
        let byID = Dictionary(uniqueKeysWithValues: steps.map { ($0.id, $0) })
        var finish: [String: Duration] = [:]
        func end(_ step: PlanStep, depth: Int) -> Duration {
            if let known = finish[step.id] { return known }
            guard depth <= steps.count else { return budget(step) }  // a cycle cannot be planned; stop anyway
            let start = (step.dependsOn + step.after).compactMap { byID[$0] }.map { end($0, depth: depth + 1) }.max() ?? .zero
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
            for candidate in policy.services where candidate.dependsOn.contains(next) && !found.contains(candidate.name) {
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
