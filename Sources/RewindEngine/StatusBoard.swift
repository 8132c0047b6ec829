import RewindCore
import RewindPorts
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
    /// The early warning raised on the live deployment, while it is suspect.
    public var earlyWarning: EarlyWarning? = nil
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
        /// The last hour of each check and signal, by `service/name`, for the dashboard's charts.
        var history: [String: RecentSeries] = [:]
        var historyRings: [String: RecentValues] = [:]
        var deploymentWaiters: [UInt64: DeploymentWaiter] = [:]
        var nextWaiterID: UInt64 = 0
    }

    /// A watcher parked until its service's next deployment goes live.
    private struct DeploymentWaiter {
        let service: ServiceName
        let generation: Int
        let continuation: CheckedContinuation<Void, Never>
    }

    /// What the supervisor published after its last event.
    struct Published: Sendable {
        var generations: [ServiceName: Int] = [:]
        var live: [ServiceName: Deployment] = [:]
        var liveSince: [ServiceName: Timestamp] = [:]
        /// Services Rewind knows more than one deployment of.
        var withHistory: Set<ServiceName> = []
        var firing: [ServiceName: Set<TriggerSource>] = [:]
        var nextRetryAt: Timestamp?
    }

    /// Observations kept per service for incident reports' charts.
    static let samplesKept = 2000

    private let state = Mutex(State())

    // MARK: Watchers

    /// A check's latest state, and its reading (`latencyMs`, whether it passed) in its recent history.
    func update(_ status: CheckStatus, latencyMs: Int64? = nil, passed: Bool? = nil) {
        let key = "\(status.service)/\(status.check)"
        state.withLock { state in
            state.checks[key] = status
            if let at = status.lastAt, let passed {
                Self.remember(
                    &state, key: key,
                    series: .init(service: status.service, kind: .check, name: status.check, points: []),
                    at: at, value: latencyMs.map(Double.init), ok: passed)
            }
        }
    }

    /// A signal's latest state, and its value (nil: no data or an error) in its recent history.
    func update(_ status: SignalStatus, state trigger: MetricTriggerState, value: Double? = nil) {
        let key = "\(status.service)/\(status.signal)"
        state.withLock { state in
            state.signals[key] = status
            state.signalStates[key] = trigger
            if let at = status.lastAt {
                Self.remember(
                    &state, key: key,
                    series: .init(service: status.service, kind: .signal, name: status.signal, points: []),
                    at: at, value: value, ok: status.violations == 0)
            }
        }
    }

    /// A canary signal's latest look (no trigger state: the canary judge has its own), and the canary's
    /// median in its recent history.
    func update(canary status: SignalStatus, value: Double?) {
        let key = "\(status.service)/\(status.signal)"
        state.withLock { state in
            state.signals[key] = status
            if let at = status.lastAt {
                Self.remember(
                    &state, key: key,
                    series: .init(service: status.service, kind: .signal, name: status.signal, points: []),
                    at: at, value: value, ok: status.violations == 0)
            }
        }
    }

    private static func remember(
        _ state: inout State, key: String, series: RecentSeries, at: Timestamp, value: Double?, ok: Bool
    ) {
        var ring = state.historyRings[key] ?? RecentValues()
        ring.add(at: at, value: value, ok: ok)
        state.historyRings[key] = ring
        var shown = state.history[key] ?? series
        shown.points = ring.points
        state.history[key] = shown
    }

    /// The last hour of every check and signal (``RecentValues``), by service then name.
    var recentValues: [RecentSeries] {
        state.withLock { Array($0.history.values) }.sorted {
            ($0.service, $0.kind.rawValue, $0.name) < ($1.service, $1.kind.rawValue, $1.name)
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
            state.history = state.history.filter {
                $0.value.kind == .check ? checks.contains($0.key) : signals.contains($0.key)
            }
            state.historyRings = state.historyRings.filter { state.history[$0.key] != nil }
        }
    }

    /// Forgets the checks and signals of `services` (`ha.shards`: a replica that stopped watching their shard
    /// shows them no more; their holder does).
    func forget(_ services: [ServiceName]) {
        let prefixes = services.map { "\($0)/" }
        let kept = { (key: String) in !prefixes.contains { key.hasPrefix($0) } }
        state.withLock { state in
            state.checks = state.checks.filter { kept($0.key) }
            state.signals = state.signals.filter { kept($0.key) }
            state.signalStates = state.signalStates.filter { kept($0.key) }
            state.history = state.history.filter { kept($0.key) }
            state.historyRings = state.historyRings.filter { kept($0.key) }
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
            liveSince: Dictionary(
                uniqueKeysWithValues: supervisor.policy.services.compactMap { service in
                    supervisor.book.liveSince(service.name).map { (service.name, $0) }
                }),
            withHistory: Set(
                supervisor.policy.services.map(\.name).filter { supervisor.book.deploymentCount(of: $0) > 1 }),
            firing: supervisor.firing, nextRetryAt: supervisor.nextRetryAt)
        install(published, monitoring: supervisor.monitoring)
    }

    /// The live deployments a shard's holder read from the state (`ha.shards`: only the coordinator runs the
    /// supervisor), published for its watchers as the supervisor publishes them, with the generations
    /// ``LiveGenerations`` counted.
    func publish(live rows: [ServiceName: LiveDeploymentRow], generations: [ServiceName: Int]) {
        install(
            Published(
                generations: generations, live: rows.mapValues(\.deployment),
                liveSince: rows.compactMapValues(\.liveSince),
                withHistory: Set(rows.filter(\.value.replacedAnother).keys)),
            monitoring: nil)
    }

    private func install(_ published: Published, monitoring: [String: MonitoringHealth]?) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.published = published
            if let monitoring { state.monitoring = monitoring }
            let due = state.deploymentWaiters.filter {
                published.generations[$0.value.service, default: 0] != $0.value.generation
            }
            due.keys.forEach { state.deploymentWaiters[$0] = nil }
            return due.values.map(\.continuation)
        }
        woken.forEach { $0.resume() }
    }

    /// Returns once a deployment of `service` newer than trigger generation `generation` is live,
    /// or when the task is cancelled.
    func nextDeployment(of service: ServiceName, after generation: Int) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = state.withLock { state -> Bool in
                    guard state.published.generations[service, default: 0] == generation, !Task.isCancelled else {
                        return false
                    }
                    state.deploymentWaiters[id] = DeploymentWaiter(
                        service: service, generation: generation, continuation: continuation)
                    return true
                }
                if !parked { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.deploymentWaiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }

    func generation(of service: ServiceName) -> Int {
        state.withLock { $0.published.generations[service, default: 0] }
    }

    func live(_ service: ServiceName) -> Deployment? {
        state.withLock { $0.published.live[service] }
    }

    /// The service's live deployment as the probe schedule sees it: its trust and when it went live.
    func liveForSchedule(_ service: ServiceName) -> ProbeSchedule.LiveDeployment? {
        state.withLock { state in
            state.published.live[service].map {
                ProbeSchedule.LiveDeployment(
                    $0, liveSince: state.published.liveSince[service],
                    replacedAnother: state.published.withHistory.contains(service))
            }
        }
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
