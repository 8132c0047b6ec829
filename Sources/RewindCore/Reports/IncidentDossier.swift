/// Everything recorded about one incident: what its report is rendered from.
public struct IncidentDossier: Sendable, Equatable, Codable {
    public var incident: Incident
    public var timeline: [TimelineEvent]
    /// The latest record of each plan step (the journal a restart resumes from).
    public var steps: [StepRecord]
    public var tasks: [IncidentTask]
    public var escalations: [EscalationTimer]
    public var notifications: [OutboxEntry]
    public var samples: [Observation]

    public init(
        incident: Incident, timeline: [TimelineEvent], steps: [StepRecord] = [], tasks: [IncidentTask] = [],
        escalations: [EscalationTimer] = [], notifications: [OutboxEntry] = [], samples: [Observation] = []
    ) {
        self.incident = incident
        self.timeline = timeline
        self.steps = steps
        self.tasks = tasks
        self.escalations = escalations
        self.notifications = notifications
        self.samples = samples
    }

    /// The triggering signal as a series: for a health trigger, the length of the run of
    /// consecutive failures of the check that fired, at each observation of it.
    public var triggeringSeries: [(at: Timestamp, value: Double)] {
        guard let violation = incident.violation, let check = violation.evidence.first?.check else { return [] }
        var run = 0.0
        return samples.filter { $0.service == violation.service && $0.check == check }.map { sample in
            run = sample.result.isSuccess ? 0 : run + 1
            return (sample.at, run)
        }
    }

    /// The rule's threshold: as many consecutive failures as the evidence that fired it.
    public var threshold: Double? {
        incident.violation.map { Double($0.evidence.count) }
    }

    /// Moments to mark on the chart.
    public var markers: [(at: Timestamp, label: String)] {
        var marks: [(Timestamp, String)] = []
        if let violation = incident.violation { marks.append((violation.at, "detected")) }
        if let accepted = timeline.first(where: { $0.kind == .stepAccepted }) {
            marks.append((accepted.at, "rollback"))
        }
        if let closed = incident.closedAt { marks.append((closed, incident.status.rawValue)) }
        return marks
    }
}
