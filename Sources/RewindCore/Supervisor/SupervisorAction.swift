/// What the supervisor asks the engine to do. The engine performs actions in order and reports
/// back what it stored (``SupervisorEvent/recorded(_:)``, ``SupervisorEvent/opened(_:_:)``).
public enum SupervisorAction: Sendable, Equatable {
    /// Record an incident (with the ledger changes, escalation timers and notices that go with
    /// it, in one transaction), then report ``SupervisorEvent/opened(_:_:)`` — or
    /// ``SupervisorEvent/openingFailed(_:reason:)``.
    case open(IncidentOpening)
    /// Run an incident's plan: a new one (`resume` false) or one left open by a restart, from its
    /// journal.
    case run(Incident, resume: Bool)
    /// An incident left open without a plan cannot be resumed: close it as failed.
    case abandon(Incident)
    /// Store ledger changes, then report ``SupervisorEvent/recorded(_:)``; answer `reply` (if any)
    /// with the outcome of the write.
    case record([LedgerChange], because: RecordReason, reply: RequestID?)
    /// The live deployment of `service` changed: its watchers start counting afresh at `generation`,
    /// so failures of the old deployment never count against the new one.
    case resetTriggers(ServiceName, generation: Int)
    /// Acknowledge an incident (its escalation stops) and answer `reply`.
    case acknowledge(incidentID: Int64, by: String, reply: RequestID)
    /// A monitoring source that was reported failing answers again: note it on its incident.
    case monitoringRecovered(incidentID: Int64, source: String, after: Duration)
    /// A violation could not be recorded after every retry: tell people directly, since the
    /// store cannot take the notice.
    case unrecorded(Violation, attempts: Int, reason: String)
    /// Answer a request that needs no write.
    case reply(RequestID, SupervisorReply)
    /// Something worth a log line and a metric, nothing to do.
    case note(SupervisorNote)
}

/// Why the supervisor asks for a ledger write (for logs).
public enum RecordReason: Sendable, Equatable {
    /// A trigger fired while the live deployment was suspect: it will never be known good.
    case markedBad(Violation)
    /// The bake period passed with no trigger firing.
    case baked
    /// An operator or a deploy pipeline reported a deployment.
    case reported
    /// The platform's listing showed deployments Rewind did not know, or another live one.
    case learnt(platform: String, newDeployments: [String], live: String?, restoredBy: String?)
    /// An operator set or lifted the freeze.
    case freeze
    /// An operator paused or resumed automation.
    case automation
    /// An operator marked a deployment known good.
    case markedGood
}

/// An answer to a request.
public enum SupervisorReply: Sendable, Equatable {
    case refused(code: String, message: String)
}

/// Decisions that need no action, for logs and metrics.
public enum SupervisorNote: Sendable, Equatable {
    /// A violation (or fired alert) led to no incident.
    case ignored(Violation, reason: String)
    /// An alert that is not a new violation: a repeat, a resolve, or below the trigger severity.
    case alert(ExternalAlert, AlertBook.Event)
    /// An alert for a service Rewind does not watch.
    case unknownService(ExternalAlert)
    /// A tracking report that is not applied: taken before Rewind changed the live deployment.
    case staleReading(ServiceName, deploymentID: String)
    /// A violation could not be recorded: it is retried at `retryAt`.
    case recordRetry(Violation, attempt: Int, retryAt: Timestamp, reason: String)
}
