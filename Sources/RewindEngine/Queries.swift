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
        /// With `ha.shards`: the service's shard, and the replica holding it — the one that watches the service (its
        /// checks and signals above are as that replica last published them, when it is not the one answering).
        public var shard: Int? = nil
        public var watchedBy: String? = nil
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
    /// Automation paused by an operator (`rewind pause`); nil from a daemon that predates pausing.
    public var automationPauses: [AutomationPause]? = nil
    public var channels: [ChannelHealth]
    /// Monitoring sources and whether they answer (Prometheus, probe commands).
    public var monitoring: [MonitoringStatus] = []
    public var generatedAt: Timestamp
    /// Whether the daemon that answered holds the writer lease and acts (nil without a daemon).
    public var leader: Bool?
    /// The answering daemon's instance id in the writer lease.
    public var instance: String?
    /// The writer lease's epoch while the answering daemon leads.
    public var epoch: Int64?
    /// On a standby: the instance that leads.
    public var leaderInstance: String?
    /// On a standby: the leader's advertised URL (`server.advertise_url`), where changes go.
    public var leaderURL: String?
    /// The daemon's configuration file and its last reload (nil when read from the database).
    public var config: ConfigStatus? = nil
    /// With `ha.shards` above 1: every shard and the replica holding it, as the answering daemon last read them.
    public var shards: [ShardStatus]? = nil

    enum CodingKeys: String, CodingKey {
        case mode, daemon, services
        case openIncidents = "open_incidents"
        case freeze, channels, monitoring
        case automationPauses = "automation_pauses"
        case generatedAt = "generated_at"
        case leader, instance, epoch, config, shards
        case leaderInstance = "leader_instance"
        case leaderURL = "leader_url"
    }

    /// The report with the answering daemon's place among the replicas.
    /// The report as the daemon answering it sees things: its lease and, with `ha.shards` (`assignment`), which
    /// replica watches each service.
    public func answered(by health: EngineHealth, assignment: ShardAssignment = .single) -> StatusReport {
        var report = self
        if assignment.count > 1, let shards = health.shards {
            let holders = Dictionary(uniqueKeysWithValues: shards.map { ($0.shard, $0.holder) })
            for index in report.services.indices {
                let shard = assignment.shard(of: report.services[index].service)
                report.services[index].shard = shard
                report.services[index].watchedBy = holders[shard] ?? nil
            }
        }
        report.leader = health.leader
        report.instance = health.instance
        report.epoch = health.epoch
        report.leaderInstance = health.leaderInstance
        report.leaderURL = health.leaderURL
        report.shards = health.shards
        return report
    }
}

/// Read-only views over the store, shared by the API and the CLI's offline path.
public enum StateQueries {
    public static func status(
        store: any RewindStore, policy: Policy, checks: [CheckStatus], signals: [SignalStatus] = [],
        monitoring: [MonitoringStatus] = [],
        daemon: Bool, now: Timestamp, config: ConfigStatus? = nil
    ) async throws -> StatusReport {
        var rows: [StatusReport.ServiceRow] = []
        for service in policy.services {
            let deployments = try await store.deployments(of: service.name)
            let live = try await store.liveDeployment(of: service.name)
            let knownGood = deployments.filter { $0.trust == .knownGood }.max { $0.deployedAt < $1.deployedAt }
            rows.append(
                .init(
                    service: service.name, live: live, knownGood: knownGood,
                    checks: checks.filter { $0.service == service.name },
                    signals: signals.filter { $0.service == service.name }))
        }
        let freeze = try await store.currentFreeze().flatMap { $0.isActive(at: now) ? $0 : nil }
        return StatusReport(
            mode: policy.mode, daemon: daemon, services: rows, openIncidents: try await store.openIncidents(),
            freeze: freeze, automationPauses: try await store.automationPauses(),
            channels: channelHealth(try await store.recentOutbox(limit: 500)), monitoring: monitoring, generatedAt: now,
            config: config)
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

    /// One incident with everything recorded about it, for `rewind incidents show` and its report.
    public static func incident(store: any RewindStore, id: Int64) async throws -> IncidentDossier? {
        guard let incident = try await store.incident(id: id) else { return nil }
        return IncidentDossier(
            incident: incident, timeline: try await store.timeline(incidentID: id),
            steps: try await store.steps(incidentID: id),
            tasks: try await store.tasks(incidentID: id), escalations: try await store.escalations(incidentID: id),
            notifications: try await store.outbox(incidentID: id), samples: try await store.samples(incidentID: id))
    }
}
