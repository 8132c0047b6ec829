import RewindCore
import RewindPorts

/// What `rewind status` shows, from the daemon's API or straight from the database.
public struct StatusReport: Sendable, Codable, Equatable {
    public struct ServiceRow: Sendable, Codable, Equatable {
        public var service: ServiceName
        public var live: Deployment?
        public var knownGood: Deployment?
        public var checks: [CheckStatus]
    }

    public var mode: Mode
    public var daemon: Bool
    public var services: [ServiceRow]
    public var openIncidents: [Incident]
    public var freeze: Freeze?
    public var generatedAt: Timestamp

    enum CodingKeys: String, CodingKey {
        case mode, daemon, services, openIncidents = "open_incidents", freeze, generatedAt = "generated_at"
    }
}

/// One incident with its timeline, for `rewind incidents show`.
public struct IncidentDetail: Sendable, Codable, Equatable {
    public var incident: Incident
    public var timeline: [TimelineEvent]
    public var steps: [StepRecord]
}

/// Read-only views over the store, shared by the API and the CLI's offline path.
public enum StateQueries {
    public static func status(store: any RewindStore, policy: Policy, checks: [CheckStatus], daemon: Bool, now: Timestamp) async throws -> StatusReport {
        var rows: [StatusReport.ServiceRow] = []
        for service in policy.services {
            let deployments = try await store.deployments(of: service.name)
            let live = try await store.liveDeployment(of: service.name)
            let knownGood = deployments.filter { $0.trust == .knownGood }.max { $0.deployedAt < $1.deployedAt }
            rows.append(.init(service: service.name, live: live, knownGood: knownGood, checks: checks.filter { $0.service == service.name }))
        }
        let freeze = try await store.currentFreeze().flatMap { $0.isActive(at: now) ? $0 : nil }
        return StatusReport(mode: policy.mode, daemon: daemon, services: rows, openIncidents: try await store.openIncidents(), freeze: freeze, generatedAt: now)
    }

    public static func incident(store: any RewindStore, id: Int64) async throws -> IncidentDetail? {
        guard let incident = try await store.incident(id: id) else { return nil }
        return IncidentDetail(incident: incident, timeline: try await store.timeline(incidentID: id), steps: try await store.steps(incidentID: id))
    }
}
