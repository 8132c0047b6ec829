import PostgresNIO
import RewindCore

/// Reads of the deployment ledger: deployments, the live one, automatic rollbacks, the freeze.
extension PostgresStore {
    /// Oldest first (by `deployedAt`, then by when Rewind first recorded it: a merge keeps the row).
    public func deployments(of service: ServiceName) async throws -> [Deployment] {
        try await read("read the deployments of \(service)") { session in
            try await session.values(
                Deployment.self,
                "SELECT deployment FROM deployments WHERE service = \(service.rawValue) ORDER BY deployed_at, seq",
                what: "a deployment of \(service)")
        }
    }

    public func liveDeployment(of service: ServiceName) async throws -> Deployment? {
        try await read("read the live deployment of \(service)") { session in
            try await session.values(
                Deployment.self,
                """
                SELECT d.deployment FROM services_live l
                JOIN deployments d ON d.service = l.service AND d.id = l.deployment_id
                WHERE l.service = \(service.rawValue)
                """,
                what: "the live deployment of \(service)"
            ).first
        }
    }

    public func liveSince(of service: ServiceName) async throws -> Timestamp? {
        try await read("read when the live deployment of \(service) went live") { session in
            try await session.integers("SELECT live_since FROM services_live WHERE service = \(service.rawValue)")
                .first.map(Timestamp.init(millisecondsSinceEpoch:))
        }
    }

    public func automaticRollbacks(service: ServiceName, since: Timestamp) async throws -> [Timestamp] {
        try await read("read automatic rollbacks of \(service)") { session in
            try await session.integers(
                """
                SELECT at FROM automatic_rollbacks WHERE service = \(service.rawValue) AND at >= \(since.millisecondsSinceEpoch)
                ORDER BY at, seq
                """
            ).map(Timestamp.init(millisecondsSinceEpoch:))
        }
    }

    public func currentFreeze() async throws -> Freeze? {
        try await read("read the deployment freeze") { session in
            try await session.values(
                Freeze.self, "SELECT value FROM deployment_freeze WHERE id = 1", what: "the deployment freeze"
            ).first
        }
    }

    public func automationPauses() async throws -> [AutomationPause] {
        try await read("read the automation pauses") { session in
            // `*` (every service) sorts before any service name.
            try await session.values(
                AutomationPause.self, "SELECT value FROM automation_pauses ORDER BY scope",
                what: "the automation pauses")
        }
    }
}
