import RewindCore

/// Writes that commit together, in one transaction: all of them, or none.
///
/// The engine records a change of state together with everything it causes, so that a crash or a
/// failed write can never leave half of it behind: closing an incident with its `closed` timeline
/// entry, the cancellation of its timers and its completed notices; opening one with its detection
/// and decision entries, its escalation timers, its initiated notices and the suspect deployment
/// marked bad; firing an escalation timer with its timeline entry and its notices.
///
/// ```swift
/// var change = StateChange(newIncident: incident)
/// change.timeline = [TimelineEvent(incidentID: StateChange.newIncidentID, at: now, kind: .detected, message: …)]
/// change.outbox = channels.map { OutboxEntry(incidentID: StateChange.newIncidentID, channel: $0, notice: notice, …) }
/// change.trustChanges = [.init(service: "backend", deploymentID: "b2", trust: .bad, at: now)]
/// let committed = try await store.commit(change)   // committed.incidentID, committed.outbox (with ids)
/// ```
///
/// **Order.** A store applies the parts in the order the properties are declared below — the
/// new incident first, the automatic rollbacks last — and the rows of each part in the order
/// given (see ``writes``). Each part means what its single write means (``IncidentJournal``,
/// ``NotificationOutbox``, ``EscalationTimers``, ``DeploymentLedger``): the same merges, the same
/// `store_not_found` refusals. The order matters where parts meet: timer updates, then the
/// cancellation, then new timers (new timers are never cancelled by the same change); deployment
/// records, then live switches, then trust changes (a change can record a deployment and mark it
/// bad); tasks, then task updates.
///
/// **The new incident's id.** The store assigns ``newIncident``'s id. Everywhere else in the same
/// change, an incident id equal to ``newIncidentID`` (0) means that incident: the incident update,
/// timeline events, step records, notifications (`incidentID` and `notice.incidentID`), timers,
/// the cancellation, tasks, samples and the freeze. Only id fields are rewritten, never text: a
/// message that must name the incident's number is written after the commit. A change that
/// creates no incident must not use the placeholder: it is refused with ``InvalidStateChange``.
public struct StateChange: Sendable, Equatable {
    /// The incident id that means "the incident this change creates". Stores never assign it.
    public static let newIncidentID: Int64 = 0

    /// An incident to create; its `id` is ignored.
    public var newIncident: Incident?
    /// Replaces a stored incident (`store_not_found` when there is none).
    public var incidentUpdate: Incident?
    public var timeline: [TimelineEvent]
    public var steps: [StepRecord]
    /// New notifications; ids assigned in the order given, returned by the commit.
    public var outbox: [OutboxEntry]
    public var outboxUpdates: [OutboxEntry]
    public var timerUpdates: [EscalationTimer]
    /// Cancels the pending timers of this incident (those stored before this change, after
    /// ``timerUpdates``); the commit returns how many.
    public var cancelTimersOfIncident: Int64?
    /// New timers; ids assigned in the order given, returned by the commit.
    public var newTimers: [EscalationTimer]
    public var tasks: [IncidentTask]
    public var taskUpdates: [IncidentTask]
    public var samples: [Samples]
    /// Nil leaves the freeze as it is.
    public var freeze: FreezeChange?
    /// Automation paused or resumed, in the order given.
    public var automation: [AutomationChange]
    public var deployments: [DeploymentRecord]
    public var liveSwitches: [LiveSwitch]
    public var trustChanges: [TrustChange]
    public var automaticRollbacks: [AutomaticRollback]

    public init(
        newIncident: Incident? = nil, incidentUpdate: Incident? = nil, timeline: [TimelineEvent] = [],
        steps: [StepRecord] = [], outbox: [OutboxEntry] = [], outboxUpdates: [OutboxEntry] = [],
        timerUpdates: [EscalationTimer] = [], cancelTimersOfIncident: Int64? = nil, newTimers: [EscalationTimer] = [],
        tasks: [IncidentTask] = [], taskUpdates: [IncidentTask] = [], samples: [Samples] = [],
        freeze: FreezeChange? = nil, automation: [AutomationChange] = [], deployments: [DeploymentRecord] = [],
        liveSwitches: [LiveSwitch] = [],
        trustChanges: [TrustChange] = [], automaticRollbacks: [AutomaticRollback] = []
    ) {
        self.newIncident = newIncident
        self.incidentUpdate = incidentUpdate
        self.timeline = timeline
        self.steps = steps
        self.outbox = outbox
        self.outboxUpdates = outboxUpdates
        self.timerUpdates = timerUpdates
        self.cancelTimersOfIncident = cancelTimersOfIncident
        self.newTimers = newTimers
        self.tasks = tasks
        self.taskUpdates = taskUpdates
        self.samples = samples
        self.freeze = freeze
        self.automation = automation
        self.deployments = deployments
        self.liveSwitches = liveSwitches
        self.trustChanges = trustChanges
        self.automaticRollbacks = automaticRollbacks
    }

    /// True when committing it would write nothing.
    public var isEmpty: Bool { newIncident == nil && writes.isEmpty }

    /// Sets or clears the deployment freeze.
    public enum FreezeChange: Sendable, Equatable {
        case set(Freeze)
        case clear
    }

    /// ``DeploymentLedger/recordDeployment(_:makeLive:)``.
    public struct DeploymentRecord: Sendable, Equatable {
        public var deployment: Deployment
        public var makeLive: Bool
        /// With `makeLive`: when it went live (default: its `deployedAt`).
        public var liveSince: Timestamp?

        public init(_ deployment: Deployment, makeLive: Bool, liveSince: Timestamp? = nil) {
            self.deployment = deployment
            self.makeLive = makeLive
            self.liveSince = liveSince
        }
    }

    /// ``DeploymentLedger/setLive(service:deploymentID:)``.
    public struct LiveSwitch: Sendable, Equatable {
        public var service: ServiceName
        public var deploymentID: String
        /// When it went live (default: the deployment's `deployedAt`).
        public var since: Timestamp?

        public init(service: ServiceName, deploymentID: String, since: Timestamp? = nil) {
            self.service = service
            self.deploymentID = deploymentID
            self.since = since
        }
    }

    /// ``DeploymentLedger/setTrust(service:deploymentID:trust:at:)``.
    public struct TrustChange: Sendable, Equatable {
        public var service: ServiceName
        public var deploymentID: String
        public var trust: DeploymentTrust
        public var at: Timestamp

        public init(service: ServiceName, deploymentID: String, trust: DeploymentTrust, at: Timestamp) {
            self.service = service
            self.deploymentID = deploymentID
            self.trust = trust
            self.at = at
        }
    }

    /// ``DeploymentLedger/recordAutomaticRollback(service:at:)``.
    public struct AutomaticRollback: Sendable, Equatable {
        public var service: ServiceName
        public var at: Timestamp

        public init(service: ServiceName, at: Timestamp) {
            self.service = service
            self.at = at
        }
    }

    /// ``IncidentJournal/recordSamples(incidentID:_:)``.
    public struct Samples: Sendable, Equatable {
        public var incidentID: Int64
        public var observations: [Observation]

        public init(incidentID: Int64, _ observations: [Observation]) {
            self.incidentID = incidentID
            self.observations = observations
        }
    }
}
