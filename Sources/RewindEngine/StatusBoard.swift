import RewindCore
import Synchronization

/// Health of one check, for `rewind status`.
public struct CheckStatus: Sendable, Equatable, Codable {
    public var service: ServiceName
    public var check: String
    public var severity: CheckSeverity
    public var lastResult: String?
    public var lastAt: Timestamp?
    public var consecutiveFailures: Int
    public var firing: Bool
}

/// The state of one metric signal, for `rewind status`.
public struct SignalStatus: Sendable, Equatable, Codable {
    public var service: ServiceName
    public var signal: String
    public var category: SignalCategory
    public var lastValue: String?
    public var lastAt: Timestamp?
    public var threshold: String
    public var baseline: String?
    public var violations: Int
    public var firing: Bool
    /// Why the last evaluation could not be judged, if it could not.
    public var inconclusive: String?
}

/// A monitoring source that stopped answering, for `rewind status`.
public struct MonitoringStatus: Sendable, Equatable, Codable {
    public var source: String
    public var failingSince: Timestamp?
    public var lastError: String?
    public var reported: Bool
}

/// What the engine shows while it runs, written by its tasks and read by anyone: the latest state
/// of every check and signal, the monitoring sources, and what the supervisor published after its
/// last event (live deployments, trigger generations, firing triggers).
///
/// Not a record: the store is. A restart starts the board empty.
final class StatusBoard: Sendable {
    private struct State {
        var checks: [String: CheckStatus] = [:]
        var signals: [String: SignalStatus] = [:]
        var signalStates: [String: MetricTriggerState] = [:]
        var tracking: [String: MonitoringHealth] = [:]
        var monitoring: [String: MonitoringHealth] = [:]
        var published = Published()
        var recent: [ServiceName: [Observation]] = [:]
    }

    /// What the supervisor published after its last event.
    struct Published: Sendable {
        var generations: [ServiceName: Int] = [:]
        var live: [ServiceName: Deployment] = [:]
        var firing: [ServiceName: Set<TriggerSource>] = [:]
        var nextRetryAt: Timestamp?
    }

    /// Observations kept per service for incident reports' charts.
    static let samplesKept = 2000

    private let state = Mutex(State())

    // MARK: Watchers

    func update(_ status: CheckStatus) {
        state.withLock { $0.checks["\(status.service)/\(status.check)"] = status }
    }

    func update(_ status: SignalStatus, state trigger: MetricTriggerState) {
        let key = "\(status.service)/\(status.signal)"
        state.withLock {
            $0.signals[key] = status
            $0.signalStates[key] = trigger
        }
    }

    /// Forgets the checks and signals a reloaded policy no longer has.
    func retain(_ policy: Policy) {
        let checks = Set(policy.services.flatMap { service in service.checks.map { "\(service.name)/\($0.name)" } })
        let signals = Set(policy.services.flatMap { service in service.signals.map { "\(service.name)/\($0.name)" } })
        state.withLock { state in
            state.checks = state.checks.filter { checks.contains($0.key) }
            state.signals = state.signals.filter { signals.contains($0.key) }
            state.signalStates = state.signalStates.filter { signals.contains($0.key) }
        }
    }

    var checks: [CheckStatus] {
        state.withLock { Array($0.checks.values) }.sorted { ($0.service, $0.check) < ($1.service, $1.check) }
    }

    var signals: [SignalStatus] {
        state.withLock { Array($0.signals.values) }.sorted { ($0.service, $0.signal) < ($1.service, $1.signal) }
    }

    /// The trigger state of a signal, for the validation phases (its baseline).
    func signalState(_ service: ServiceName, _ signal: String) -> MetricTriggerState? {
        state.withLock { $0.signalStates["\(service)/\(signal)"] }
    }

    // MARK: Monitoring sources

    /// A platform listing that fails (or answers again), shown among the monitoring sources.
    func trackingHealth(_ source: String, ok: Bool, at: Timestamp, detail: String) {
        state.withLock { state in
            var health = state.tracking[source] ?? MonitoringHealth(source: source, after: .zero)
            _ = health.observe(ok: ok, at: at, detail: detail)
            state.tracking[source] = health
        }
    }

    var monitoring: [MonitoringStatus] {
        state.withLock { state in
            state.monitoring.merging(state.tracking) { metric, _ in metric }.values.map {
                MonitoringStatus(
                    source: $0.source, failingSince: $0.failingSince, lastError: $0.lastError, reported: $0.isFailing)
            }
        }.sorted { $0.source < $1.source }
    }

    // MARK: The supervisor

    func publish(_ supervisor: Supervisor) {
        let published = Published(
            generations: supervisor.generations,
            live: Dictionary(
                uniqueKeysWithValues: supervisor.policy.services.compactMap { service in
                    supervisor.book.live(service.name).map { (service.name, $0) }
                }),
            firing: supervisor.firing, nextRetryAt: supervisor.nextRetryAt)
        state.withLock {
            $0.published = published
            $0.monitoring = supervisor.monitoring
        }
    }

    func generation(of service: ServiceName) -> Int {
        state.withLock { $0.published.generations[service, default: 0] }
    }

    func live(_ service: ServiceName) -> Deployment? {
        state.withLock { $0.published.live[service] }
    }

    func isFiring(_ service: ServiceName, _ source: TriggerSource) -> Bool {
        state.withLock { $0.published.firing[service]?.contains(source) ?? false }
    }

    var nextRetryAt: Timestamp? { state.withLock { $0.published.nextRetryAt } }

    // MARK: Samples for reports

    func remember(_ observation: Observation) {
        state.withLock { state in
            var list = state.recent[observation.service, default: []]
            list.append(observation)
            if list.count > Self.samplesKept { list.removeFirst(list.count - Self.samplesKept) }
            state.recent[observation.service] = list
        }
    }

    func observations(of services: Set<ServiceName>, from: Timestamp, to: Timestamp) -> [Observation] {
        state.withLock { state in
            services.flatMap { state.recent[$0] ?? [] }.filter { $0.at >= from && $0.at <= to }.sorted { $0.at < $1.at }
        }
    }
}
