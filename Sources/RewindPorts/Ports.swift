import RewindCore

// MARK: - Signals

/// Runs one health check. Never throws: a hang, garbage or a dropped connection is a failed
/// check (`CheckResult.failure`), not an error.
public protocol HealthProber: Sendable {
    func check(_ check: HealthCheckPolicy) async -> ProbeResult
}

public struct ProbeResult: Sendable, Equatable {
    public var result: CheckResult
    public var latencyMs: Int64
    public init(result: CheckResult, latencyMs: Int64) {
        self.result = result
        self.latencyMs = latencyMs
    }
}

// MARK: - Platforms

/// A deployment as a platform lists it.
public struct PlatformDeployment: Sendable, Equatable, Codable {
    public var id: String
    public var version: String?
    public var createdAt: Timestamp?
    /// The id of an older deployment this one restores, when the platform rolls back by creating
    /// a new deployment from an old one (Railway, a Vercel promote of a rebuilt deployment). The
    /// engine treats a live deployment that restores the rollback target as the target.
    public var restores: String?

    public init(id: String, version: String? = nil, createdAt: Timestamp? = nil, restores: String? = nil) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.restores = restores
    }

    /// True when this deployment is `deploymentID`, or restores it.
    public func serves(_ deploymentID: String) -> Bool {
        id == deploymentID || restores == deploymentID
    }
}

/// A rollback the platform accepted.
public struct RollbackOperation: Sendable, Equatable, Codable {
    /// The platform's job id, when the rollback is asynchronous (Vercel, Railway, …).
    public var id: String?
    /// True when the platform already finished it (a synchronous call, a command that exited 0).
    public var finished: Bool
    /// What a command printed, with secrets already redacted.
    public var output: CapturedOutput?

    public init(id: String? = nil, finished: Bool, output: CapturedOutput? = nil) {
        self.id = id
        self.finished = finished
        self.output = output
    }
}

public struct CapturedOutput: Sendable, Equatable, Codable {
    public var command: [String]
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String
    public init(command: [String], exitCode: Int32, stdout: String, stderr: String) {
        self.command = command
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
    }
}

public enum OperationStatus: Sendable, Equatable {
    case inProgress
    case succeeded
    case failed(String)
}

/// Values a provider may put into its requests and commands.
public struct ActionContext: Sendable, Equatable {
    public var incidentID: Int64
    public var current: Deployment?

    public init(incidentID: Int64, current: Deployment?) {
        self.incidentID = incidentID
        self.current = current
    }
}

/// One platform where services run. Vercel, Railway, Kubernetes and Cloudflare implement the
/// same four calls: list, read the live deployment, roll back to a deployment, read the status of
/// that rollback.
///
/// Contract:
/// - Every call has a deadline (the provider's own, and the engine's step timeout around it).
/// - Errors are ``ProviderError``: `isTransient` ones (timeouts, 5xx, 429, connection refused)
///   are retried by the engine with jittered backoff; permanent ones (401, 403, 404, a bad
///   response) go straight to the fallback.
/// - `currentDeployment` returns nil when the provider has no way to tell; the engine then trusts
///   its own record.
/// - Nothing secret appears in an error message or in captured output.
public protocol PlatformProvider: Sendable {
    var kind: String { get }
    func listDeployments(service: ServiceName) async throws -> [PlatformDeployment]
    func currentDeployment(service: ServiceName) async throws -> PlatformDeployment?
    func rollback(service: ServiceName, to target: Deployment, context: ActionContext) async throws -> RollbackOperation
    func status(of operation: RollbackOperation, service: ServiceName, target: Deployment) async throws -> OperationStatus
}

/// Errors from platforms and channels.
public struct ProviderError: RewindError, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case timeout, connection, rateLimited = "rate_limited", server, auth, notFound = "not_found", badResponse = "bad_response"
        case rejected, commandFailed = "command_failed", unsupported
    }

    public var kind: Kind
    public var message: String
    /// Seconds the platform asked to wait (HTTP Retry-After), if it did.
    public var retryAfter: Duration?
    public var output: CapturedOutput?

    public init(_ kind: Kind, _ message: String, retryAfter: Duration? = nil, output: CapturedOutput? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfter = retryAfter
        self.output = output
    }

    public var code: String { "provider_\(kind.rawValue)" }

    public var isTransient: Bool {
        switch kind {
        case .timeout, .connection, .rateLimited, .server: true
        case .auth, .notFound, .badResponse, .rejected, .commandFailed, .unsupported: false
        }
    }
}

// MARK: - Notifications

/// One notification channel. `send` throws ``ProviderError`` on failure (transient ones are
/// retried). Real channels (Slack, PagerDuty, SMTP, …) implement the same call.
public protocol Notifier: Sendable {
    var channel: String { get }
    func send(_ notice: Notice) async throws
}

// MARK: - State

/// Everything Rewind remembers, behind intention-revealing calls. SQLite by default; PostgreSQL
/// for replicas. Each call is atomic.
public protocol RewindStore: Sendable {
    // Deployments
    /// Inserts or updates a deployment (by service and id) and, when `makeLive`, records it as
    /// the service's live deployment.
    func recordDeployment(_ deployment: Deployment, makeLive: Bool) async throws
    func deployments(of service: ServiceName) async throws -> [Deployment]
    func liveDeployment(of service: ServiceName) async throws -> Deployment?
    func setLive(service: ServiceName, deploymentID: String) async throws
    func setTrust(service: ServiceName, deploymentID: String, trust: DeploymentTrust, at: Timestamp) async throws

    // Incidents and their journal
    /// Stores a new incident; the store assigns `id` (the value passed in is ignored).
    func createIncident(_ incident: Incident) async throws -> Incident
    func updateIncident(_ incident: Incident) async throws
    func incident(id: Int64) async throws -> Incident?
    /// Newest first.
    func incidents(limit: Int) async throws -> [Incident]
    func openIncidents() async throws -> [Incident]
    func append(_ event: TimelineEvent) async throws
    func timeline(incidentID: Int64) async throws -> [TimelineEvent]
    func recordStep(_ record: StepRecord) async throws
    /// The latest record of each step of an incident.
    func steps(incidentID: Int64) async throws -> [StepRecord]

    // Safety
    func recordAutomaticRollback(service: ServiceName, at: Timestamp) async throws
    func automaticRollbacks(service: ServiceName, since: Timestamp) async throws -> [Timestamp]

    // Freeze
    func setFreeze(_ freeze: Freeze?) async throws
    func currentFreeze() async throws -> Freeze?

    // Notifications outbox: written before the first attempt, so a restart loses nothing.
    /// Stores new entries; the store assigns ids.
    func enqueue(_ entries: [OutboxEntry]) async throws -> [OutboxEntry]
    /// Pending entries whose next attempt is due, oldest first.
    func dueOutbox(now: Timestamp, limit: Int) async throws -> [OutboxEntry]
    func updateOutbox(_ entry: OutboxEntry) async throws
    func outbox(incidentID: Int64) async throws -> [OutboxEntry]
    /// The newest entries of every incident, newest first (channel health for `rewind status`).
    func recentOutbox(limit: Int) async throws -> [OutboxEntry]

    // Escalation timers survive restarts.
    func schedule(_ timers: [EscalationTimer]) async throws
    /// Pending timers due at or before `now`, earliest first.
    func dueEscalations(now: Timestamp) async throws -> [EscalationTimer]
    func updateEscalation(_ timer: EscalationTimer) async throws
    func escalations(incidentID: Int64) async throws -> [EscalationTimer]
    /// Cancels the incident's pending timers; returns how many.
    func cancelEscalations(incidentID: Int64) async throws -> Int

    // Post-rollback work.
    func addTasks(_ tasks: [IncidentTask]) async throws
    func tasks(incidentID: Int64) async throws -> [IncidentTask]
    func updateTask(_ task: IncidentTask) async throws

    // Observations around an incident, for its report's chart.
    func recordSamples(incidentID: Int64, _ observations: [Observation]) async throws
    func samples(incidentID: Int64) async throws -> [Observation]

    /// Takes or renews the writer lease: true when `holder` now holds it until `until`.
    /// One writer: a second daemon on the same state refuses to start.
    func acquireLease(holder: String, now: Timestamp, until: Timestamp) async throws -> Bool
    func releaseLease(holder: String) async throws
}

// MARK: - Metric signals

/// A value pushed by an application to `POST /api/v1/events`.
public struct PushedValue: Sendable, Equatable {
    public var service: ServiceName
    public var signal: String
    public var value: Double
    public var at: Timestamp

    public init(service: ServiceName, signal: String, value: Double, at: Timestamp) {
        self.service = service
        self.signal = signal
        self.value = value
        self.at = at
    }
}

/// Evaluates metric signals: Prometheus queries, Rewind's own probe latencies, pushed values and
/// command probes. `evaluate` never throws — a source that fails gives an `.error` outcome and one
/// that has nothing gives `.noData` (see ``MetricTriggerState`` for what those mean).
///
/// The engine feeds it Rewind's probe results and the values applications push; the
/// implementation keeps them in sliding windows.
public protocol MetricSource: Sendable {
    func evaluate(_ signal: MetricSignalPolicy, service: ServiceName, at now: Timestamp) async -> MetricEvaluation
    func recordProbe(_ observation: Observation)
    func recordPushed(_ metric: PushedValue)
    /// The monitoring source a signal depends on (`prometheus`, `command`), for monitoring-failure
    /// reports; nil for sources inside Rewind (probe latencies, pushed values).
    func monitoringSource(of signal: MetricSignalPolicy) -> String?
}

/// No metric signals configured.
public struct NoMetricSource: MetricSource {
    public init() {}
    public func evaluate(_ signal: MetricSignalPolicy, service: ServiceName, at now: Timestamp) async -> MetricEvaluation {
        MetricEvaluation(service: service, signal: signal.name, at: now, outcome: .error("no metric source is configured"), query: signal.source.summary)
    }
    public func recordProbe(_ observation: Observation) {}
    public func recordPushed(_ metric: PushedValue) {}
    public func monitoringSource(of signal: MetricSignalPolicy) -> String? { nil }
}
