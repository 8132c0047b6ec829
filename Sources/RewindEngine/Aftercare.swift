import Logging
import RewindCore
import RewindPorts
import Synchronization

/// What happens around and after an incident: acknowledgement, the freeze of the immediate
/// escalation, the guide's post-rollback tasks, and the samples its report charts.
extension RewindEngine {
    func acknowledge(_ id: Int64, by: String) async -> Result<Incident, EngineRefusal> {
        do {
            guard var incident = try await deps.store.incident(id: id) else {
                return .failure(EngineRefusal(code: "not_found", message: "there is no incident #\(id)"))
            }
            if let at = incident.acknowledgedAt {
                return .failure(EngineRefusal(code: "already_acknowledged", message: "incident #\(id) was acknowledged by \(incident.acknowledgedBy ?? "someone") at \(at)"))
            }
            incident.acknowledgedAt = deps.clock.now
            incident.acknowledgedBy = by
            try await deps.store.updateIncident(incident)
            try await append(id, .acknowledged, "acknowledged by \(by)")
            await stopEscalation(incidentID: id, because: "acknowledged by \(by)")
            return .success(incident)
        } catch {
            return .failure(EngineRefusal(code: "store_failed", message: deps.redactor.redact("could not acknowledge incident #\(id): \(error)")))
        }
    }

    /// The immediate escalation freezes all deployments.
    func freezeAll(incidentID: Int64, reason: String) async {
        let now = deps.clock.now
        let until = now + deps.policy.strategies.immediateFreeze
        do {
            if let existing = try await deps.store.currentFreeze(), existing.isActive(at: now), existing.until >= until { return }
            try await deps.store.setFreeze(Freeze(until: until, reason: "incident #\(incidentID): \(reason)", setAt: now, incidentID: incidentID))
            try await append(incidentID, .freeze, "all deployments frozen until \(until): \(reason)")
        } catch {
            logFailure("could not freeze deployments", error, incident: incidentID)
        }
    }

    /// Records the post-rollback tasks and the samples around the incident.
    func closeOut(_ incident: Incident) async {
        guard incident.status != .observed else { return }
        let now = deps.clock.now
        do {
            try await deps.store.addTasks(PostRollbackWork.tasks(
                incidentID: incident.id, at: now, postMortemWithin: deps.policy.escalation.postMortemWithin, strategy: incident.strategy,
                canaryAnalysis: deps.policy.strategies.canaryAnalysis))
            let from = incident.openedAt - .seconds(300)
            let samples = recentObservations(of: Set(incident.services), from: from, to: now)
            try await deps.store.recordSamples(incidentID: incident.id, samples)
        } catch {
            logFailure("could not record the post-rollback work", error, incident: incident.id)
        }
    }

    /// Keeps the last minutes of observations per service, for reports.
    func remember(_ observation: Observation) {
        recent.withLock { recent in
            var list = recent[observation.service, default: []]
            list.append(observation)
            if list.count > Self.samplesKept { list.removeFirst(list.count - Self.samplesKept) }
            recent[observation.service] = list
        }
    }

    static let samplesKept = 2000

    func recentObservations(of services: Set<ServiceName>, from: Timestamp, to: Timestamp) -> [Observation] {
        recent.withLock { recent in
            services.flatMap { recent[$0] ?? [] }.filter { $0.at >= from && $0.at <= to }.sorted { $0.at < $1.at }
        }
    }

    public func updateTask(incidentID: Int64, taskID: String, state: IncidentTask.State, note: String?) async throws -> IncidentTask {
        guard var task = try await deps.store.tasks(incidentID: incidentID).first(where: { $0.id == taskID }) else {
            throw EngineRefusal(code: "not_found", message: "incident #\(incidentID) has no task \(taskID)")
        }
        task.state = state
        task.note = note ?? task.note
        task.updatedAt = deps.clock.now
        try await deps.store.updateTask(task)
        try await append(incidentID, .task, "task \(taskID) is now \(state.rawValue)" + (note.map { ": \($0)" } ?? ""))
        return task
    }
}
