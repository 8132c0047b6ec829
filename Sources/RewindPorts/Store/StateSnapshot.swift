import RewindCore

/// Everything a store holds, as values: what `rewind state migrate` copies from one store into another.
///
/// Rows are in the order the store's reads give them ("in the order recorded" where the ports promise it), so
/// importing them in that order keeps every order a read promises. The id counters are the highest ids ever
/// given (an incident, notice or timer that was pruned still used its id), so that an imported store never
/// gives an id twice. The writer lease is not part of it: its epoch fences writers of one database only.
public struct StateSnapshot: Sendable, Equatable {
    /// A service's live deployment, and since when it serves.
    public struct Live: Sendable, Equatable {
        public var service: ServiceName
        public var deploymentID: String
        public var since: Timestamp

        public init(service: ServiceName, deploymentID: String, since: Timestamp) {
            self.service = service
            self.deploymentID = deploymentID
            self.since = since
        }
    }

    /// One automatic rollback of a service (the storm cap counts them).
    public struct AutomaticRollback: Sendable, Equatable {
        public var service: ServiceName
        public var at: Timestamp

        public init(service: ServiceName, at: Timestamp) {
            self.service = service
            self.at = at
        }
    }

    /// A metric sample kept as an incident's evidence.
    public struct Sample: Sendable, Equatable {
        public var incidentID: Int64
        public var observation: Observation

        public init(incidentID: Int64, observation: Observation) {
            self.incidentID = incidentID
            self.observation = observation
        }
    }

    /// Per service in ``StateInventory/services``'s order, each service's deployments in the order
    /// ``DeploymentLedger/deployments(of:)`` gives them.
    public var deployments: [Deployment] = []
    public var live: [Live] = []
    public var automaticRollbacks: [AutomaticRollback] = []
    public var freeze: Freeze?
    /// In ``DeploymentLedger/automationPauses()``'s order.
    public var automationPauses: [AutomationPause] = []
    /// Ascending ids.
    public var incidents: [Incident] = []
    /// Per incident, in the order ``IncidentJournal/timeline(incidentID:)`` gives them.
    public var timeline: [TimelineEvent] = []
    /// Every step record (``IncidentJournal/stepHistory(incidentID:)``), per incident.
    public var steps: [StepRecord] = []
    public var tasks: [IncidentTask] = []
    public var samples: [Sample] = []
    /// Ascending ids.
    public var outbox: [OutboxEntry] = []
    /// Ascending ids.
    public var escalations: [EscalationTimer] = []
    public var counters = IDCounters()
    /// The alerts and pushed values the daemon received (``ReceivedEventLog``, for `rewind replay`), oldest first;
    /// empty from a store that does not keep them.
    public var received = ReceivedEvents()

    public init() {}

    /// How many rows of each kind, in a fixed order: what a migration verifies and reports.
    public var counts: [(kind: String, count: Int)] {
        [
            ("deployments", deployments.count), ("live deployments", live.count),
            ("automatic rollbacks", automaticRollbacks.count), ("freeze", freeze == nil ? 0 : 1),
            ("automation pauses", automationPauses.count),
            ("incidents", incidents.count), ("timeline events", timeline.count), ("step records", steps.count),
            ("tasks", tasks.count), ("samples", samples.count), ("notifications", outbox.count),
            ("escalation timers", escalations.count), ("received alerts", received.alerts.count),
            ("received values", received.values.count),
        ]
    }

    /// The kinds whose rows differ between the two snapshots (empty when they are equal).
    public func differences(from other: StateSnapshot) -> [String] {
        var kinds: [String] = []
        if deployments != other.deployments { kinds.append("deployments") }
        if live != other.live { kinds.append("live deployments") }
        if automaticRollbacks != other.automaticRollbacks { kinds.append("automatic rollbacks") }
        if freeze != other.freeze { kinds.append("freeze") }
        if automationPauses != other.automationPauses { kinds.append("automation pauses") }
        if incidents != other.incidents { kinds.append("incidents") }
        if timeline != other.timeline { kinds.append("timeline events") }
        if steps != other.steps { kinds.append("step records") }
        if tasks != other.tasks { kinds.append("tasks") }
        if samples != other.samples { kinds.append("samples") }
        if outbox != other.outbox { kinds.append("notifications") }
        if escalations != other.escalations { kinds.append("escalation timers") }
        if counters != other.counters { kinds.append("id counters") }
        if received.alerts != other.received.alerts { kinds.append("received alerts") }
        if received.values != other.received.values { kinds.append("received values") }
        return kinds
    }
}

/// The highest incident, notification and escalation-timer ids a store has given.
public struct IDCounters: Sendable, Equatable {
    public var incidents: Int64
    public var outbox: Int64
    public var escalations: Int64

    public init(incidents: Int64 = 0, outbox: Int64 = 0, escalations: Int64 = 0) {
        self.incidents = incidents
        self.outbox = outbox
        self.escalations = escalations
    }
}
