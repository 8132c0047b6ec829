import RewindCore

extension StateChange {
    /// Throws ``InvalidStateChange`` when the change refers to ``newIncidentID`` but creates no
    /// incident.
    public func requirePlaceholderUse() throws {
        guard newIncident == nil else { return }
        var used = false
        _ = mappingIncidentIDs { id in
            if id == Self.newIncidentID { used = true }
            return id
        }
        if used { throw InvalidStateChange.placeholderWithoutNewIncident(summary) }
    }

    /// The change with ``newIncidentID`` replaced by `id` in every incident id field, and without
    /// ``newIncident`` (it is created).
    public func replacingPlaceholder(with id: Int64) -> StateChange {
        var resolved = mappingIncidentIDs { $0 == Self.newIncidentID ? id : $0 }
        resolved.newIncident = nil
        return resolved
    }

    /// Every incident id field of the change, through `transform`.
    private func mappingIncidentIDs(_ transform: (Int64) -> Int64) -> StateChange {
        var mapped = self
        mapped.incidentUpdate = incidentUpdate.map { with($0) { $0.id = transform($0.id) } }
        mapped.timeline = timeline.map { with($0) { $0.incidentID = transform($0.incidentID) } }
        mapped.steps = steps.map { with($0) { $0.incidentID = transform($0.incidentID) } }
        func entry(_ entry: OutboxEntry) -> OutboxEntry {
            with(entry) {
                $0.incidentID = transform($0.incidentID)
                $0.notice.incidentID = transform($0.notice.incidentID)
            }
        }
        mapped.outbox = outbox.map(entry)
        mapped.outboxUpdates = outboxUpdates.map(entry)
        mapped.timerUpdates = timerUpdates.map { with($0) { $0.incidentID = transform($0.incidentID) } }
        mapped.cancelTimersOfIncident = cancelTimersOfIncident.map(transform)
        mapped.newTimers = newTimers.map { with($0) { $0.incidentID = transform($0.incidentID) } }
        mapped.tasks = tasks.map { with($0) { $0.incidentID = transform($0.incidentID) } }
        mapped.taskUpdates = taskUpdates.map { with($0) { $0.incidentID = transform($0.incidentID) } }
        mapped.samples = samples.map { with($0) { $0.incidentID = transform($0.incidentID) } }
        if case .set(var freeze) = freeze {
            freeze.incidentID = freeze.incidentID.map(transform)
            mapped.freeze = .set(freeze)
        }
        return mapped
    }

    /// A short phrase naming what the change writes ("a new incident, 2 timeline events and 1
    /// notification"), for error messages.
    public var summary: String {
        func count(_ number: Int, _ one: String, _ many: String) -> String? {
            switch number {
            case 0: nil
            case 1: "1 \(one)"
            default: "\(number) \(many)"
            }
        }
        let parts = [
            newIncident == nil ? nil : "a new incident",
            incidentUpdate.map { "the update of incident \($0.id)" },
            count(timeline.count, "timeline event", "timeline events"),
            count(steps.count, "step record", "step records"),
            count(outbox.count, "notification", "notifications"),
            count(outboxUpdates.count, "notification update", "notification updates"),
            count(timerUpdates.count, "escalation update", "escalation updates"),
            cancelTimersOfIncident.map { "the cancellation of incident \($0)'s escalations" },
            count(newTimers.count, "escalation", "escalations"),
            count(tasks.count, "task", "tasks"),
            count(taskUpdates.count, "task update", "task updates"),
            count(samples.reduce(0) { $0 + $1.observations.count }, "sample", "samples"),
            freeze.map { $0 == .clear ? "the end of the deployment freeze" : "a deployment freeze" },
            count(automation.count, "automation pause or resume", "automation pauses or resumes"),
            count(deployments.count, "deployment", "deployments"),
            count(liveSwitches.count, "live deployment", "live deployments"),
            count(trustChanges.count, "trust change", "trust changes"),
            count(automaticRollbacks.count, "automatic rollback", "automatic rollbacks"),
        ].compactMap { $0 }
        guard let last = parts.last else { return "nothing" }
        return parts.count == 1 ? last : parts.dropLast().joined(separator: ", ") + " and " + last
    }
}

/// `value`, changed by `change`.
private func with<Value>(_ value: Value, _ change: (inout Value) -> Void) -> Value {
    var value = value
    change(&value)
    return value
}
