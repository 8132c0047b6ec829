import RewindCore
import RewindPorts

extension ReplayHistory {
    /// Gathers what replay feeds the core: the deployments, the recorded probes (nil: none were given) and the
    /// metric evaluations — `prometheus:` signals from `prometheus` (nil: no Prometheus), `probe:` signals from
    /// the probes, `pushed:` signals from the values the daemon `received` (``PushedValueHistory``) — the canary
    /// judge's cohorts from `prometheus`, and the alerts the daemon received. `received`: what the state database
    /// kept (nil: it was not read). Signals whose values are not recorded anywhere (`command:`) are listed in
    /// ``notReplayed`` with why, and so are signals whose source was not given.
    public static func assemble(
        policy: Policy, deployments: [ReplayDeployment], probes: [Observation]?, prometheus: SignalHistory?,
        received: ReceivedEvents? = nil, from: Timestamp, to: Timestamp
    ) async throws -> ReplayHistory {
        var notReplayed: [String] = []
        for service in policy.services {
            for signal in service.signals {
                let name = "\(service.name)/\(signal.name)"
                switch signal.source {
                case .prometheus where prometheus == nil:
                    notReplayed.append(
                        "\(name): no Prometheus to fetch it from (--prometheus or monitoring.prometheus)")
                case .probeLatency where probes == nil:
                    notReplayed.append("\(name): probe latencies need the recorded probes (--probes)")
                case .pushed where received == nil:
                    notReplayed.append(
                        "\(name): pushed values are read from the state database, which replay reads without --deployments"
                    )
                case .command:
                    notReplayed.append("\(name): command probes cannot be run in the past")
                case .prometheus, .probeLatency, .pushed:
                    break
                }
            }
        }
        if prometheus == nil {
            for service in policy.services {
                for signal in service.canarySignals {
                    notReplayed.append(
                        "\(service.name)/\(signal.name): no Prometheus to fetch its cohorts from "
                            + "(--prometheus or monitoring.prometheus)")
                }
            }
        }
        if probes == nil, policy.services.contains(where: { !$0.checks.isEmpty }) {
            notReplayed.append("health checks: no probe record given (--probes)")
        }
        let sorted = (probes ?? []).sortedStably(by: \.at)
        var evaluations = ProbeLatencyHistory.evaluations(policy: policy, probes: sorted, from: from, to: to)
        if let received {
            evaluations += PushedValueHistory.evaluations(policy: policy, values: received.values, from: from, to: to)
        }
        var baselines: [BaselineKey: BaselineSample] = [:]
        var cohorts = CohortHistory()
        if let prometheus {
            cohorts = try await prometheus.cohorts(policy: policy, from: from, to: to)
            evaluations += try await prometheus.evaluations(policy: policy, from: from, to: to)
            baselines = await prometheus.earlyWarningBaselines(
                policy: policy, deployments: deployments.filter { $0.at >= from && $0.at < to })
        }
        return ReplayHistory(
            deployments: deployments, probes: sorted, evaluations: evaluations, notReplayed: notReplayed,
            baselines: baselines, cohorts: cohorts, alerts: received?.alerts ?? [])
    }
}
