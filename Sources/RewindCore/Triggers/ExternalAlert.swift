/// Where an external alert came from.
public enum AlertOrigin: String, Sendable, Codable, Hashable {
    case alertmanager
    /// `POST /api/v1/events` from an application (security events).
    case pushed
}

/// An alert raised outside Rewind (an Alertmanager alert, a security event pushed by an
/// application), mapped to a service and a trigger category.
public struct ExternalAlert: Sendable, Equatable, Codable {
    public var origin: AlertOrigin
    public var service: ServiceName
    public var category: SignalCategory
    public var severity: Severity
    /// `alertname`, or the pushed event's name (`breach_indicator`).
    public var name: String
    public var firing: Bool
    public var at: Timestamp
    /// Identifies the alert across repeats (Alertmanager's fingerprint; name for pushed events).
    public var fingerprint: String
    public var summary: String?

    public init(
        origin: AlertOrigin, service: ServiceName, category: SignalCategory, severity: Severity, name: String,
        firing: Bool,
        at: Timestamp, fingerprint: String, summary: String? = nil
    ) {
        self.origin = origin
        self.service = service
        self.category = category
        self.severity = severity
        self.name = name
        self.firing = firing
        self.at = at
        self.fingerprint = fingerprint
        self.summary = summary
    }
}

/// Where an alert-driven violation came from, for the record and the notifications.
public struct AlertContext: Sendable, Equatable, Hashable, Codable {
    public var origin: AlertOrigin
    public var name: String
    public var fingerprint: String
    public var summary: String?
}

/// How severities written by other tools map to Rewind's, and which severities trigger.
public enum AlertSeverity {
    /// `critical`, `page`, `p1` → critical; `high`, `error`, `major`, `p2` → high; anything else
    /// (`warning`, `info`, …) → low.
    public static func parse(_ text: String?) -> Severity {
        switch text?.lowercased() {
        case "critical", "page", "p1", "fatal", "emergency": .critical
        case "high", "error", "major", "p2": .high
        default: .low
        }
    }
}

/// The alerts that are firing, so that Alertmanager's repeats (every `repeat_interval`, and on each
/// group change) raise one violation, not one per notification.
///
/// Alertmanager already waited for the rule's `for:` duration, so a firing alert is a violation
/// at once. Security alerts trigger at any severity (the guide: a vulnerability or breach alert is
/// immediate); other categories need at least `minimumSeverity`.
public struct AlertBook: Sendable, Equatable {
    public var minimumSeverity: Severity
    public private(set) var firing: [String: ExternalAlert] = [:]

    public init(minimumSeverity: Severity = .high) {
        self.minimumSeverity = minimumSeverity
    }

    public enum Event: Sendable, Equatable {
        case fired(Violation)
        /// Already firing: nothing new.
        case repeated
        case resolved(ServiceName, name: String)
        /// Recorded, not a trigger (too low a severity, or a resolve for an alert Rewind never saw).
        case ignored(String)
    }

    public mutating func receive(_ alert: ExternalAlert) -> Event {
        let key = "\(alert.service)/\(alert.fingerprint)"
        guard alert.firing else {
            guard firing.removeValue(forKey: key) != nil else {
                return .ignored("resolved \(alert.name) on \(alert.service), which was not firing here")
            }
            return .resolved(alert.service, name: alert.name)
        }
        if firing[key] != nil { return .repeated }
        guard alert.category == .security || alert.severity >= minimumSeverity else {
            return .ignored(
                "\(alert.name) on \(alert.service) is \(alert.severity.rawValue); triggers need \(minimumSeverity.rawValue) or above"
            )
        }
        firing[key] = alert
        let source = alert.origin == .alertmanager ? "Alertmanager alert" : "pushed event"
        let summary = alert.summary.map { ": \($0)" } ?? ""
        return .fired(
            Violation(
                service: alert.service, trigger: alert.category.trigger, severity: alert.severity, at: alert.at,
                rule: "\(source) \(alert.name) (\(alert.category.rawValue), \(alert.severity.rawValue))",
                evidence: [Evidence(at: alert.at, check: alert.name, result: "firing\(summary)", latencyMs: 0)],
                alert: AlertContext(
                    origin: alert.origin, name: alert.name, fingerprint: alert.fingerprint, summary: alert.summary)))
    }

    /// Forgets the alerts of a service (after its rollback), so that one still firing after the
    /// rollback is seen as new when Alertmanager repeats it.
    public mutating func forget(service: ServiceName) {
        firing = firing.filter { $0.value.service != service }
    }
}
