/// The content of a notification: the guide's fields for its three messages, plus the evidence
/// of why Rewind acted. Channels render it; RewindCore only decides what it says.
public struct Notice: Sendable, Equatable, Codable {
    /// The `incidentID` of a notice about no incident (an early warning). Not 0: in a store write, 0 means
    /// "the incident this write creates".
    public static let noIncidentID: Int64 = -1

    public var kind: NoticeKind
    public var incidentID: Int64
    public var services: [ServiceName]
    public var trigger: TriggerKind
    public var severity: Severity
    public var timestamp: Timestamp
    public var strategy: Strategy?
    public var actions: [String]
    public var durationMs: Int64?
    public var status: String
    public var verificationResults: [String]
    public var error: String?
    public var evidence: [String]
    public var nextSteps: [String]
    /// Set on escalations: who this notice is for.
    public var audience: Audience?
    /// Set on `channel_failed`: the channel that could not deliver.
    public var failedChannel: String?
    /// Set by the dispatcher on the copy it hands a channel: which outbox entry this is, and whether
    /// it may repeat an earlier delivery (``NoticeDelivery``).
    public var delivery: NoticeDelivery?

    public init(
        kind: NoticeKind, incidentID: Int64, services: [ServiceName], trigger: TriggerKind, severity: Severity,
        timestamp: Timestamp, strategy: Strategy?, actions: [String], durationMs: Int64? = nil, status: String,
        verificationResults: [String] = [], error: String? = nil, evidence: [String] = [], audience: Audience? = nil
    ) {
        self.audience = audience
        self.kind = kind
        self.incidentID = incidentID
        self.services = services
        self.trigger = trigger
        self.severity = severity
        self.timestamp = timestamp
        self.strategy = strategy
        self.actions = actions
        self.durationMs = durationMs
        self.status = status
        self.verificationResults = verificationResults
        self.error = error
        self.evidence = evidence
        self.nextSteps = Notice.nextSteps(for: kind)
    }

    /// The guide's "Next Steps" and "Immediate Actions Required" lists.
    public static func nextSteps(for kind: NoticeKind) -> [String] {
        switch kind {
        case .initiated:
            ["Monitor rollback progress", "Verify service health", "Investigate root cause", "Plan remediation"]
        case .completed:
            ["Monitor service stability", "Investigate root cause", "Plan next deployment", "Update runbooks"]
        case .failed, .escalated:
            ["Manual intervention needed", "Check service status", "Verify infrastructure", "Contact on-call engineer"]
        case .channelFailed:
            [
                "Check the channel's configuration and credentials (rewind status shows its last error)",
                "Make sure the people it reaches know about the incident",
            ]
        case .wouldRollBack: ["Review the decision", "Switch the policy to enforce mode when it decides as you would"]
        case .earlyWarning:
            [
                "Look at the signal now: it left its usual range before any threshold fired",
                "Nothing was rolled back; roll back by hand if you know it is bad: rewind rollback SERVICE --reason \"…\"",
            ]
        case .taskOverdue:
            [
                "Do the overdue work, or say where it stands: rewind incidents task N TASK --state in_progress|done|skipped --note \"…\"",
                "See every task of the incident: rewind incidents tasks N",
            ]
        }
    }

    public var title: String {
        switch kind {
        case .initiated: trigger == .manual ? "MANUAL ROLLBACK INITIATED" : "AUTOMATED ROLLBACK INITIATED"
        case .completed: "ROLLBACK COMPLETED SUCCESSFULLY"
        case .failed: "ROLLBACK FAILED"
        case .escalated: audience.map { "ESCALATION TO \($0.rawValue.uppercased())" } ?? "ESCALATED: NO ROLLBACK"
        case .wouldRollBack: "OBSERVE MODE: WOULD ROLL BACK"
        case .earlyWarning: "EARLY WARNING: A SIGNAL LEFT ITS USUAL RANGE"
        case .channelFailed: "NOTIFICATION CHANNEL FAILED: \(failedChannel?.uppercased() ?? "UNKNOWN")"
        case .taskOverdue: "POST-ROLLBACK WORK OVERDUE"
        }
    }

    /// One human-readable line (the console channel).
    public var line: String {
        var parts = [
            "[\(kind.rawValue)] \(title)", kind == .earlyWarning ? "no incident" : "incident #\(incidentID)",
            "service \(services.map(\.rawValue).joined(separator: ","))",
            "trigger \(trigger.rawValue)", "severity \(severity.rawValue)",
        ]
        if let strategy { parts.append("strategy \(strategy.rawValue)") }
        parts.append("status \(status)")
        if let durationMs { parts.append("duration \(Duration.milliseconds(durationMs).rewindDescription)") }
        if !actions.isEmpty { parts.append("actions: " + actions.joined(separator: "; ")) }
        if !verificationResults.isEmpty { parts.append("verification: " + verificationResults.joined(separator: "; ")) }
        if let error { parts.append("error: \(error)") }
        if !evidence.isEmpty { parts.append("evidence: " + evidence.joined(separator: "; ")) }
        return parts.joined(separator: " | ")
    }
}

/// The guide's notification events, plus escalation, observe-mode notices, a channel that could
/// not deliver (reported on the other channels, once per failure episode), and post-rollback tasks
/// past their due time (their audience is reminded once; see ``TaskReminder``), and early warnings
/// (``EarlyWarning``: a notice about no incident, ``Notice/noIncidentID``, only to channels that subscribe to it).
public enum NoticeKind: String, Sendable, Codable, Hashable, CaseIterable {
    case initiated, completed, failed, escalated
    case wouldRollBack = "would_roll_back"
    case channelFailed = "channel_failed"
    case taskOverdue = "task_overdue"
    case earlyWarning = "early_warning"
}
