import RewindCore

extension MemoryTables {
    /// ``StatePruning/prune(_:now:)`` on the tables.
    mutating func prune(_ retention: RetentionPolicy, now: Timestamp) -> PruneReport {
        let horizon = now - retention.closedIncidents
        let busy = Set(outbox.filter { $0.status == .pending }.map(\.incidentID))
            .union(timers.filter { $0.state == .pending }.map(\.incidentID))
        let expired = Set(
            incidents.values
                .filter { !$0.status.isOpen && !busy.contains($0.id) && ($0.closedAt.map { $0 < horizon } ?? false) }
                .map(\.id))
        var report = PruneReport(incidents: expired.count)
        if !expired.isEmpty {
            for id in expired {
                incidents[id] = nil
                tasks[id] = nil
                samples[id] = nil
            }
            timeline.removeAll { expired.contains($0.incidentID) }
            steps.removeAll { expired.contains($0.incidentID) }
            outbox.removeAll { expired.contains($0.incidentID) }
            timers.removeAll { expired.contains($0.incidentID) }
        }
        let settledNotices = outbox.count
        outbox.removeAll { entry in
            entry.incidentID == Notice.noIncidentID && entry.status != .pending && entry.nextAttemptAt < horizon
        }
        report.notices = settledNotices - outbox.count
        for service in automaticRollbacks.keys {
            let before = automaticRollbacks[service]?.count ?? 0
            automaticRollbacks[service]?.removeAll { $0 < horizon }
            report.automaticRollbacks += before - (automaticRollbacks[service]?.count ?? 0)
        }
        let guarded = Set(incidents.values.filter { $0.status.isOpen }.flatMap(\.services))
        for (service, rows) in deployments where !guarded.contains(service) {
            let kept = DeploymentRetention.retained(
                rows, liveID: live[service], newest: retention.deploymentsPerService)
            report.deployments += rows.count - kept.count
            deployments[service] = kept
        }
        return report
    }
}
