/// One step of a rollback plan: roll one service back to one deployment.
public struct PlanStep: Sendable, Equatable, Codable, Identifiable {
    public var id: String
    public var service: ServiceName
    public var from: Deployment
    public var to: Deployment
    /// How long the step may take, fallback included.
    public var timeoutMs: Int64
    /// Steps that must have finished (in any outcome) first.
    public var dependsOn: [String]

    public init(id: String, service: ServiceName, from: Deployment, to: Deployment, timeout: Duration, dependsOn: [String]) {
        self.id = id
        self.service = service
        self.from = from
        self.to = to
        self.timeoutMs = timeout.milliseconds
        self.dependsOn = dependsOn
    }

    public var timeout: Duration { .milliseconds(timeoutMs) }
}

/// An ordered rollback plan.
public struct Plan: Sendable, Equatable, Codable {
    public var strategy: Strategy
    public var steps: [PlanStep]
    /// Freeze deployments for this long when the plan starts (immediate strategy).
    public var freezeMs: Int64?

    public init(strategy: Strategy, steps: [PlanStep], freeze: Duration?) {
        self.strategy = strategy
        self.steps = steps
        self.freezeMs = freeze?.milliseconds
    }

    public var freeze: Duration? { freezeMs.map { .milliseconds($0) } }
}

public enum Planner {
    /// Builds the plan for a rollback decision.
    ///
    /// Order: a service is rolled back before the services it depends on (if frontend depends on
    /// backend, frontend goes first, so that no live frontend calls a backend API that no longer
    /// exists). The rule is transitive through services that are not in the plan. Independent
    /// services have no edge between them and run at the same time.
    public static func plan(strategy: Strategy, choices: [RollbackChoice], policy: Policy) -> Plan {
        let inPlan = Set(choices.map(\.service))
        let steps = choices.map { choice -> PlanStep in
            let service = policy.service(choice.service)
            let strategyTimeout = strategy == .immediate ? policy.strategies.immediateTimeout : policy.strategies.fastTimeout
            let dependents = transitiveDependents(of: choice.service, policy: policy).filter { inPlan.contains($0) }
            return PlanStep(
                id: "rollback-\(choice.service)",
                service: choice.service,
                from: choice.from,
                to: choice.to,
                timeout: service?.rollbackTimeout ?? strategyTimeout,
                dependsOn: dependents.sorted().map { "rollback-\($0)" })
        }
        return Plan(strategy: strategy, steps: steps, freeze: strategy == .immediate ? policy.strategies.immediateFreeze : nil)
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
