/// Where metric signals and external alerts come from.
public struct MonitoringPolicy: Sendable, Equatable {
    /// The Prometheus that `prometheus:` signals query; nil when none is configured.
    public var prometheus: PrometheusSource?
    public var alerts: AlertIntakePolicy
    public var push: PushIntakePolicy
    /// A source failing this long raises a "monitoring failure" notice (and shows in `rewind status`).
    public var failureAfter: Duration

    public init(
        prometheus: PrometheusSource? = nil, alerts: AlertIntakePolicy = .init(), push: PushIntakePolicy = .init(),
        failureAfter: Duration = Defaults.monitoringFailureAfter
    ) {
        self.prometheus = prometheus
        self.alerts = alerts
        self.push = push
        self.failureAfter = failureAfter
    }
}

public struct PrometheusSource: Sendable, Equatable {
    public var url: ConfigText
    /// Extra headers, e.g. `Authorization` for a proxy in front of Prometheus. Secrets.
    public var headers: [String: ConfigText]
    public var timeout: Duration

    public init(url: ConfigText, headers: [String: ConfigText] = [:], timeout: Duration = Defaults.metricQueryTimeout) {
        self.url = url
        self.headers = headers
        self.timeout = timeout
    }
}

/// How Alertmanager alerts (`POST /hooks/alertmanager`) map to services and triggers.
public struct AlertIntakePolicy: Sendable, Equatable {
    public var serviceLabel: String
    public var categoryLabel: String
    public var severityLabel: String
    /// The category of an alert without a category label.
    public var defaultCategory: SignalCategory
    /// Alerts below this severity are recorded, not triggers (security alerts always trigger).
    public var minimumSeverity: Severity
    /// A bearer token Alertmanager sends (`http_config.authorization`), and/or a secret for an
    /// `X-Rewind-Signature: sha256=…` HMAC of the body. With neither, only the API token is accepted.
    public var token: ConfigText?
    public var hmacSecret: ConfigText?

    public init(
        serviceLabel: String = "service", categoryLabel: String = "category", severityLabel: String = "severity",
        defaultCategory: SignalCategory = .performance, minimumSeverity: Severity = .high, token: ConfigText? = nil,
        hmacSecret: ConfigText? = nil
    ) {
        self.serviceLabel = serviceLabel
        self.categoryLabel = categoryLabel
        self.severityLabel = severityLabel
        self.defaultCategory = defaultCategory
        self.minimumSeverity = minimumSeverity
        self.token = token
        self.hmacSecret = hmacSecret
    }
}

/// Limits on `POST /api/v1/events`.
public struct PushIntakePolicy: Sendable, Equatable {
    public var maxBodyBytes: Int
    public var maxEvents: Int

    public init(maxBodyBytes: Int = 256 * 1024, maxEvents: Int = 500) {
        self.maxBodyBytes = maxBodyBytes
        self.maxEvents = maxEvents
    }
}
