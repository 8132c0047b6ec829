/// Identifies a request that waits for the supervisor's answer (a manual rollback, a recorded
/// deployment, a freeze, an acknowledgement). The engine keeps the waiting caller; the supervisor
/// answers with ``SupervisorAction/reply(_:_:)`` or with an action that carries the id.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "request-\(rawValue)" }
}

/// Identifies an incident the supervisor asked to record, until the store gives it its id.
public struct DraftID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "draft-\(rawValue)" }
}

/// A manual rollback as an operator asked for it (`rewind rollback`, `POST /api/v1/rollbacks`).
public struct ManualRollbackRequest: Sendable, Equatable {
    public var service: ServiceName
    /// A deployment id or version; nil: the newest known-good deployment.
    public var to: String?
    public var reason: String
    /// `rewind rollback --force`: a target that is not known good is accepted, and the
    /// verification gates are skipped; the journal says so.
    public var force: Bool
    /// Who asked: the API token's name (`token oncall`), or the CLI's user without a daemon. The
    /// incident's summary and detection entry say it.
    public var actor: String?

    public init(service: ServiceName, to: String?, reason: String, force: Bool = false, actor: String? = nil) {
        self.service = service
        self.to = to
        self.reason = reason
        self.force = force
        self.actor = actor
    }
}

/// Which trigger of a service fired or recovered: a health check, a metric signal, or an alert.
public struct TriggerSource: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case check, signal, alert
    }

    public var kind: Kind
    /// The check or signal name, or the alert's fingerprint.
    public var name: String

    public init(_ kind: Kind, _ name: String) {
        self.kind = kind
        self.name = name
    }

    public var description: String { "\(kind.rawValue) \(name)" }
}

extension Violation {
    /// The trigger this violation comes from.
    public var source: TriggerSource {
        if let signal { return TriggerSource(.signal, signal.name) }
        if let alert { return TriggerSource(.alert, alert.fingerprint) }
        return TriggerSource(.check, evidence.first?.check ?? rule)
    }
}

/// What a deployment tracker learnt from one poll of a platform.
public struct TrackingReport: Sendable, Equatable {
    public var service: ServiceName
    /// The platform's kind (`vercel`, `railway`, …), for logs.
    public var platform: String
    /// Deployments listed by this poll: new ones since the cursor, or all of them.
    public var listed: [PlatformDeployment]
    /// The live deployment; nil when the platform cannot tell.
    public var live: PlatformDeployment?
    /// When the poll started, and the service's trigger generation then: a reading older than a
    /// live change made through the supervisor is not applied.
    public var readAt: Timestamp
    public var generation: Int

    public init(
        service: ServiceName, platform: String, listed: [PlatformDeployment], live: PlatformDeployment?,
        readAt: Timestamp,
        generation: Int
    ) {
        self.service = service
        self.platform = platform
        self.listed = listed
        self.live = live
        self.readAt = readAt
        self.generation = generation
    }
}

/// Everything that reaches the supervisor, one at a time.
public enum SupervisorEvent: Sendable, Equatable {
    // From the watchers and the intake
    /// A health check or metric signal fired.
    case violation(Violation)
    /// A trigger met its recovery rule.
    case recovered(ServiceName, TriggerSource)
    /// An alert from Alertmanager or a pushed security event (firing or resolved).
    case alert(ExternalAlert)
    /// One evaluation of a monitoring source (Prometheus, a probe command): whether it answered.
    /// `services` are the services whose signals depend on it.
    case monitoring(source: String, ok: Bool, at: Timestamp, detail: String, services: [ServiceName])
    /// The watchers of these services started afresh elsewhere (`ha.shards`: another replica took their shard):
    /// the checks and signals firing under the previous watchers are forgotten, as after a reload.
    case watchRestarted([ServiceName])
    /// What a deployment tracker learnt from the platform.
    case tracked(TrackingReport)
    /// Time passed: bake deployments, retry violations that could not be recorded.
    case tick

    // From operators (the API, the CLI)
    case manualRollback(ManualRollbackRequest, RequestID)
    /// A deployment went live (`POST /api/v1/deployments`, `rewind deployments record`).
    case deploymentReported(Deployment, RequestID)
    case freeze(Freeze?, RequestID)
    /// An operator paused or resumed automation (`rewind pause`, `rewind resume`).
    case automation(AutomationChange, RequestID)
    /// An operator vouches for a deployment (`rewind deployments mark-good`): it becomes known good, a
    /// rollback target, without its bake — for the first hour after installing Rewind.
    case markGood(service: ServiceName, deploymentID: String, RequestID)
    case acknowledge(incidentID: Int64, by: String, RequestID)

    // From the engine, reporting what it did with an action
    /// The changes of a ``SupervisorAction/record(_:because:reply:)`` are stored.
    case recorded([LedgerChange])
    /// The incident of an ``SupervisorAction/open(_:)`` is stored, with its id.
    case opened(DraftID, Incident)
    /// The incident of an ``SupervisorAction/open(_:)`` could not be stored.
    case openingFailed(DraftID, reason: String)
    /// A runner rolled `service` back and stored it: `to` is live, `from` is bad.
    case rolledBack(service: ServiceName, from: String, to: String, automatic: Bool, at: Timestamp)
    /// An incident ended (its record is closed).
    case incidentClosed(Incident)
    /// An incident stored a deployment freeze (the immediate strategy's, a failed rollback's).
    case frozen(Freeze)
}
