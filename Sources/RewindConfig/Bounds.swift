import RewindCore

/// The range every duration of `rewind.yaml` must fall in, one kind per key.
///
/// Each number the reader accepts is used later in arithmetic (a window cut into slots, a body
/// limit plus one, a backoff doubled, a deadline added to now), so the reader refuses anything
/// outside a range that is both sensible and far from overflow: a value outside it is a located
/// problem that names the range. The README's configuration notes list these ranges.
struct DurationBounds: Sendable, Equatable {
    let minimum: Duration
    let maximum: Duration
    /// Why the range is what it is, shown after it (empty: nothing to add).
    let reason: String

    init(atLeast minimum: Duration, atMost maximum: Duration, _ reason: String = "") {
        self.minimum = minimum
        self.maximum = maximum
        self.reason = reason
    }

    func contains(_ duration: Duration) -> Bool { duration >= minimum && duration <= maximum }

    /// `must be between 100ms and 1h, got 5ms`, with the reason after a colon.
    func problem(got written: String) -> String {
        let range = "must be between \(minimum.rewindDescription) and \(maximum.rewindDescription), got \(written)"
        return reason.isEmpty ? range : "\(range): \(reason)"
    }

    private static let day = Duration.seconds(86_400)

    /// How often something is looked at: a health check, a signal, a verification attempt, a confirmation.
    static let interval = DurationBounds(
        atLeast: .milliseconds(100), atMost: .seconds(3600), "looking more often than every 100ms floods the service")
    /// How often each provider's deployment listing is polled (a vendor API call each time).
    static let pollInterval = DurationBounds(
        atLeast: .seconds(1), atMost: .seconds(3600), "every poll is a call to the vendor's API")
    /// The span a rule reads: consecutive failures `within`, a signal's `window`, a rolling `baseline`.
    static let window = DurationBounds(
        atLeast: .seconds(1), atMost: day, "a window shorter than 1s holds too few values to judge")
    /// One call, one command, one step or one delivery attempt.
    static let timeout = DurationBounds(atLeast: .milliseconds(100), atMost: .seconds(3600))
    /// All the steps of one immediate rollback together.
    static let deadline = DurationBounds(atLeast: .seconds(1), atMost: day)
    /// The first and the longest wait between two retries.
    static let retryDelay = DurationBounds(atLeast: .milliseconds(10), atMost: .seconds(3600))
    /// How long to watch or wait for something to show: a gradual reduction's watch, a validation phase,
    /// a monitoring source failing, a rollback counting as slow.
    static let watch = DurationBounds(atLeast: .seconds(1), atMost: day)
    /// How long a failure run must last before its rule fires (`min_duration`): zero is the count alone.
    static let failingFor = DurationBounds(
        atLeast: .zero, atMost: .seconds(3600), "an outage that must last over an hour before a rollback is not caught")
    /// How long a new deployment is watched at the suspect cadence (`suspect_window`): zero turns it off.
    static let suspectWindow = DurationBounds(
        atLeast: .zero, atMost: day, "the first minutes after a deployment are when it is most likely to be bad")
    /// A wait that may be zero: bake, freeze, cooldown, escalation delays, a signal's recovery.
    static let delay = DurationBounds(atLeast: .zero, atMost: day * 30)
    /// When follow-up work is due: the post-mortem, the canary's analysis.
    static let due = DurationBounds(atLeast: .seconds(60), atMost: day * 30)
    /// How long a closed incident is kept (`retention.closed_incidents`).
    static let retainedFor = DurationBounds(
        atLeast: .seconds(3600), atMost: day * 3650, "shorter than an hour loses incidents people are still reading")
    /// How often the daemon prunes (`retention.interval`).
    static let pruneInterval = DurationBounds(atLeast: .seconds(60), atMost: day)
    /// How long an idle API connection stays open.
    static let idleConnection = DurationBounds(
        atLeast: .seconds(1), atMost: .seconds(3600), "connections that stall are closed after this long")
}

/// The range of every whole number of `rewind.yaml`.
enum CountBounds {
    /// `ha.shards`: shards replicas share the watching in; a service's `shard:` is below it.
    static let shards = 1...256
    /// Consecutive failures or successes of a health rule; consecutive evaluations of a signal.
    static let consecutive = 1...1000
    static let verificationAttempts = 1...100
    static let rollbacksPerHour = 1...1000
    /// Platform calls: retries after the first call (0: never retry).
    static let platformRetries = 0...100
    /// Notifications: every delivery attempt, the first included.
    static let deliveryAttempts = 1...100
    static let minSamples = 1...1_000_000
    /// 1 KiB to 64 MiB: the body of one pushed-events request is held in memory.
    static let pushBodyBytes = 1024...(64 << 20)
    static let pushEvents = 1...100_000
    static let connections = 1...100_000
    /// Per service, the newest deployments kept (`retention.deployments_per_service`).
    static let retainedDeployments = 1...100_000
    /// The parent number of a merge commit (`git revert -m`).
    static let mainline = 1...100
    /// Revisions of a Helm release read per listing (`helm history --max`).
    static let helmHistory = 1...1000
}
