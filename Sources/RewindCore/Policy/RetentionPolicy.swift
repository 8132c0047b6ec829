/// How long Rewind keeps what it recorded (`retention:`), so that the state file, and what the
/// daemon loads from it, stay bounded however long it runs.
///
/// The daemon prunes once at start and then every ``interval`` (``DeploymentRetention`` says
/// which deployments stay). Open incidents, and closed ones with a notice still pending, are
/// never pruned.
public struct RetentionPolicy: Sendable, Equatable {
    /// How long a closed incident is kept after it closed, with its timeline, step journal, tasks,
    /// samples, notices and escalation timers. Automatic rollbacks older than this are forgotten too.
    public var closedIncidents: Duration
    /// Per service, how many of the newest deployments are kept, besides the live one and the
    /// rollback targets (``DeploymentRetention``).
    public var deploymentsPerService: Int
    /// How often the daemon prunes.
    public var interval: Duration
    /// Of the alerts and of the pushed values the daemon received (kept for `rewind replay`), at most this many
    /// newest are kept; none older than ``closedIncidents``.
    public var receivedEventsKept: Int

    public init(
        closedIncidents: Duration = Defaults.retainClosedIncidents,
        deploymentsPerService: Int = Defaults.retainDeploymentsPerService,
        interval: Duration = Defaults.retentionInterval,
        receivedEventsKept: Int = Defaults.retainReceivedEvents
    ) {
        self.closedIncidents = closedIncidents
        self.deploymentsPerService = deploymentsPerService
        self.interval = interval
        self.receivedEventsKept = receivedEventsKept
    }
}
