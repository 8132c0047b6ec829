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

/// A rollback the platform accepted.
public struct RollbackOperation: Sendable, Equatable, Codable {
    /// The platform's job id, when the rollback is asynchronous (Vercel, Railway, …).
    public var id: String?
    /// True when the platform already finished it (a synchronous call, a command that exited 0).
    public var finished: Bool
    /// What a command printed, with secrets already redacted.
    public var output: CapturedOutput?
    /// True when the provider sent nothing: a rollback job toward the target was already running on
    /// the platform (started by an earlier attempt, another tool, a person) and this operation follows it.
    public var followedRunningJob: Bool
    /// What people must know about what the provider did besides the rollback, written on the incident's
    /// timeline (no secrets): "auto-sync of Application shop-web was paused; resume it with …".
    public var notes: [String]

    public init(
        id: String? = nil, finished: Bool, output: CapturedOutput? = nil, followedRunningJob: Bool = false,
        notes: [String] = []
    ) {
        self.id = id
        self.finished = finished
        self.output = output
        self.followedRunningJob = followedRunningJob
        self.notes = notes
    }

    private enum CodingKeys: String, CodingKey {
        case id, finished, output, followedRunningJob, notes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        finished = try container.decode(Bool.self, forKey: .finished)
        output = try container.decodeIfPresent(CapturedOutput.self, forKey: .output)
        followedRunningJob = try container.decodeIfPresent(Bool.self, forKey: .followedRunningJob) ?? false
        notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
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
    /// True when a person asked for the rollback (`rewind rollback`, the API), false when Rewind
    /// decided it: what a provider tells the platform (Vercel's rollback description) says which.
    public var manual: Bool

    public init(incidentID: Int64, current: Deployment?, manual: Bool = false) {
        self.incidentID = incidentID
        self.current = current
        self.manual = manual
    }
}

/// Which credential a provider acts with, by name only (never the value), together with what it is
/// used on: `vercel VERCEL_TOKEN on team_x9/shop-web`. Two providers with equal ids would send the
/// same request with the same secret, so after the platform refused one of them for good
/// (`ProviderError.Kind.auth`), the other is not tried: it would be refused the same way.
public struct CredentialID: Sendable, Hashable, CustomStringConvertible {
    /// The platform, the secret's source (a variable name, a file path) and its scope.
    public var value: String

    public init(_ value: String) {
        self.value = value
    }

    public init(platform: String, source: String, scope: String) {
        self.init("\(platform) \(source) on \(scope)")
    }

    public var description: String { value }
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
/// - `isIdempotent`: calling `rollback` a second time for the same target is known to be harmless.
///   When a Rewind stopped after journaling a step's intent and before its answer, the call may or
///   may not have happened: the engine calls again only when the provider says the target is not
///   live, or when the call is idempotent; otherwise the step's outcome is unknown and people are told.
public protocol PlatformProvider: Sendable {
    var kind: String { get }
    var isIdempotent: Bool { get }
    func listDeployments(service: ServiceName) async throws -> [PlatformDeployment]
    func currentDeployment(service: ServiceName) async throws -> PlatformDeployment?
    func rollback(service: ServiceName, to target: Deployment, context: ActionContext) async throws -> RollbackOperation
    func status(
        of operation: RollbackOperation, service: ServiceName, target: Deployment
    ) async throws -> OperationStatus
    /// The credential the provider acts with, when it has one worth naming (a token the
    /// configuration names); nil otherwise (commands, git, a provider without secrets).
    var credential: CredentialID? { get }
    /// How often the platform's documentation says to poll a running operation; the engine polls
    /// `status` no faster than this (nor than its own poll interval). Nil: the engine's interval.
    var pollInterval: Duration? { get }
}

extension PlatformProvider {
    public var credential: CredentialID? { nil }
    public var pollInterval: Duration? { nil }
}

extension PlatformProvider {
    /// Not known to be idempotent unless the provider says so.
    public var isIdempotent: Bool { false }
}

/// Errors from platforms and channels.
public struct ProviderError: RewindError, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case timeout, connection
        case rateLimited = "rate_limited"
        case server, auth
        case notFound = "not_found"
        case badResponse = "bad_response"
        case rejected
        case commandFailed = "command_failed"
        case unsupported
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

    /// The platform asked to wait `asked` (Retry-After), longer than the caller's whole retry budget:
    /// the caller gives up now (the fallback, then an escalation) instead of waiting.
    public static func beyondRetryBudget(_ message: String, asked: Duration, budget: Duration) -> ProviderError {
        ProviderError(
            .rateLimited,
            "\(message); the platform asked to wait \(asked.rewindDescription), longer than Rewind's retry budget "
                + "of \(budget.rewindDescription): not waiting")
    }

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
    /// True when the vendor folds a notice sent twice into one by a key Rewind sets (PagerDuty's
    /// `dedup_key`, Opsgenie's alias): a notice sent again after a restart is then never marked as a
    /// possible repeat (``NoticeDelivery/mayRepeat``). False unless a channel says otherwise.
    var foldsRepeats: Bool { get }
    func send(_ notice: Notice) async throws
}

extension Notifier {
    public var foldsRepeats: Bool { false }
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
    public func evaluate(
        _ signal: MetricSignalPolicy, service: ServiceName, at now: Timestamp
    ) async -> MetricEvaluation {
        MetricEvaluation(
            service: service, signal: signal.name, at: now, outcome: .error("no metric source is configured"),
            query: signal.source.summary)
    }
    public func recordProbe(_ observation: Observation) {}
    public func recordPushed(_ metric: PushedValue) {}
    public func monitoringSource(of signal: MetricSignalPolicy) -> String? { nil }
}
