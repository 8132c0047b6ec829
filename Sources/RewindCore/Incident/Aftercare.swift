/// The guide's post-rollback work, recorded as tasks on the incident.
public struct IncidentTask: Sendable, Equatable, Codable {
    public enum Group: String, Sendable, Codable, CaseIterable {
        case investigation, remediation, documentation
        case postMortem = "post_mortem"
    }

    public enum State: String, Sendable, Codable, CaseIterable {
        case open
        case inProgress = "in_progress"
        case done, skipped
    }

    public var incidentID: Int64
    /// Stable within the incident, e.g. `investigation.analyze_logs`.
    public var id: String
    public var group: Group
    public var title: String
    public var team: String
    public var dueAt: Timestamp?
    public var state: State
    public var updatedAt: Timestamp
    public var note: String?
    /// When its audience was reminded that it is overdue (once; see ``TaskReminder``); nil until then.
    public var remindedAt: Timestamp?

    public init(
        incidentID: Int64, id: String, group: Group, title: String, team: String, dueAt: Timestamp?,
        state: State = .open,
        updatedAt: Timestamp, note: String? = nil, remindedAt: Timestamp? = nil
    ) {
        self.incidentID = incidentID
        self.id = id
        self.group = group
        self.title = title
        self.team = team
        self.dueAt = dueAt
        self.state = state
        self.updatedAt = updatedAt
        self.note = note
        self.remindedAt = remindedAt
    }

    /// Neither done nor skipped.
    public var isPending: Bool { state == .open || state == .inProgress }
}

public enum PostRollbackWork {
    /// The task of an incident the gradual strategy contained: promote the new version (`rewind
    /// promote`) or roll it back (`rewind rollback`). See ``Promotion``.
    public static let promoteOrRollBack = "remediation.promote_or_roll_back"

    /// Investigation (2 hours, DevOps), remediation (24 hours, high priority), the documentation
    /// set (required), and the post-mortem (within `postMortemWithin`).
    ///
    /// A canary rollback adds the guide's canary work: analyze the canary's data (within
    /// `canaryAnalysis`) and document the learnings (required).
    ///
    /// The fast strategy adds the guide's "investigate root cause" within 15 minutes; an incident the
    /// gradual strategy contained (the new version left at its reduced share) adds "promote or roll
    /// back", so that nobody forgets a version half in production.
    public static func tasks(
        incidentID: Int64, at now: Timestamp, postMortemWithin: Duration, strategy: Strategy? = nil,
        canaryAnalysis: Duration = Defaults.canaryAnalysis, contained: Bool = false
    ) -> [IncidentTask] {
        func group(_ group: IncidentTask.Group, _ names: [String], team: String, due: Duration?) -> [IncidentTask] {
            names.map { name in
                IncidentTask(
                    incidentID: incidentID, id: "\(group.rawValue).\(name)", group: group,
                    title: name.replacingUnderscores, team: team, dueAt: due.map { now + $0 }, updatedAt: now)
            }
        }
        return group(
            .investigation,
            ["analyze_logs", "review_metrics", "check_configuration", "identify_root_cause", "document_findings"],
            team: "devops", due: .seconds(7200))
            + group(
                .remediation,
                [
                    "fix_root_cause", "update_monitoring", "improve_rollback_process", "update_runbooks",
                    "team_training",
                ],
                team: "devops", due: .seconds(86_400))
            + group(
                .documentation,
                ["incident_report", "root_cause_analysis", "action_items", "lessons_learned", "process_improvements"],
                team: "devops", due: nil)
            + group(.postMortem, ["schedule_post_mortem"], team: "devops", due: postMortemWithin)
            + (strategy == .canary
                ? group(.investigation, ["analyze_canary_data"], team: "devops", due: canaryAnalysis)
                    + group(.documentation, ["document_learnings"], team: "devops", due: nil)
                : [])
            + (strategy == .fast
                ? group(.investigation, ["investigate_root_cause"], team: "devops", due: .seconds(900)) : [])
            + (contained
                ? [
                    IncidentTask(
                        incidentID: incidentID, id: promoteOrRollBack, group: .remediation,
                        title: "Promote or roll back the new version: it keeps its reduced share of traffic",
                        team: "devops",
                        dueAt: now + .seconds(86_400), updatedAt: now)
                ] : [])
    }
}

extension String {
    var replacingUnderscores: String {
        let words = split(separator: "_").map(String.init)
        guard let first = words.first else { return self }
        return ([first.prefix(1).uppercased() + first.dropFirst()] + words.dropFirst()).joined(separator: " ")
    }
}
