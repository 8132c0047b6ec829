/// `rewind promote SERVICE`: the other way out of an incident the gradual strategy contained.
///
/// When the traffic cut brought the service back, nothing was rolled back: the new version keeps
/// its reduced share and the incident carries the task ``PostRollbackWork/promoteOrRollBack``.
/// A person then either rolls back (`rewind rollback SERVICE`) or promotes: the new version gets
/// all the traffic again, as a journaled step of that incident (`promote-SERVICE`), and the task
/// is done.
///
/// What there is to promote is decided here, from the record alone: the newest gradual incident of
/// the service whose watch saw improvement and whose task is still open or in progress, provided
/// the version it left at a reduced share is still the live deployment.
public enum Promotion {
    /// What a promote acts on.
    public struct Target: Sendable, Equatable {
        public var incident: Incident
        public var task: IncidentTask
        /// The incident's traffic cut: its `from` is the new version, its timeout the traffic timeout.
        public var cut: PlanStep

        /// The step a promote runs: all of the service's traffic to the new version.
        public var step: PlanStep {
            var step = cut
            step.id = "promote-\(cut.service)"
            step.action = .setTraffic(share: 1)
            step.dependsOn = []
            step.after = []
            step.unlessImproved = nil
            return step
        }
    }

    public enum Finding: Sendable, Equatable {
        case promote(Target)
        /// Nothing to promote, and why (a sentence that says what to do instead).
        case nothing(String)
    }

    /// What `rewind promote service` would act on. `incidents` are the service's recent incidents
    /// with their tasks, in any order; `live` is the service's live deployment as recorded.
    public static func find(service: ServiceName, incidents: [(Incident, [IncidentTask])], live: Deployment?) -> Finding
    {
        for (incident, tasks) in contained(service, incidents) {
            guard let task = tasks.first(where: { $0.id == PostRollbackWork.promoteOrRollBack && $0.isPending }),
                let cut = incident.plan?.steps.first(where: { step in
                    guard step.service == service, case .reduceTraffic = step.action else { return false }
                    return true
                })
            else { continue }
            guard let live, live.id == cut.from.id else {
                let now = live.map { "is now \($0.label)" } ?? "is not known"
                return .nothing(
                    "nothing to promote: \(service)'s live deployment \(now), not \(cut.from.label), the version incident #\(incident.id) "
                        + "left at a reduced share; close its task: rewind incidents task \(incident.id) \(task.id) --state skipped --note \"…\""
                )
            }
            return .promote(Target(incident: incident, task: task, cut: cut))
        }
        return .nothing(
            "nothing to promote: no gradual rollout of \(service) is waiting at a reduced share (no incident with an open "
                + "\(PostRollbackWork.promoteOrRollBack) task)")
    }

    /// The promote-or-roll-back tasks still open on `service`'s contained gradual incidents: a
    /// rollback of the service that went through is the other way out, and closes them.
    public static func openTasks(of service: ServiceName, incidents: [(Incident, [IncidentTask])]) -> [IncidentTask] {
        contained(service, incidents).flatMap { _, tasks in
            tasks.filter { $0.id == PostRollbackWork.promoteOrRollBack && $0.isPending }
        }
    }

    /// The service's completed gradual incidents, newest first.
    private static func contained(
        _ service: ServiceName, _ incidents: [(Incident, [IncidentTask])]
    ) -> [(Incident, [IncidentTask])] {
        incidents
            .filter { incident, _ in
                incident.strategy == .gradual && incident.status == .completed && incident.services.contains(service)
            }
            .sorted { $0.0.id > $1.0.id }
    }
}

/// What a promote did: returned by the engine, the API (`POST /api/v1/promotions`) and
/// `rewind promote --output json`.
public struct PromotionResult: Sendable, Equatable, Codable {
    public var incidentID: Int64
    public var service: ServiceName
    /// The new version that now has all the traffic.
    public var deployment: Deployment
    /// What the promote step did (`succeeded`, or `already live` when it already had all the traffic).
    public var outcome: String
    /// The incident's promote-or-roll-back task, now done.
    public var task: IncidentTask

    public init(incidentID: Int64, service: ServiceName, deployment: Deployment, outcome: String, task: IncidentTask) {
        self.incidentID = incidentID
        self.service = service
        self.deployment = deployment
        self.outcome = outcome
        self.task = task
    }
}
