import GRDB
import RewindCore

/// Reads of the deployment ledger: deployments, the live one, automatic rollbacks, the freeze.
extension SQLiteStore {
    /// Oldest first (by `deployedAt`, then by when Rewind first recorded it: a merge keeps the row).
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

    public func liveSince(of service: ServiceName) async throws -> Timestamp? {
        try await read("read when the live deployment of \(service) went live") { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT l.live_since AS since, d.deployed_at AS deployed FROM services_live l
                        JOIN deployments d ON d.service = l.service AND d.id = l.deployment_id
                        WHERE l.service = ?
                        """,
                    arguments: [service.rawValue])
            else { return nil }
            let since: Int64? = row["since"]
            let deployed: Int64 = row["deployed"]
            return Timestamp(millisecondsSinceEpoch: since ?? deployed)
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

    public func automaticRollbacks(service: ServiceName, since: Timestamp) async throws -> [Timestamp] {
        try await read("read automatic rollbacks of \(service)") { db in
            try Int64.fetchAll(
                db, sql: "SELECT at FROM automatic_rollbacks WHERE service = ? AND at >= ? ORDER BY at, id",
                arguments: [service.rawValue, since.millisecondsSinceEpoch]
            ).map(Timestamp.init(millisecondsSinceEpoch:))
        }
    }

    public func currentFreeze() async throws -> Freeze? {
        try await read("read the deployment freeze") { db in
            try FreezeRow.fetchOne(db, key: FreezeRow.onlyID)?.freeze
        }
    }

    public func automationPauses() async throws -> [AutomationPause] {
        try await read("read the automation pauses") { db in
            // `*` (every service) sorts before any service name.
            try String.fetchAll(db, sql: "SELECT pause FROM automation_pauses ORDER BY scope").map {
                try JSONText.decode(AutomationPause.self, from: $0, what: "an automation pause")
            }
        }
    }
}
