/// The post-mortem the guide's documentation asks for, from the record alone: a summary, the
/// impact (services, duration, the evidence), the root cause, the action items with their owners
/// and due dates, and the lessons learned. The timeline is the incident's own.
///
/// People fill in what Rewind cannot know through the incident's tasks: the note of
/// `investigation.identify_root_cause` is the root cause, the note of
/// `documentation.lessons_learned` the lessons learned (`rewind incidents task N TASK --state done
/// --note "…"`). Until then the report says they are to be determined, and how to record them.
public struct PostMortem: Sendable, Equatable, Codable {
    /// Who and what was hit, for how long, and what showed it.
    public struct Impact: Sendable, Equatable, Codable {
        public var services: [ServiceName]
        /// When the trouble was first seen: the first evidence, else the violation, else the opening.
        public var started: Timestamp
        /// When the incident closed; nil while it is open.
        public var ended: Timestamp?
        /// `ended - started`, as people read it (`5m`); nil while the incident is open.
        public var duration: String?
        /// The rule that fired, then one line per observation that made it fire.
        public var evidence: [String]
    }

    /// One task of the incident: what to do, who owns it, by when, how far it got.
    public struct ActionItem: Sendable, Equatable, Codable {
        public var task: String
        public var title: String
        public var owner: String
        /// Nil: required, without a deadline.
        public var due: Timestamp?
        public var state: IncidentTask.State
        public var note: String?
    }

    public static let rootCauseTask = "investigation.identify_root_cause"
    public static let rootCauseAnalysisTask = "documentation.root_cause_analysis"
    public static let lessonsLearnedTask = "documentation.lessons_learned"

    public var summary: String
    public var impact: Impact
    /// The note of ``rootCauseTask`` (else of ``rootCauseAnalysisTask``); nil: to be determined.
    public var rootCause: String?
    public var actionItems: [ActionItem]
    /// The note of ``lessonsLearnedTask``; nil: to be written.
    public var lessonsLearned: String?

    public init(_ dossier: IncidentDossier) {
        let incident = dossier.incident
        let notes = Dictionary(dossier.tasks.compactMap { task in task.note.map { (task.id, $0) } }) { first, _ in first
        }
        summary = Self.summary(of: incident, timeline: dossier.timeline)
        let started = incident.violation.map { $0.evidence.map(\.at).min() ?? $0.at } ?? incident.openedAt
        impact = Impact(
            services: incident.services,
            started: started,
            ended: incident.closedAt,
            duration: incident.closedAt.map { ($0 - started).rewindDescription },
            evidence: Self.evidence(of: incident))
        rootCause = notes[Self.rootCauseTask] ?? notes[Self.rootCauseAnalysisTask]
        actionItems = dossier.tasks.map {
            ActionItem(task: $0.id, title: $0.title, owner: $0.team, due: $0.dueAt, state: $0.state, note: $0.note)
        }
        lessonsLearned = notes[Self.lessonsLearnedTask]
    }

    /// What "to be determined" tells the reader to do, for the root cause and the lessons learned.
    public static func howToRecord(_ task: String, incident: Int64) -> String {
        "record it with `rewind incidents task \(incident) \(task) --state done --note \"…\"`"
    }

    /// What happened in a few sentences: what fired (or who asked), what Rewind did, how it ended.
    static func summary(of incident: Incident, timeline: [TimelineEvent]) -> String {
        var sentences = ["\(incident.summary)."]
        if let violation = incident.violation {
            // The rule is said once: an automatic incident's summary often already holds it.
            let rule = incident.summary.contains(violation.rule) ? "" : ": \(violation.rule)"
            sentences.append(
                "\(violation.trigger.rawValue) (\(violation.severity.rawValue)) fired on \(violation.service) at \(violation.at)\(rule)."
            )
        } else if let reason = incident.reason {
            sentences.append("Requested by an operator at \(incident.openedAt): \(reason).")
        }
        if let plan = incident.plan, !plan.steps.isEmpty {
            let steps = plan.steps.map { $0.summary() }.joined(separator: "; ")
            sentences.append("Rewind took the \(plan.strategy.rawValue) strategy: \(steps).")
        } else if incident.mode == .observe {
            sentences.append("Observe mode: Rewind decided and acted on nothing.")
        } else {
            sentences.append("Nothing was rolled back.")
        }
        if let closed = incident.closedAt {
            sentences.append(
                "The incident \(incident.status.rawValue) at \(closed), \((closed - incident.openedAt).rewindDescription) after it opened."
            )
        } else {
            sentences.append("The incident is \(incident.status.rawValue), open since \(incident.openedAt).")
        }
        if let accepted = timeline.first(where: { $0.kind == .stepAccepted }) {
            sentences.append(
                "The platform accepted the first step \((accepted.at - incident.openedAt).rewindDescription) after detection."
            )
        }
        return sentences.joined(separator: " ")
    }

    /// The rule, then each observation: `time check result (latency)` for a check, `time result`
    /// for a metric or an alert.
    static func evidence(of incident: Incident) -> [String] {
        guard let violation = incident.violation else { return incident.reason.map { ["operator: \($0)"] } ?? [] }
        var lines = [violation.rule]
        if let signal = violation.signal { lines.append("query: \(signal.query)") }
        lines += violation.evidence.map {
            $0.value != nil || violation.alert != nil
                ? "\($0.at) \($0.result)" : "\($0.at) \($0.check) \($0.result) (\($0.latencyMs) ms)"
        }
        return lines
    }

    enum CodingKeys: String, CodingKey {
        case summary, impact
        case rootCause = "root_cause"
        case actionItems = "action_items"
        case lessonsLearned = "lessons_learned"
    }
}
