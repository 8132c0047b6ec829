import RewindCore
import RewindPorts

/// What `rewind status` shows, from the daemon's API or straight from the database.
public struct StatusReport: Sendable, Codable, Equatable {
    public struct ServiceRow: Sendable, Codable, Equatable {
        public var service: ServiceName
        public var live: Deployment?
        public var knownGood: Deployment?
        public var checks: [CheckStatus]
        /// Metric signals (empty when the daemon is not running).
        public var signals: [SignalStatus] = []
    }

    /// Delivery health of one notification channel, from its recent outbox entries.
    public struct ChannelHealth: Sendable, Codable, Equatable {
        public var channel: String
        public var healthy: Bool
        public var lastSentAt: Timestamp?
        public var lastFailureAt: Timestamp?
        public var lastError: String?
        public var pending: Int
    }

    public var mode: Mode
    public var daemon: Bool
    public var services: [ServiceRow]
    public var openIncidents: [Incident]
    public var freeze: Freeze?
    public var channels: [ChannelHealth]
    /// Monitoring sources and whether they answer (Prometheus, probe commands).
    public var monitoring: [MonitoringStatus] = []
    public var generatedAt: Timestamp

    enum CodingKeys: String, CodingKey {
        case mode, daemon, services, openIncidents = "open_incidents", freeze, channels, monitoring, generatedAt = "generated_at"
    }
}

/// One incident with everything recorded about it, for `rewind incidents show` and its report.
public struct IncidentDetail: Sendable, Codable, Equatable {
    public var incident: Incident
    public var timeline: [TimelineEvent]
    public var steps: [StepRecord]
    public var tasks: [IncidentTask]
    public var escalations: [EscalationTimer]
    public var notifications: [OutboxEntry]
    public var samples: [Observation]

    public var dossier: IncidentDossier {
        IncidentDossier(incident: incident, timeline: timeline, tasks: tasks, escalations: escalations,
                        notifications: notifications, samples: samples)
    }
}

/// Read-only views over the store, shared by the API and the CLI's offline path.
public enum StateQueries {
    public static func status(
        store: any RewindStore, policy: Policy, checks: [CheckStatus], signals: [SignalStatus] = [], monitoring: [MonitoringStatus] = [],
        daemon: Bool, now: Timestamp
    ) async throws -> StatusReport {
        var rows: [StatusReport.ServiceRow] = []
        for service in policy.services {
            let deployments = try await store.deployments(of: service.name)
            let live = try await store.liveDeployment(of: service.name)
            let knownGood = deployments.filter { $0.trust == .knownGood }.max { $0.deployedAt < $1.deployedAt }
            rows.append(.init(service: service.name, live: live, knownGood: knownGood, checks: checks.filter { $0.service == service.name },
                              signals: signals.filter { $0.service == service.name }))
        }
        let freeze = try await store.currentFreeze().flatMap { $0.isActive(at: now) ? $0 : nil }
        return StatusReport(mode: policy.mode, daemon: daemon, services: rows, openIncidents: try await store.openIncidents(), freeze: freeze,
                            channels: channelHealth(try await store.recentOutbox(limit: 500)), monitoring: monitoring, generatedAt: now)
    }

    /// A channel is unhealthy when its newest finished entry failed.
    static func channelHealth(_ entries: [OutboxEntry]) -> [StatusReport.ChannelHealth] {
        Dictionary(grouping: entries, by: \.channel).map { channel, entries in
            let sent = entries.filter { $0.status == .sent }.compactMap(\.sentAt).max()
            let failed = entries.filter { $0.status == .failed }.max { $0.id < $1.id }
            let newestFinished = entries.filter { $0.status != .pending }.max { $0.id < $1.id }
            return StatusReport.ChannelHealth(
                channel: channel, healthy: newestFinished?.status != .failed, lastSentAt: sent,
                lastFailureAt: failed.map { $0.sentAt ?? $0.nextAttemptAt }, lastError: failed?.lastError,
                pending: entries.filter { $0.status == .pending }.count)
        }.sorted { $0.channel < $1.channel }
    }

    public static func incident(store: any RewindStore, id: Int64) async throws -> IncidentDetail? {
        guard let incident = try await store.incident(id: id) else { return nil }
        return IncidentDetail(
            incident: incident, timeline: try await store.timeline(incidentID: id), steps: try await store.steps(incidentID: id),
            tasks: try await store.tasks(incidentID: id), escalations: try await store.escalations(incidentID: id),
            notifications: try await store.outbox(incidentID: id), samples: try await store.samples(incidentID: id))
    }
}
