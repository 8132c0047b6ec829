/// The whole typed policy: what RewindConfig produces from `rewind.yaml` and what every
/// decision reads. Its defaults are the rollback guide's numbers and live in one place,
/// ``Defaults``.
public struct Policy: Sendable, Equatable {
    public var mode: Mode
    public var services: [ServicePolicy]
    public var health: HealthRules
    public var strategies: StrategyTimings
    public var verification: VerificationPolicy
    public var safety: SafetyLimits
    public var retry: RetryPolicy
    /// How long a deployment must run with no trigger firing before it becomes known good.
    public var bake: Duration
    /// Channels, and which events and audiences reach which channels.
    public var notifications: NotificationPolicy
    /// The guide's immediate and delayed escalation.
    public var escalation: EscalationPolicy
    /// Where metric signals and alerts come from (Prometheus, Alertmanager, pushed events).
    public var monitoring: MonitoringPolicy
    /// How often each provider's deployment listing is polled (`tracking.interval`).
    public var trackingInterval: Duration = Defaults.trackingInterval

    public init(
        mode: Mode = .enforce, services: [ServicePolicy] = [], health: HealthRules = .init(),
        strategies: StrategyTimings = .init(), verification: VerificationPolicy = .init(),
        safety: SafetyLimits = .init(), retry: RetryPolicy = .init(), bake: Duration = Defaults.bake,
        notifications: NotificationPolicy = .init(), escalation: EscalationPolicy = .init(),
        monitoring: MonitoringPolicy = .init()
    ) {
        self.monitoring = monitoring
        self.notifications = notifications
        self.escalation = escalation
        self.mode = mode
        self.services = services
        self.health = health
        self.strategies = strategies
        self.verification = verification
        self.safety = safety
        self.retry = retry
        self.bake = bake
    }

    public func service(_ name: ServiceName) -> ServicePolicy? {
        services.first { $0.name == name }
    }
}

/// The guide's numbers. Every default Rewind ships is here, and `rewind init` writes them out.
public enum Defaults {
    /// Critical health: 3 consecutive failures within 2 minutes.
    public static let criticalHealth = ConsecutiveRule(count: 3, within: .seconds(120))
    /// Non-critical health: 5 consecutive failures within 5 minutes.
    public static let nonCriticalHealth = ConsecutiveRule(count: 5, within: .seconds(300))
    /// Recovery: 2 successful checks within 5 minutes.
    public static let recovery = ConsecutiveRule(count: 2, within: .seconds(300))
    /// How often a health check runs while it passes.
    public static let checkInterval = Duration.seconds(10)
    /// How long one check may take before it counts as a failure.
    public static let checkTimeout = Duration.seconds(5)
    /// How soon to look again after a failure, to confirm it (see ``ProbeSchedule``).
    public static let confirmInterval = Duration.milliseconds(100)
    /// Immediate strategy: 30 s per service, deployments frozen for 1 hour.
    public static let immediateTimeout = Duration.seconds(30)
    public static let immediateFreeze = Duration.seconds(3600)
    /// Fast strategy: 2 minutes for the affected service.
    public static let fastTimeout = Duration.seconds(120)
    /// Gradual strategy: cut the new version's traffic by 50 %, watch 10 minutes, roll back if
    /// nothing improves.
    public static let gradualReduction = 0.5
    public static let gradualWatch = Duration.seconds(600)
    /// Canary strategy: stop the canary (1 minute), route traffic to stable (2 minutes), analyze
    /// the canary's data (30 minutes).
    public static let trafficTimeout = Duration.seconds(60)
    public static let canaryRouteTimeout = Duration.seconds(120)
    public static let canaryAnalysis = Duration.seconds(1800)
    /// Verification: every 30 s, 10 s timeout, up to 3 attempts, failed on 2 consecutive failures.
    public static let verificationInterval = Duration.seconds(30)
    public static let verificationTimeout = Duration.seconds(10)
    public static let verificationAttempts = 3
    public static let verificationFailureThreshold = 2
    /// A deployment is known good after 1 hour with no trigger firing.
    public static let bake = Duration.seconds(3600)
    /// After a rollback, a service is in cooldown: a second automatic rollback escalates instead.
    public static let cooldown = Duration.seconds(900)
    /// At most this many automatic rollbacks per service per hour.
    public static let maxAutomaticRollbacksPerHour = 3
    /// Transient failures of a platform call are retried this many times, with jittered backoff.
    public static let retryAttempts = 3
    public static let retryBaseDelay = Duration.milliseconds(500)
    public static let retryMaxDelay = Duration.seconds(5)
    /// Deployments are learnt from each provider's listing this often (incrementally where the
    /// API allows). Railway's free plan allows 100 requests an hour: a poll costs about two.
    public static let trackingInterval = Duration.seconds(60)
    /// The API listens here unless `server.listen` says otherwise.
    public static let listenHost = "127.0.0.1"
    public static let listenPort = 8786
}

/// "N consecutive results within a window": the shape of every health rule in the guide.
public struct ConsecutiveRule: Sendable, Equatable, Codable {
    public var count: Int
    public var within: Duration

    public init(count: Int, within: Duration) {
        self.count = count
        self.within = within
    }

    public var summary: String { "\(count) consecutive within \(within.rewindDescription)" }

    enum CodingKeys: String, CodingKey { case count, withinMs = "within_ms" }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decode(Int.self, forKey: .count)
        within = .milliseconds(try c.decode(Int64.self, forKey: .withinMs))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(within.milliseconds, forKey: .withinMs)
    }
}

public struct HealthRules: Sendable, Equatable {
    public var critical: ConsecutiveRule
    public var nonCritical: ConsecutiveRule
    public var recovery: ConsecutiveRule

    public init(
        critical: ConsecutiveRule = Defaults.criticalHealth, nonCritical: ConsecutiveRule = Defaults.nonCriticalHealth,
        recovery: ConsecutiveRule = Defaults.recovery
    ) {
        self.critical = critical
        self.nonCritical = nonCritical
        self.recovery = recovery
    }

    public func failureRule(for severity: CheckSeverity) -> ConsecutiveRule {
        severity == .critical ? critical : nonCritical
    }
}

public struct StrategyTimings: Sendable, Equatable {
    public var immediateTimeout: Duration
    public var immediateFreeze: Duration
    /// The immediate incident's total deadline over all its steps. Nil: the longest chain of step
    /// timeouts in the plan (frontend → backend → worker at the guide's 30 s each: 90 s).
    public var immediateDeadline: Duration?
    public var fastTimeout: Duration
    /// The fraction of the new version's traffic the gradual strategy takes away (0 < x ≤ 1).
    public var gradualReduction: Double
    /// How long the gradual strategy watches for improvement before rolling back.
    public var gradualWatch: Duration
    /// How long one traffic move may take (the canary's "stop", the gradual cut).
    public var trafficTimeout: Duration
    /// The canary's "route traffic to stable": its platform rollback.
    public var canaryRouteTimeout: Duration
    /// When the canary's data must have been analyzed.
    public var canaryAnalysis: Duration

    public init(
        immediateTimeout: Duration = Defaults.immediateTimeout, immediateFreeze: Duration = Defaults.immediateFreeze,
        immediateDeadline: Duration? = nil, fastTimeout: Duration = Defaults.fastTimeout,
        gradualReduction: Double = Defaults.gradualReduction, gradualWatch: Duration = Defaults.gradualWatch,
        trafficTimeout: Duration = Defaults.trafficTimeout, canaryRouteTimeout: Duration = Defaults.canaryRouteTimeout,
        canaryAnalysis: Duration = Defaults.canaryAnalysis
    ) {
        self.immediateTimeout = immediateTimeout
        self.immediateFreeze = immediateFreeze
        self.immediateDeadline = immediateDeadline
        self.fastTimeout = fastTimeout
        self.gradualReduction = gradualReduction
        self.gradualWatch = gradualWatch
        self.trafficTimeout = trafficTimeout
        self.canaryRouteTimeout = canaryRouteTimeout
        self.canaryAnalysis = canaryAnalysis
    }
}

/// The guide's health verification after a rollback.
public struct VerificationPolicy: Sendable, Equatable {
    public var interval: Duration
    public var timeout: Duration
    public var maxAttempts: Int
    public var failureThreshold: Int
    /// The guide's performance validation (5 minutes) after the health checks pass; runs for a
    /// service with performance, throughput or infrastructure signals.
    public var performance: ValidationPhasePolicy
    /// The guide's business validation (15 minutes); runs for a service with business signals.
    public var business: ValidationPhasePolicy

    public init(
        interval: Duration = Defaults.verificationInterval, timeout: Duration = Defaults.verificationTimeout,
        maxAttempts: Int = Defaults.verificationAttempts,
        failureThreshold: Int = Defaults.verificationFailureThreshold,
        performance: ValidationPhasePolicy = .init(duration: Defaults.performanceValidation),
        business: ValidationPhasePolicy = .init(duration: Defaults.businessValidation)
    ) {
        self.performance = performance
        self.business = business
        self.interval = interval
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.failureThreshold = failureThreshold
    }
}

public struct SafetyLimits: Sendable, Equatable {
    public var cooldown: Duration
    public var maxAutomaticRollbacksPerHour: Int

    public init(cooldown: Duration = Defaults.cooldown, maxAutomaticRollbacksPerHour: Int = Defaults.maxAutomaticRollbacksPerHour) {
        self.cooldown = cooldown
        self.maxAutomaticRollbacksPerHour = maxAutomaticRollbacksPerHour
    }
}

/// Retries for transient failures only, with full-jitter exponential backoff.
public struct RetryPolicy: Sendable, Equatable {
    public var attempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(
        attempts: Int = Defaults.retryAttempts, baseDelay: Duration = Defaults.retryBaseDelay,
        maxDelay: Duration = Defaults.retryMaxDelay
    ) {
        self.attempts = attempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The delay before retry number `retry` (1-based): a uniform draw in [0, min(max, base·2^(retry-1))].
    /// `unitRandom` is in [0, 1); it is a parameter so that the decision stays pure.
    public func delay(beforeRetry retry: Int, unitRandom: Double) -> Duration {
        let ceiling = min(maxDelay.milliseconds, baseDelay.milliseconds << min(max(retry - 1, 0), 20))
        return .milliseconds(Int64((Double(ceiling) * min(max(unitRandom, 0), 1)).rounded(.down)))
    }
}

/// Whether a failing check means "the service is down" or "the service is degraded".
public enum CheckSeverity: String, Sendable, Codable, Hashable, CaseIterable {
    case critical
    case nonCritical = "non-critical"
}

/// One HTTP health check of a service.
public struct HealthCheckPolicy: Sendable, Equatable {
    public var name: String
    public var url: String
    public var severity: CheckSeverity
    public var interval: Duration
    public var timeout: Duration
    public var confirmInterval: Duration
    /// Statuses that count as healthy. Default: any 2xx.
    public var expectedStatuses: ClosedRange<Int>

    public init(
        name: String, url: String, severity: CheckSeverity = .critical, interval: Duration = Defaults.checkInterval,
        timeout: Duration = Defaults.checkTimeout, confirmInterval: Duration = Defaults.confirmInterval,
        expectedStatuses: ClosedRange<Int> = 200...299
    ) {
        self.name = name
        self.url = url
        self.severity = severity
        self.interval = interval
        self.timeout = timeout
        self.confirmInterval = confirmInterval
        self.expectedStatuses = expectedStatuses
    }
}

/// One watched service.
public struct ServicePolicy: Sendable, Equatable {
    public var name: ServiceName
    /// Services this one calls. A service is rolled back before the services it depends on,
    /// so that no live version calls an API its dependency no longer has.
    public var dependsOn: [ServiceName]
    public var checks: [HealthCheckPolicy]
    /// How to learn the live deployment and roll back.
    public var provider: ProviderSpec?
    /// What to try when the provider's rollback fails for good.
    public var fallback: ProviderSpec?
    /// Overrides the strategy's per-service timeout.
    public var rollbackTimeout: Duration?
    /// Picks the guide's latency thresholds (frontend, backend, api, worker).
    public var serviceClass: ServiceClass
    /// Metric signals: performance, throughput, business, infrastructure and security triggers.
    public var signals: [MetricSignalPolicy]
    /// How Rewind moves this service's traffic between its stable and new version (gradual and
    /// canary strategies): Cloudflare weights, a flag's percentage rollout, a replica ratio.
    public var traffic: TrafficSpec?
    /// The kill switch: flags turned off whenever this service is rolled back.
    public var flags: FeatureFlagsSpec?
    /// The down-migration run with this service's rollback, before or after the application.
    public var migration: MigrationSpec?
    /// How new deployments reach users: all at once, or as a canary beside stable.
    public var rollout: Rollout

    public init(
        name: ServiceName, dependsOn: [ServiceName] = [], checks: [HealthCheckPolicy] = [],
        provider: ProviderSpec? = nil, fallback: ProviderSpec? = nil, rollbackTimeout: Duration? = nil,
        serviceClass: ServiceClass = .backend, signals: [MetricSignalPolicy] = [], traffic: TrafficSpec? = nil,
        flags: FeatureFlagsSpec? = nil, migration: MigrationSpec? = nil, rollout: Rollout = .standard
    ) {
        self.traffic = traffic
        self.flags = flags
        self.migration = migration
        self.rollout = rollout
        self.serviceClass = serviceClass
        self.signals = signals
        self.name = name
        self.dependsOn = dependsOn
        self.checks = checks
        self.provider = provider
        self.fallback = fallback
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
