import RewindCore

extension MemoryStore {
    // MARK: - Deployment ledger

    public func deployments(of service: ServiceName) async throws -> [Deployment] {
        read { $0.deployments[service, default: []].stablySorted(by: \.deployedAt) }
    }

    public func recentDeployments(of service: ServiceName, limit: Int) async throws -> [Deployment] {
        read { tables in
            DeploymentRetention.retained(
                tables.deployments[service, default: []].stablySorted(by: \.deployedAt), liveID: tables.live[service],
                newest: limit)
        }
    }

    public func liveDeployment(of service: ServiceName) async throws -> Deployment? {
        read { tables in
            tables.live[service].flatMap { id in tables.deployments[service]?.first { $0.id == id } }
        }
    }

    public func liveSince(of service: ServiceName) async throws -> Timestamp? {
        read { tables in tables.live[service] == nil ? nil : tables.liveSince[service] }
    }

    public func automaticRollbacks(service: ServiceName, since: Timestamp) async throws -> [Timestamp] {
        read { $0.automaticRollbacks[service, default: []].filter { $0 >= since }.stablySorted(by: \.self) }
    }

    public func currentFreeze() async throws -> Freeze? {
        read(\.freeze)
    }

    public func automationPauses() async throws -> [AutomationPause] {
        read(\.automation.list)
    }

    // MARK: - Incident journal

    public func incident(id: Int64) async throws -> Incident? {
        read { $0.incidents[id] }
    }

    public func incidents(limit: Int) async throws -> [Incident] {
        read { tables in tables.incidents.keys.sorted(by: >).prefix(max(limit, 0)).compactMap { tables.incidents[$0] } }
    }

    public func openIncidents() async throws -> [Incident] {
        read { tables in tables.incidents.values.filter { $0.status == .open }.sorted { $0.id < $1.id } }
    }

    public func timeline(incidentID: Int64) async throws -> [TimelineEvent] {
        read { $0.timeline.filter { $0.incidentID == incidentID }.stablySorted(by: \.at) }
    }

    public func steps(incidentID: Int64) async throws -> [StepRecord] {
        read { tables in
            var order: [String] = []
            var latest: [String: StepRecord] = [:]
            for record in tables.steps where record.incidentID == incidentID {
                if latest[record.stepID] == nil { order.append(record.stepID) }
                latest[record.stepID] = record
            }
            return order.compactMap { latest[$0] }
        }
    }

    public func stepHistory(incidentID: Int64) async throws -> [StepRecord] {
        read { $0.steps.filter { $0.incidentID == incidentID } }
    }

    public func tasks(incidentID: Int64) async throws -> [IncidentTask] {
        read { $0.tasks[incidentID, default: []] }
    }

    public func overdueTasks(now: Timestamp) async throws -> [IncidentTask] {
        read { tables in
            tables.tasks.keys.sorted().flatMap { tables.tasks[$0, default: []] }
                .filter { TaskReminder.isDue($0, now: now) }
                .stablySorted { $0.dueAt ?? now }
        }
    }

    public func samples(incidentID: Int64) async throws -> [Observation] {
        read { $0.samples[incidentID, default: []].stablySorted(by: \.at) }
    }

    // MARK: - Outbox

    public func dueOutbox(now: Timestamp, limit: Int) async throws -> [OutboxEntry] {
        read { tables in
            Array(
                tables.outbox.filter { $0.status == .pending && $0.nextAttemptAt <= now }
                    .stablySorted(by: \.nextAttemptAt).prefix(max(limit, 0)))
        }
    }

    public func outbox(incidentID: Int64) async throws -> [OutboxEntry] {
        read { $0.outbox.filter { $0.incidentID == incidentID } }
    }

    public func recentOutbox(limit: Int) async throws -> [OutboxEntry] {
        read { Array($0.outbox.reversed().prefix(max(limit, 0))) }
    }

    // MARK: - Escalation timers

    public func dueEscalations(now: Timestamp) async throws -> [EscalationTimer] {
        read { $0.timers.filter { $0.state == .pending && $0.dueAt <= now }.stablySorted(by: \.dueAt) }
    }

    public func escalations(incidentID: Int64) async throws -> [EscalationTimer] {
        read { $0.timers.filter { $0.incidentID == incidentID }.stablySorted(by: \.dueAt) }
    }
}

extension Array {
    /// Sorted by `key`, elements with equal keys in their current order.
    fileprivate func stablySorted<Key: Comparable>(by key: (Element) -> Key) -> [Element] {
        enumerated()
            .sorted { (key($0.element), $0.offset) < (key($1.element), $1.offset) }
            .map(\.element)
    }
}
