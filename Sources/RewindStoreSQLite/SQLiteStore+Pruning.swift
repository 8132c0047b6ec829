import GRDB
import RewindCore
import RewindPorts

/// Retention: the pruning pass, and the bounded read of a service's deployments.
extension SQLiteStore {
    public func prune(_ retention: RetentionPolicy, now: Timestamp) async throws -> PruneReport {
        let horizon = (now - retention.closedIncidents).millisecondsSinceEpoch
        let newest = retention.deploymentsPerService
        return try await write("prune what retention no longer keeps") { db in
            var report = PruneReport()
            let expired = try Int64.fetchAll(
                db,
                sql: """
                    SELECT id FROM incidents i WHERE status != 'open' AND closed_at IS NOT NULL AND closed_at < ?
                    AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.incident_id = i.id AND o.status = 'pending')
                    AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.incident_id = i.id AND e.state = 'pending')
                    """,
                arguments: [horizon])
            for id in expired {
                for table in ["timeline", "steps", "tasks", "samples", "outbox", "escalations"] {
                    try db.execute(sql: "DELETE FROM \(table) WHERE incident_id = ?", arguments: [id])
                }
                try db.execute(sql: "DELETE FROM incidents WHERE id = ?", arguments: [id])
            }
            report.incidents = expired.count
            try db.execute(sql: "DELETE FROM automatic_rollbacks WHERE at < ?", arguments: [horizon])
            report.automaticRollbacks = db.changesCount
            try db.execute(
                sql: "DELETE FROM outbox WHERE incident_id = ? AND status != 'pending' AND next_attempt_at < ?",
                arguments: [Notice.noIncidentID, horizon])
            report.notices = db.changesCount
            let guarded = Set(
                try IncidentRow.fetchAll(db, sql: "SELECT * FROM incidents WHERE status = 'open'").flatMap(
                    \.incident.services))
            for service in try String.fetchAll(db, sql: "SELECT DISTINCT service FROM deployments") {
                guard !guarded.contains(ServiceName(service)) else { continue }
                let rows = try DeploymentRow.fetchAll(
                    db, sql: "SELECT * FROM deployments WHERE service = ? ORDER BY deployed_at, rowid",
                    arguments: [service]
                ).map(\.deployment)
                guard rows.count > newest else { continue }
                let live = try String.fetchOne(
                    db, sql: "SELECT deployment_id FROM services_live WHERE service = ?", arguments: [service])
                let kept = DeploymentRetention.kept(rows, liveID: live, newest: newest)
                for deployment in rows where !kept.contains(deployment.id) {
                    try db.execute(
                        sql: "DELETE FROM deployments WHERE service = ? AND id = ?",
                        arguments: [service, deployment.id])
                    report.deployments += 1
                }
            }
            return report
        }
    }

    /// Reads the newest `limit` rows, the live one, and the newest `limit` candidates for each
    /// rollback target (known good; not bad and not newer than the live one), then applies
    /// ``DeploymentRetention`` to them: the same answer as filtering every row, from at most
    /// 4 × `limit` + 1 rows.
    public func recentDeployments(of service: ServiceName, limit: Int) async throws -> [Deployment] {
        try await read("read the recent deployments of \(service)") { db in
            let rows = try DeploymentRow.fetchAll(
                db,
                sql: """
                    WITH live AS (
                        SELECT d.id, d.deployed_at FROM services_live l
                        JOIN deployments d ON d.service = l.service AND d.id = l.deployment_id WHERE l.service = :service
                    )
                    SELECT * FROM deployments WHERE service = :service AND (
                        id IN (SELECT id FROM live)
                        OR rowid IN (SELECT rowid FROM deployments WHERE service = :service
                                     ORDER BY deployed_at DESC, rowid DESC LIMIT :limit)
                        OR rowid IN (SELECT rowid FROM deployments WHERE service = :service AND trust = 'known_good'
                                     ORDER BY deployed_at DESC, rowid DESC LIMIT :limit)
                        OR rowid IN (SELECT rowid FROM deployments WHERE service = :service AND trust != 'bad'
                                     AND deployed_at <= (SELECT deployed_at FROM live)
                                     ORDER BY deployed_at DESC, rowid DESC LIMIT :limit)
                        OR rowid IN (SELECT rowid FROM deployments WHERE service = :service AND trust = 'known_good'
                                     AND deployed_at <= (SELECT deployed_at FROM live)
                                     ORDER BY deployed_at DESC, rowid DESC LIMIT :limit))
                    ORDER BY deployed_at, rowid
                    """,
                arguments: ["service": service.rawValue, "limit": max(limit, 1)]
            ).map(\.deployment)
            let live = try String.fetchOne(
                db, sql: "SELECT deployment_id FROM services_live WHERE service = ?", arguments: [service.rawValue])
            return DeploymentRetention.retained(rows, liveID: live, newest: limit)
        }
    }
}
