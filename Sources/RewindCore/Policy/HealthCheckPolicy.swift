/// Whether a failing check means "the service is down" or "the service is degraded".
public enum CheckSeverity: String, Sendable, Codable, Hashable, CaseIterable {
    case critical
    case nonCritical = "non-critical"
}

/// One HTTP health check of a service.
public struct HealthCheckPolicy: Sendable, Equatable {
    public var name: String
    public var url: String
    public var severity: CheckSeverity
    public var interval: Duration
    public var timeout: Duration
    public var confirmInterval: Duration
    /// How often the check runs while the service's live deployment is suspect and younger than
    /// ``suspectWindow`` (never slower than ``interval``; see ``ProbeSchedule``).
    public var suspectInterval: Duration
    /// How long after a deployment goes live the check runs at ``suspectInterval`` (zero: never).
    public var suspectWindow: Duration
    /// Statuses that count as healthy. Default: any 2xx.
    public var expectedStatuses: ClosedRange<Int>

    public init(
        name: String, url: String, severity: CheckSeverity = .critical, interval: Duration = Defaults.checkInterval,
        timeout: Duration = Defaults.checkTimeout, confirmInterval: Duration = Defaults.confirmInterval,
        suspectInterval: Duration = Defaults.suspectInterval, suspectWindow: Duration = Defaults.suspectWindow,
        expectedStatuses: ClosedRange<Int> = 200...299
    ) {
        self.name = name
        self.url = url
        self.severity = severity
        self.interval = interval
        self.timeout = timeout
        self.confirmInterval = confirmInterval
        self.suspectInterval = suspectInterval
        self.suspectWindow = suspectWindow
        self.expectedStatuses = expectedStatuses
    }
}
