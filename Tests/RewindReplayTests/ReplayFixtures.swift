import RewindCore
import RewindReplay

/// A small world to replay: backend and worker, one critical check each, the guide's rules.
enum World {
    static let backend: ServiceName = "backend"
    static let worker: ServiceName = "worker"
    /// 2026-11-02T00:00:00Z.
    static let t0 = Timestamp(millisecondsSinceEpoch: 1_762_041_600_000)

    static func policy(bake: Duration = .seconds(600)) -> Policy {
        var policy = Policy(
            services: [
                ServicePolicy(name: backend, checks: [check(backend)]),
                ServicePolicy(name: worker, checks: [check(worker)]),
            ],
            bake: bake)
        policy.safety.cooldown = .seconds(1800)
        return policy
    }

    static func check(_ service: ServiceName) -> HealthCheckPolicy {
        HealthCheckPolicy(name: "health", url: "http://\(service)/health", severity: .critical)
    }

    static func at(_ seconds: Double) -> Timestamp { t0 + .milliseconds(Int64(seconds * 1000)) }

    static func deployment(_ service: ServiceName, _ version: String, at seconds: Double) -> ReplayDeployment {
        ReplayDeployment(service: service, id: "\(service)-\(version)", version: version, at: at(seconds))
    }

    /// Probes of `service` every `every` seconds over [from, to), failing (503) inside `down`.
    static func probes(
        _ service: ServiceName, from: Double, to: Double, every: Double = 1, down: [ClosedRange<Double>] = []
    ) -> [Observation] {
        stride(from: from, to: to, by: every).map { second in
            let failing = down.contains { $0.contains(second) }
            return Observation(
                service: service, check: "health", at: at(second),
                result: failing ? .failure(.status(503)) : .success(status: 200), latencyMs: 12)
        }
    }

    /// A failure run as the daemon probes it: the first failing probe, then re-checks every 100 ms while it fails.
    static func confirmedFailures(_ service: ServiceName, from: Double, lasting: Double) -> [Observation] {
        stride(from: from, through: from + lasting, by: 0.1).map {
            Observation(service: service, check: "health", at: at($0), result: .failure(.status(503)), latencyMs: 3)
        }
    }
}
