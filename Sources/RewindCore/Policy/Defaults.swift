/// The guide's numbers. Every default Rewind ships is here, and `rewind init` writes them out.
public enum Defaults {
    /// Critical health: 3 consecutive failures within 2 minutes, failing for at least 2 s (longer than an instance
    /// draining in a rolling restart answers 503; see docs/how-rewind-decides.md).
    public static let criticalHealth = ConsecutiveRule(count: 3, within: .seconds(120), minDuration: .seconds(2))
    /// Non-critical health: 5 consecutive failures within 5 minutes, failing for at least 2 s.
    public static let nonCriticalHealth = ConsecutiveRule(count: 5, within: .seconds(300), minDuration: .seconds(2))
    /// Recovery: 2 successful checks within 5 minutes.
    public static let recovery = ConsecutiveRule(count: 2, within: .seconds(300))
    /// How often a health check runs while it passes.
    public static let checkInterval = Duration.seconds(10)
    /// How long one check may take before it counts as a failure.
    public static let checkTimeout = Duration.seconds(5)
    /// How soon to look again after a failure, to confirm it (see ``ProbeSchedule``).
    public static let confirmInterval = Duration.milliseconds(100)
    /// A deployment is most likely to be bad in its first minutes: for 15 minutes after one goes
    /// live (while it is suspect), its checks run every 250 ms (4 requests a second per check).
    public static let suspectWindow = Duration.seconds(900)
    public static let suspectInterval = Duration.milliseconds(250)
    /// Immediate strategy: 30 s per service, deployments frozen for 1 hour.
    public static let immediateTimeout = Duration.seconds(30)
    public static let immediateFreeze = Duration.seconds(3600)
    /// Fast strategy: 2 minutes for the affected service.
    public static let fastTimeout = Duration.seconds(120)
    /// Gradual strategy: cut the new version's traffic by 50 %, watch 10 minutes, roll back if
    /// nothing improves.
    public static let gradualReduction = 0.5
    public static let gradualWatch = Duration.seconds(600)
    /// During the watch, the trigger's signal is evaluated this often (see ``GradualWatch``).
    public static let gradualWatchInterval = Duration.seconds(60)
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
    /// Retention (`retention:`): closed incidents are kept 90 days, and per service the 50 newest
    /// deployments (besides the live one and its rollback targets); pruning runs every hour.
    public static let retainClosedIncidents = Duration.seconds(90 * 86_400)
    public static let retainDeploymentsPerService = 50
    public static let retentionInterval = Duration.seconds(3600)
    /// Alerts and pushed values received (kept for `rewind replay`): as long as closed incidents, and at most the
    /// newest million of each, about 100 MB in a state file.
    public static let retainReceivedEvents = 1_000_000
    /// At most this many automatic rollbacks per service per hour.
    public static let maxAutomaticRollbacksPerHour = 3
    /// Transient failures of a platform call are retried this many times, with jittered backoff.
    public static let retryAttempts = 3
    public static let retryBaseDelay = Duration.milliseconds(500)
    public static let retryMaxDelay = Duration.seconds(5)
    /// A down-migration may run this long (`migration.timeout`).
    public static let migrationTimeout = Duration.seconds(300)
    /// Turning the kill-switch flags off may take this long per call to the flag service (`flags.timeout`).
    public static let flagsTimeout = Duration.seconds(10)
    /// Deployments are learnt from each provider's listing this often (incrementally where the
    /// API allows). Railway's free plan allows 100 requests an hour: a poll costs about two.
    public static let trackingInterval = Duration.seconds(60)
    /// The API listens here unless `server.listen` says otherwise.
    public static let listenHost = "127.0.0.1"
    public static let listenPort = 8786
    /// The API closes a connection that sent or received nothing for this long (`server.idle_timeout`),
    /// also one that stopped halfway through a request.
    public static let serverIdleTimeout = Duration.seconds(30)
    /// The API serves at most this many connections at once (`server.max_connections`); further
    /// clients wait in the listen backlog until one closes.
    public static let serverMaxConnections = 256
}
