import RewindCore

/// Shared, explicit instants and builders for the RewindCore tests. Nothing here reads a clock.
enum Fixture {
    /// 2026-09-21T14:13:20.000Z: the instant every test measures from.
    static let base = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)

    /// `base` plus a number of seconds (negative for earlier).
    static func t(_ seconds: Int64) -> Timestamp { base + .seconds(seconds) }

    /// `base` plus a number of minutes (negative for earlier).
    static func minutes(_ minutes: Int64) -> Timestamp { base + .seconds(minutes * 60) }

    static func deployment(
        _ service: ServiceName, _ version: String, at deployedAt: Timestamp, _ trust: DeploymentTrust
    ) -> Deployment {
        Deployment(
            service: service, id: "\(service)-\(version)", version: version, deployedAt: deployedAt, trust: trust,
            knownGoodAt: trust == .knownGood ? deployedAt + .seconds(1800) : nil)
    }

    /// A service whose history is `versions`, oldest first, one hour apart, the last one live and
    /// deployed 30 minutes before `base`.
    static func snapshot(
        _ name: ServiceName, _ versions: [(String, DeploymentTrust)], rollbacks: [Timestamp] = [],
        inIncident: Bool = false
    ) -> ServiceSnapshot {
        let count = Int64(versions.count)
        let deployments = versions.enumerated().map { index, entry in
            deployment(name, entry.0, at: minutes(-30 - 60 * (count - 1 - Int64(index))), entry.1)
        }
        return ServiceSnapshot(
            name: name, current: deployments.last, deployments: deployments, automaticRollbacks: rollbacks,
            inIncident: inIncident)
    }

    static func violation(_ service: ServiceName, _ trigger: TriggerKind, at: Timestamp = base) -> Violation {
        Violation(
            service: service, trigger: trigger, severity: trigger == .healthCritical ? .critical : .high, at: at,
            rule: "health: 3 consecutive within 2m", evidence: [])
    }

    static func observation(
        _ seconds: Int64, _ result: CheckResult, service: ServiceName = "backend", check: String = "health",
        latencyMs: Int64 = 0
    ) -> Observation {
        Observation(service: service, check: check, at: t(seconds), result: result, latencyMs: latencyMs)
    }

    static let ok = CheckResult.success(status: 200)
    static let down = CheckResult.failure(.status(503))

    /// One plan step that rolls `service` from v2 back to v1.
    static func step(_ service: ServiceName, after: [ServiceName] = [], timeout: Duration = .seconds(30)) -> PlanStep {
        PlanStep(
            id: "rollback-\(service)", service: service,
            from: deployment(service, "v2", at: minutes(-30), .bad),
            to: deployment(service, "v1", at: minutes(-90), .knownGood),
            timeout: timeout, dependsOn: after.map { "rollback-\($0)" })
    }
}
