import PostgresNIO
import RewindCore
import RewindPorts

/// Retention: the pruning pass, and the bounded read of a service's deployments.
extension PostgresStore {
    public func prune(_ retention: RetentionPolicy, now: Timestamp) async throws -> PruneReport {
        let horizon = (now - retention.closedIncidents).millisecondsSinceEpoch
        let newest = retention.deploymentsPerService
        return try await write("prune what retention no longer keeps") { session in
            var report = PruneReport()
            let incidents = try await session.values(
                Incident.self, "SELECT incident FROM incidents WHERE status != 'open'", what: "an incident")
            let pending = Set(
                try await session.integers("SELECT incident_id FROM outbox WHERE status = 'pending'")
                    + session.integers("SELECT incident_id FROM escalations WHERE state = 'pending'"))
            let expired = incidents.filter { incident in
                guard let closed = incident.closedAt else { return false }
                return closed.millisecondsSinceEpoch < horizon && !pending.contains(incident.id)
            }.map(\.id)
            for id in expired {
                try await session.run("DELETE FROM timeline WHERE incident_id = \(id)")
                try await session.run("DELETE FROM steps WHERE incident_id = \(id)")
                try await session.run("DELETE FROM tasks WHERE incident_id = \(id)")
                try await session.run("DELETE FROM samples WHERE incident_id = \(id)")
                try await session.run("DELETE FROM outbox WHERE incident_id = \(id)")
                try await session.run("DELETE FROM escalations WHERE incident_id = \(id)")
                try await session.run("DELETE FROM incidents WHERE id = \(id)")
            }
            report.incidents = expired.count
            report.automaticRollbacks = try await session.integers(
                "DELETE FROM automatic_rollbacks WHERE at < \(horizon) RETURNING seq"
            ).count
            report.notices = try await session.integers(
                """
                DELETE FROM outbox WHERE incident_id = \(Notice.noIncidentID) AND status != 'pending'
                AND next_attempt_at < \(horizon) RETURNING id
                """
            ).count
            let guarded = Set(
                try await session.values(
                    Incident.self, "SELECT incident FROM incidents WHERE status = 'open'", what: "an incident"
                )
                .flatMap(\.services))
            for service in try await session.texts("SELECT DISTINCT service FROM deployments ORDER BY service") {
                guard !guarded.contains(ServiceName(service)) else { continue }
                let rows = try await session.values(
                    Deployment.self,
                    "SELECT deployment FROM deployments WHERE service = \(service) ORDER BY deployed_at, seq",
                    what: "a deployment of \(service)")
                guard rows.count > newest else { continue }
                let live = try await session.texts("SELECT deployment_id FROM services_live WHERE service = \(service)")
                    .first
                let kept = DeploymentRetention.kept(rows, liveID: live, newest: newest)
                for deployment in rows where !kept.contains(deployment.id) {
                    try await session.run(
                        "DELETE FROM deployments WHERE service = \(service) AND id = \(deployment.id)")
                    report.deployments += 1
                }
            }
            return report
        }
    }

    /// The deployments ``DeploymentRetention`` keeps of a service. The rule needs each deployment's
    /// trust, which lives in the row's JSON here, so the rows are read and filtered by the same
    /// rule as everywhere: correct, but it reads every row of the service (bounded by pruning).
    public func recentDeployments(of service: ServiceName, limit: Int) async throws -> [Deployment] {
        try await read("read the recent deployments of \(service)") { session in
            let rows = try await session.values(
                Deployment.self,
                "SELECT deployment FROM deployments WHERE service = \(service.rawValue) ORDER BY deployed_at, seq",
                what: "a deployment of \(service)")
            let live = try await session.texts(
                "SELECT deployment_id FROM services_live WHERE service = \(service.rawValue)"
            ).first
            return DeploymentRetention.retained(rows, liveID: live, newest: limit)
        }
    }
}
