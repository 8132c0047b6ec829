import RewindCore
import RewindPorts
import Synchronization

/// A metric source that behaves like the platform it watches: each signal's value depends on which
/// deployment of the service is live in the ``FakeWorld`` (a slow v2 has a high P95; rolling back
/// to v1 brings it down). The source itself can go down, as a Prometheus outage would.
final class FakeMetrics: MetricSource {
    private struct State {
        /// (service/signal, deployment id) → value; a missing entry is "no data".
        var values: [String: [String: Double]] = [:]
        var down: String?
        var evaluations = 0
        var pushed: [PushedValue] = []
    }

    private let world: FakeWorld
    private let state = Mutex(State())

    init(world: FakeWorld) {
        self.world = world
    }

    /// `signal` of `service` reads `value` while `deploymentID` is live.
    func set(_ service: ServiceName, _ signal: String, whileLive deploymentID: String, _ value: Double) {
        state.withLock { $0.values["\(service)/\(signal)", default: [:]][deploymentID] = value }
    }

    /// Every query fails with `reason` (nil: the source answers again).
    func setDown(_ reason: String?) {
        state.withLock { $0.down = reason }
    }

    var evaluations: Int { state.withLock { $0.evaluations } }
    var pushed: [PushedValue] { state.withLock { $0.pushed } }

    /// Traffic split between a stable and a new deployment: while the new one is live, a signal
    /// reads the blend of both values by the new version's share, as a request-weighted metric would.
    struct Split: Sendable {
        var traffic: FakeTraffic
        var stable: String
    }

    private let splits = Mutex<[ServiceName: Split]>([:])

    func split(_ service: ServiceName, _ split: Split) {
        splits.withLock { $0[service] = split }
    }

    func evaluate(_ signal: MetricSignalPolicy, service: ServiceName, at now: Timestamp) async -> MetricEvaluation {
        let live = world.live(service)
        let split = splits.withLock { $0[service] }
        let share = split?.traffic.share ?? 1
        let outcome: MetricEvaluation.Outcome = state.withLock { state in
            state.evaluations += 1
            if let down = state.down { return .error(down) }
            let values = state.values["\(service)/\(signal.name)"] ?? [:]
            guard let live, let value = values[live] else { return .noData("empty result") }
            if let split, split.stable != live, let stable = values[split.stable] {
                return .value(share * value + (1 - share) * stable, samples: 10)
            }
            return .value(value, samples: 10)
        }
        return MetricEvaluation(
            service: service, signal: signal.name, at: now, outcome: outcome, query: signal.source.summary)
    }

    func recordProbe(_ observation: Observation) {}

    func recordPushed(_ metric: PushedValue) {
        state.withLock { $0.pushed.append(metric) }
    }

    func monitoringSource(of signal: MetricSignalPolicy) -> String? {
        if case .prometheus = signal.source { return "prometheus" }
        return nil
    }
}

extension Fixture {
    /// A signal evaluated every 10 s over a 1-minute window: 2 violations fire, 20 s of health recovers.
    static func signal(
        _ measure: Measure, name: String? = nil, serviceClass: ServiceClass = .backend
    ) -> MetricSignalPolicy {
        var signal = MetricSignalPolicy.guideDefaults(
            name: name ?? measure.rawValue, measure: measure,
            source: .prometheus(query: "\(measure.rawValue){service=\"{{service}}\"}"), serviceClass: serviceClass)!
        signal.interval = .seconds(10)
        signal.window = .seconds(60)
        signal.recovery = .seconds(20)
        signal.consecutive = measure.category == .security ? 1 : (measure.category == .business ? 3 : 2)
        return signal
    }

    /// backend with a health check and `signals`; verification phases of `phase` each.
    static func metricPolicy(
        _ signals: [MetricSignalPolicy], phase: Duration = .seconds(30), failureAfter: Duration = .seconds(60)
    )
        -> Policy
    {
        var policy = Fixture.policy()
        policy.services[0].signals = signals
        policy.verification.performance.duration = phase
        policy.verification.business.duration = phase
        policy.monitoring.failureAfter = failureAfter
        return policy
    }
}
