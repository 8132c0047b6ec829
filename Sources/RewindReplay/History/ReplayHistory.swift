import RewindCore
import RewindPorts

/// A deployment as replay reads it: when it went live, from the state database or `--deployments`.
public struct ReplayDeployment: Sendable, Equatable {
    public var service: ServiceName
    public var id: String
    public var version: String
    /// When it went live.
    public var at: Timestamp
    /// For a canary rollout: the share of traffic the canary took (0 < share ≤ 1), and its track.
    public var canaryShare: Double?
    public var track: String?

    public init(
        service: ServiceName, id: String, version: String, at: Timestamp, canaryShare: Double? = nil,
        track: String? = nil
    ) {
        self.service = service
        self.id = id
        self.version = version
        self.at = at
        self.canaryShare = canaryShare
        self.track = track
    }
}

/// Everything replay feeds the decision core, each list in time order: the deployments that went live, the
/// recorded health probes, the metric evaluations (one per signal and evaluation interval), the canary judge's
/// cohorts, and the alerts the daemon received (by the time it received them).
///
/// The data is fetched once; a sweep replays the same history under every policy it tries.
public struct ReplayHistory: Sendable {
    public private(set) var deployments: [ReplayDeployment]
    public private(set) var probes: [Observation]
    public private(set) var evaluations: [MetricEvaluation]
    /// The Alertmanager alerts and pushed security events the daemon received (``ReceivedEventLog``).
    public private(set) var alerts: [ReceivedAlert]
    /// Signals of the policy replay could not evaluate (their source is not recorded anywhere), with why.
    public var notReplayed: [String]
    /// The early-warning baseline of each signal for each deployment (``BaselineKey``), fetched as the daemon
    /// fetches it when the deployment goes live; a signal without one has no baseline and does not warn.
    public var baselines: [BaselineKey: BaselineSample]
    /// The canary judge's cohorts (``CohortHistory``), fetched as the daemon's looks read them.
    public var cohorts: CohortHistory

    /// A signal of a service, for one deployment of it.
    public struct BaselineKey: Sendable, Hashable {
        public var service: ServiceName
        public var signal: String
        public var deploymentID: String

        public init(service: ServiceName, signal: String, deploymentID: String) {
            self.service = service
            self.signal = signal
            self.deploymentID = deploymentID
        }
    }

    public init(
        deployments: [ReplayDeployment], probes: [Observation], evaluations: [MetricEvaluation],
        notReplayed: [String] = [], baselines: [BaselineKey: BaselineSample] = [:],
        cohorts: CohortHistory = CohortHistory(), alerts: [ReceivedAlert] = []
    ) {
        self.baselines = baselines
        self.cohorts = cohorts
        // Stable sorts: equal times keep the order they were recorded in.
        self.deployments = deployments.sortedStably(by: \.at)
        self.probes = probes.sortedStably(by: \.at)
        self.evaluations = evaluations.sortedStably(by: \.at)
        self.alerts = alerts.sortedStably(by: \.receivedAt)
        self.notReplayed = notReplayed
    }
}

extension Array {
    /// Sorted by `at`, equal times in their original order; an array already in order is returned as it is.
    func sortedStably(by at: (Element) -> Timestamp) -> [Element] {
        if zip(self, dropFirst()).allSatisfy({ at($0) <= at($1) }) { return self }
        return enumerated().sorted { (at($0.element), $0.offset) < (at($1.element), $1.offset) }.map(\.element)
    }
}
