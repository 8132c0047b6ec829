import RewindCore
import RewindReplay

/// A week of synthetic history, in memory: 5 services, each with a critical health check probed every second
/// and 4 metric signals at the guide's default intervals (latency P95, error rate and CPU every 30 s, conversion
/// every 15 min: 20 signals), and a deployment every 12 hours. Every 4th deployment of a service goes hard down
/// for 30 s two minutes after going live; every 5th is slow (P95 2.5 s) for 10 minutes. They are labelled bad.
struct ReplayWorkload: Sendable {
    static let services: [ServiceName] = ["web", "api", "worker", "billing", "search"]
    static let week = Duration.seconds(7 * 86_400)
    /// 2026-11-01T00:00:00Z.
    static let from = Timestamp(millisecondsSinceEpoch: 1_761_955_200_000)
    static var to: Timestamp { from + week }

    let policy: Policy
    let history: ReplayHistory
    let labels: [DeploymentLabel]

    init() {
        var services: [ServicePolicy] = []
        for name in Self.services {
            let signals: [MetricSignalPolicy] = [
                (Measure.latencyP95, "p95"), (.errorRate, "errors"), (.cpuUsage, "cpu"),
                (.conversionRate, "conversion"),
            ].map { measure, query in
                MetricSignalPolicy.guideDefaults(
                    name: measure.rawValue, measure: measure,
                    source: .prometheus(query: "\(query){service=\"{{service}}\"}"), serviceClass: .backend)!
            }
            services.append(
                ServicePolicy(
                    name: name,
                    checks: [HealthCheckPolicy(name: "health", url: "http://\(name)/health", severity: .critical)],
                    signals: signals))
        }
        policy = Policy(services: services)

        var deployments: [ReplayDeployment] = []
        var labels: [DeploymentLabel] = []
        var down: [ServiceName: [Range<Int64>]] = [:]
        var slow: [ServiceName: [Range<Int64>]] = [:]
        let start = Self.from.millisecondsSinceEpoch
        for (index, service) in Self.services.enumerated() {
            // One deployment a day before the week (it bakes), then one every 12 hours, staggered by service.
            for number in 0...14 {
                let at = start - 86_400_000 + Int64(number) * 43_200_000 + Int64(index) * 600_000
                let id = "\(service)-\(number)"
                deployments.append(
                    ReplayDeployment(
                        service: service, id: id, version: "v\(number)", at: Timestamp(millisecondsSinceEpoch: at)))
                let isDown = number > 0 && number % 4 == 0
                let isSlow = number > 0 && number % 5 == 0
                if isDown { down[service, default: []].append((at + 120_000)..<(at + 150_000)) }
                if isSlow { slow[service, default: []].append((at + 60_000)..<(at + 660_000)) }
                if number > 2 {
                    let fault = isDown ? at + 120_000 : (isSlow ? at + 60_000 : nil)
                    labels.append(
                        DeploymentLabel(
                            service: service, deployment: id, bad: isDown || isSlow,
                            faultAt: fault.map { Timestamp(millisecondsSinceEpoch: $0) }))
                }
            }
        }
        self.labels = labels

        var probes: [Observation] = []
        probes.reserveCapacity(5 * 604_800)
        var evaluations: [MetricEvaluation] = []
        let end = Self.to.millisecondsSinceEpoch
        for service in Self.services {
            let downs = down[service] ?? []
            var millisecond = start
            while millisecond < end {
                let failing = downs.contains { $0.contains(millisecond) }
                probes.append(
                    Observation(
                        service: service, check: "health", at: Timestamp(millisecondsSinceEpoch: millisecond),
                        result: failing ? .failure(.status(503)) : .success(status: 200), latencyMs: 12))
                millisecond += 1000
            }
            let slows = slow[service] ?? []
            for signal in policy.service(service)!.signals {
                guard case .prometheus(let query) = signal.source else { continue }
                var at = start + signal.interval.milliseconds
                var step = 0
                while at < end {
                    let value: Double =
                        switch signal.measure {
                        case .latencyP95: slows.contains { $0.contains(at) } ? 2.5 : 0.2 + Double(step % 7) * 0.01
                        case .errorRate: 0.01
                        case .cpuUsage: 0.5
                        default: 0.03 + Double(step % 3) * 0.001
                        }
                    evaluations.append(
                        MetricEvaluation(
                            service: service, signal: signal.name, at: Timestamp(millisecondsSinceEpoch: at),
                            outcome: .value(value, samples: 1), query: query))
                    at += signal.interval.milliseconds
                    step += 1
                }
            }
        }
        history = ReplayHistory(deployments: deployments, probes: probes, evaluations: evaluations)
    }

    /// The 27 policies of a 3 × 3 × 3 sweep: critical failures, their minimum duration, and the P95 signals'
    /// consecutive count.
    func sweep() -> [(settings: [String], policy: Policy)] {
        var candidates: [(settings: [String], policy: Policy)] = []
        for failures in [2, 3, 5] {
            for minimum in [0, 2, 5] {
                for consecutive in [1, 2, 3] {
                    var policy = policy
                    policy.health.critical.count = failures
                    policy.health.critical.minDuration = .seconds(minimum)
                    for index in policy.services.indices {
                        for signal in policy.services[index].signals.indices
                        where policy.services[index].signals[signal].measure == .latencyP95 {
                            policy.services[index].signals[signal].consecutive = consecutive
                        }
                    }
                    candidates.append(
                        (
                            [
                                "health.critical.failures=\(failures)", "health.critical.min_duration=\(minimum)s",
                                "signals.*.latency_p95.consecutive=\(consecutive)",
                            ], policy
                        ))
                }
            }
        }
        return candidates
    }
}
