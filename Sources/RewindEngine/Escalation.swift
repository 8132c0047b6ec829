import Logging
import Metrics
import RewindCore
import RewindPorts

/// Persisted escalation timers: each fires once at its time unless the incident was acknowledged
/// or completed first. A restart keeps the schedule (the timers live in the store).
extension RewindEngine {
    func scheduleEscalation(_ moment: EscalationPlanner.Moment, incidentID: Int64) async {
        let timers = EscalationPlanner.timers(for: moment, incidentID: incidentID, at: deps.clock.now, policy: deps.policy.escalation)
        guard !timers.isEmpty else { return }
        do {
            try await deps.store.schedule(timers)
            let plan = timers.map { "\($0.audience.rawValue) at +\(($0.dueAt - deps.clock.now).rewindDescription)" }.joined(separator: ", ")
            try await append(incidentID, .escalation, "\(timers[0].policy.rawValue) escalation scheduled: \(plan) (\(timers[0].reason)); acknowledging stops it")
        } catch {
            logFailure("could not schedule escalation", error, incident: incidentID)
        }
    }

    /// The guide: a security trigger notifies the security team at once. The page is a timer due now,
    /// fired straight away, so it is recorded like every escalation and a quick rollback cannot cancel it.
    func notifySecurityTeam(_ incidentID: Int64) async {
        await scheduleEscalation(.securityTrigger, incidentID: incidentID)
        await fireDueEscalations()
    }

    func stopEscalation(incidentID: Int64, because reason: String) async {
        if let cancelled = try? await deps.store.cancelEscalations(incidentID: incidentID), cancelled > 0 {
            try? await append(incidentID, .escalation, "escalation stopped (\(cancelled) pending): \(reason)")
        }
    }

    func escalationTicker() async throws {
        while true {
            await fireDueEscalations()
            try await deps.clock.sleep(for: deps.outboxInterval)
        }
    }

    func fireDueEscalations() async {
        guard let due = try? await deps.store.dueEscalations(now: deps.clock.now) else { return }
        for var timer in due {
            guard let incident = try? await deps.store.incident(id: timer.incidentID) else { continue }
            if incident.acknowledgedAt != nil || incident.status == .completed || incident.status == .observed {
                timer.state = .cancelled
                try? await deps.store.updateEscalation(timer)
                continue
            }
            timer.state = .fired
            try? await deps.store.updateEscalation(timer)
            Counter(label: "rewind_escalations_fired_total", dimensions: [("audience", timer.audience.rawValue), ("policy", timer.policy.rawValue)]).increment()
            try? await append(timer.incidentID, .escalation, "escalated to \(timer.audience.rawValue) (\(timer.policy.rawValue): \(timer.reason))")
            let runner = IncidentRunner(engine: self, incident: incident)
            var notice = runner.makeNotice(.escalated, machine: nil, progress: .init(), error: "\(timer.reason); not acknowledged yet")
            notice.audience = timer.audience
            notice.status = "escalated to \(timer.audience.rawValue)"
            await announce(notice, to: channels(for: timer.audience))
        }
    }
}
