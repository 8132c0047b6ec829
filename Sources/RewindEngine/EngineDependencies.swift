import Logging
import RewindCore
import RewindPorts
import Tracing

/// Everything the engine needs, injected by the composition root (RewindApp) or a test.
public struct EngineDependencies: Sendable {
    public var policy: Policy
    public var store: any RewindStore
    public var clock: any RewindClock
    public var prober: any HealthProber
    public var providers: [ServiceName: any PlatformProvider]
    public var fallbacks: [ServiceName: any PlatformProvider]
    public var notifiers: [any Notifier]
    public var redactor: Redactor
    public var logger: Logger
    /// A uniform draw in [0, 1) for retry jitter.
    public var random: @Sendable () -> Double
    /// Receives every ``EngineEvent``.
    public var observer: @Sendable (EngineEvent) -> Void
    /// Run the health watchers. Off for a one-shot engine that only executes a manual rollback.
    public var watch: Bool
    /// How often an asynchronous platform operation is polled.
    public var pollInterval: Duration
    /// How often suspect deployments are checked against their bake period.
    public var bakeCheckInterval: Duration
    /// Identifies this instance in the writer lease; unique among instances sharing a state.
    public var holder: String
    /// How often the outbox and the escalation timers are looked at.
    public var outboxInterval: Duration
    /// Evaluates metric signals (Prometheus, probe latencies, pushed values, command probes).
    public var metricSource: any MetricSource
    /// Services whose traffic Rewind can move (gradual and canary strategies).
    public var trafficControllers: [ServiceName: any TrafficController]
    /// Kill switches: the flags of a service turned off with its rollback (`flags:`).
    public var featureSwitches: [ServiceName: any FeatureSwitch]
    /// Down-migrations run with a service's rollback (`migration:`).
    public var migrations: [ServiceName: any MigrationRollback]
    /// How often each service's platform is polled for its deployments (see `DeploymentTracking.swift`).
    public var trackingInterval: Duration = .seconds(60)
    /// Where the engine's own metrics go (`rewind_…_total`); the composition root passes the
    /// process's registry, tests a `TestMetrics`.
    public var rewindMetrics = RewindMetrics()
    /// How the writer lease is held, and whether an instance that finds it held waits as a standby.
    public var lease = LeaseTiming.singleWriter
    /// `ha.shards`: how many shard leases replicas share, and which shard each service belongs to. More than one
    /// needs a store with ``ShardLeases`` (PostgreSQL); ``ShardAssignment/single`` runs nothing new.
    public var shards = ShardAssignment.single
    /// This instance's API as other replicas' clients reach it (`server.advertise_url`), published with the
    /// writer lease it takes; nil: none.
    public var advertiseURL: String?
    /// Told each ``JournalPhase`` an incident passes: a test hook (`REWIND_TEST_STOP_AT` in debug builds); a
    /// product leaves it doing nothing.
    public var phaseReached: @Sendable (JournalPhase) -> Void = { _ in }
    /// Where every probe's result is written for replay (`health.record`); nowhere by default.
    public var probeLog: any ProbeLog = NoProbeLog()
    /// Where an incident's spans go (``IncidentSpans``): the process's tracer when the daemon
    /// exports traces (`tracing.otlp_endpoint`), a test's recording tracer, or none by default.
    public var tracer: any Tracer = NoOpTracer()
    /// Reads canary and stable cohorts for the canary judge (signals with `judge:`).
    public var cohortSource: any CohortSource = NoCohortSource()
    /// Where early-warning baselines come from (``BaselineSource``); none: no signal warns.
    public var baselineSource: any BaselineSource = NoBaselineSource()

    public init(
        policy: Policy, store: any RewindStore, clock: any RewindClock, prober: any HealthProber,
        providers: [ServiceName: any PlatformProvider], fallbacks: [ServiceName: any PlatformProvider] = [:],
        notifiers: [any Notifier] = [], redactor: Redactor = Redactor(),
        logger: Logger = Logger(label: "rewind.engine"),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        observer: @escaping @Sendable (EngineEvent) -> Void = { _ in }, watch: Bool = true,
        pollInterval: Duration = .milliseconds(250), bakeCheckInterval: Duration = .seconds(30),
        holder: String = "rewind",
        outboxInterval: Duration = .seconds(1), metricSource: any MetricSource = NoMetricSource(),
        trafficControllers: [ServiceName: any TrafficController] = [:],
        featureSwitches: [ServiceName: any FeatureSwitch] = [:],
        migrations: [ServiceName: any MigrationRollback] = [:]
    ) {
        self.featureSwitches = featureSwitches
        self.migrations = migrations
        self.metricSource = metricSource
        self.trafficControllers = trafficControllers
        self.outboxInterval = outboxInterval
        self.policy = policy
        self.store = store
        self.clock = clock
        self.prober = prober
        self.providers = providers
        self.fallbacks = fallbacks
        self.notifiers = notifiers
        self.redactor = redactor
        self.logger = logger
        self.random = random
        self.observer = observer
        self.watch = watch
        self.pollInterval = pollInterval
        self.bakeCheckInterval = bakeCheckInterval
        self.holder = holder
    }

    /// Takes from `reloaded` what a reloaded policy changes (``RewindEngine/reload(_:)``): the
    /// policy, the platforms and what a rollback moves besides them, the channels, the metric
    /// source, the redactor and the tracking interval. The store, the clock, the lease holder, the
    /// logger, the observer and the engine's own intervals stay: they belong to the running process.
    public mutating func adopt(_ reloaded: EngineDependencies) {
        policy = reloaded.policy
        providers = reloaded.providers
        fallbacks = reloaded.fallbacks
        notifiers = reloaded.notifiers
        redactor = reloaded.redactor
        metricSource = reloaded.metricSource
        cohortSource = reloaded.cohortSource
        baselineSource = reloaded.baselineSource
        trafficControllers = reloaded.trafficControllers
        featureSwitches = reloaded.featureSwitches
        migrations = reloaded.migrations
        trackingInterval = reloaded.trackingInterval
    }
}
