import GRDB
import RewindCore

extension SQLiteStore {
    /// Upserts by (service, id), merging with what is stored by ``DeploymentRecordMerge``, and
    /// when `makeLive` records it as the service's live deployment — in one transaction.
    public func recordDeployment(_ deployment: Deployment, makeLive: Bool) async throws {
        try await write("record deployment \(deployment.service)/\(deployment.id)") { db in
            let stored = try DeploymentRow.find(db, service: deployment.service, id: deployment.id)
            let merged = stored.map { DeploymentRecordMerge.merge(stored: $0.deployment, incoming: deployment) }
            try DeploymentRow(merged ?? deployment).save(db)
            if makeLive {
                try Self.makeLive(db, service: deployment.service, deploymentID: deployment.id)
            }
        }
    }

    /// Oldest first (by `deployedAt`, then by when Rewind first recorded it).
    public func deployments(of service: ServiceName) async throws -> [Deployment] {
        try await read("read the deployments of \(service)") { db in
            try DeploymentRow
                .fetchAll(
                    db, sql: "SELECT * FROM deployments WHERE service = ? ORDER BY deployed_at, rowid",
                    arguments: [service.rawValue]
                )
                .map(\.deployment)
        }
    }

    public func liveDeployment(of service: ServiceName) async throws -> Deployment? {
        try await read("read the live deployment of \(service)") { db in
            try DeploymentRow.fetchOne(
                db,
                sql: """
                    SELECT d.* FROM services_live l
                    JOIN deployments d ON d.service = l.service AND d.id = l.deployment_id
                    WHERE l.service = ?
                    """,
                arguments: [service.rawValue]
            )?.deployment
        }
    }

    /// Throws `store_not_found` when the deployment was never recorded.
    public func setLive(service: ServiceName, deploymentID: String) async throws {
        let path = path
        try await write("record the live deployment of \(service)") { db in
            guard try DeploymentRow.find(db, service: service, id: deploymentID) != nil else {
                throw StoreError.notFound("deployment \(service)/\(deploymentID)", path: path)
            }
            try Self.makeLive(db, service: service, deploymentID: deploymentID)
        }
    }

    /// Sets the trust explicitly (any transition is allowed here, unlike `recordDeployment`).
    /// `knownGood` stamps `knownGoodAt` with `at`; `suspect` clears it; `bad` keeps it as history.
    /// Throws `store_not_found` when the deployment was never recorded.
    public func setTrust(
        service: ServiceName, deploymentID: String, trust: DeploymentTrust, at: Timestamp
    ) async throws {
        let path = path
        try await write("set the trust of deployment \(service)/\(deploymentID)") { db in
            guard var row = try DeploymentRow.find(db, service: service, id: deploymentID) else {
                throw StoreError.notFound("deployment \(service)/\(deploymentID)", path: path)
            }
            row.deployment.trust = trust
            switch trust {
            case .knownGood: row.deployment.knownGoodAt = at
            case .suspect: row.deployment.knownGoodAt = nil
            case .bad: break
            }
            try row.update(db)
        }
    }

    private static func makeLive(_ db: Database, service: ServiceName, deploymentID: String) throws {
        try db.execute(
            sql: """
                INSERT INTO services_live (service, deployment_id) VALUES (?, ?)
                ON CONFLICT (service) DO UPDATE SET deployment_id = excluded.deployment_id
                """,
            arguments: [service.rawValue, deploymentID])
    }
}

/// How `recordDeployment` combines a deployment Rewind records again (a platform listing seen
/// after a restart, a deploy webhook repeated) with what it already stored.
///
/// Re-recording must never make Rewind forget what it learnt by watching:
/// - trust: a new `bad` always wins (a trigger fired); a stored `bad` stays `bad` (a re-listed
///   rolled-back deployment must not become a rollback target again); otherwise the stronger of
///   the two, `knownGood` over `suspect`. Only `setTrust` can lower trust.
/// - `knownGoodAt`: the stored one if there is one, else the incoming one; cleared only if the
///   merged trust is `suspect`.
/// - `deployedAt`: the earlier of the two (the earliest time Rewind knows for it).
/// - `version`: the incoming one; `commit` and `author`: the incoming ones, unless missing.
enum DeploymentRecordMerge {
    static func merge(stored: Deployment, incoming: Deployment) -> Deployment {
        var merged = incoming
        merged.trust = mergedTrust(stored: stored.trust, incoming: incoming.trust)
        merged.knownGoodAt = merged.trust == .suspect ? nil : (stored.knownGoodAt ?? incoming.knownGoodAt)
        merged.deployedAt = min(stored.deployedAt, incoming.deployedAt)
        merged.commit = incoming.commit ?? stored.commit
        merged.author = incoming.author ?? stored.author
        return merged
    }

    static func mergedTrust(stored: DeploymentTrust, incoming: DeploymentTrust) -> DeploymentTrust {
        switch (stored, incoming) {
        case (_, .bad), (.bad, _): .bad
        case (.knownGood, _), (_, .knownGood): .knownGood
        case (.suspect, .suspect): .suspect
        }
    }
}
