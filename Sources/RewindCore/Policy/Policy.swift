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
    /// What a deployment that goes live during a freeze causes (`freeze.enforce`).
    public var freezeEnforcement: FreezeEnforcement = .notify
    /// What is kept, and for how long (`retention:`).
    public var retention = RetentionPolicy()

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
