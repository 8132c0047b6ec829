/// One watched service, as decisions see it.
///
/// How Rewind reaches the service's platform, traffic, flags and database (vendors, URLs,
/// credentials) is not part of the policy: those specs travel beside it (RewindSpecs'
/// `PlatformSpecs`), and only what a plan needs is here.
public struct ServicePolicy: Sendable, Equatable {
    public var name: ServiceName
    /// Services this one calls. A service is rolled back before the services it depends on,
    /// so that no live version calls an API its dependency no longer has.
    public var dependsOn: [ServiceName]
    public var checks: [HealthCheckPolicy]
    /// A fallback provider (`fallback:`) takes over when the rollback fails for good: a rollback
    /// step then needs its timeout twice, and the immediate strategy's deadline makes room for it.
    public var hasFallback: Bool
    /// Overrides the strategy's per-service timeout.
    public var rollbackTimeout: Duration?
    /// Picks the guide's latency thresholds (frontend, backend, api, worker).
    public var serviceClass: ServiceClass
    /// Metric signals: performance, throughput, business, infrastructure and security triggers.
    public var signals: [MetricSignalPolicy]
    /// Signals with `judge:`: the canary judge compares the canary's values with stable's.
    public var canarySignals: [CanarySignalPolicy] = []
    /// The canary score's pass and marginal thresholds (Kayenta's 95 and 75).
    public var canaryScore = CanaryScoreThresholds()
    /// `traffic:` is configured: Rewind is meant to move this service's traffic between its stable
    /// and new version (gradual and canary strategies). Whether a controller could be built for it
    /// is the runtime's to say (``ServiceSnapshot/hasTrafficControl``).
    public var hasTrafficControl: Bool
    /// A CDN cache in front of the service is purged after its rollback (`traffic.purge`).
    public var purgesCache: Bool = false
    /// The kill switch (`flags:`): flags turned off whenever this service is rolled back.
    public var flags: FlagsStep?
    /// The down-migration (`migration:`) run with this service's rollback, before or after the application.
    public var migration: MigrationStep?
    /// How new deployments reach users: all at once, or as a canary beside stable.
    public var rollout: Rollout
    /// `shard:`: the shard that watches this service when replicas share the watching (`ha.shards`), instead
    /// of the one its name hashes to (``ShardAssignment``). Nil: the hash decides.
    public var shard: Int?

    public init(
        name: ServiceName, dependsOn: [ServiceName] = [], checks: [HealthCheckPolicy] = [], hasFallback: Bool = false,
        rollbackTimeout: Duration? = nil, serviceClass: ServiceClass = .backend, signals: [MetricSignalPolicy] = [],
        hasTrafficControl: Bool = false, flags: FlagsStep? = nil, migration: MigrationStep? = nil,
        rollout: Rollout = .standard
    ) {
        self.hasTrafficControl = hasTrafficControl
        self.flags = flags
        self.migration = migration
        self.rollout = rollout
        self.serviceClass = serviceClass
        self.signals = signals
        self.name = name
        self.dependsOn = dependsOn
        self.checks = checks
        self.hasFallback = hasFallback
        self.rollbackTimeout = rollbackTimeout
    }
}

/// How a service's new deployments reach users (`rollout:` in a service).
public enum Rollout: String, Sendable, Equatable, CaseIterable {
    /// A new deployment takes all traffic at once.
    case standard
    /// A new deployment runs as a canary beside stable, behind `traffic:`: a performance or
    /// business regression takes the canary strategy (stop the canary, route all traffic to stable).
    case canary
}
