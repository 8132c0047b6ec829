import RewindCore

/// Which alert labels name the service, the trigger category and the severity.
///
/// An alert is matched to a configured service by the value of ``serviceLabel``. Empty label values
/// count as absent, as in Prometheus.
public struct AlertMapping: Sendable, Equatable {
    public var serviceLabel: String
    public var categoryLabel: String
    public var severityLabel: String

    public init(
        serviceLabel: String = "service",
        categoryLabel: String = "category",
        severityLabel: String = "severity"
    ) {
        self.serviceLabel = serviceLabel
        self.categoryLabel = categoryLabel
        self.severityLabel = severityLabel
    }
}

/// One alert from an Alertmanager notification, mapped for Rewind.
///
/// `service` is nil when the alert has no (non-empty) service label: that is not a rejection; the
/// server logs it and counts it as unmapped.
public struct IncomingAlert: Sendable, Equatable {
    public var service: String?
    public var category: String?
    public var severity: String?
    /// The `alertname` label.
    public var name: String?
    /// True for `firing`, false for `resolved`.
    public var firing: Bool
    public var startsAt: Timestamp
    /// The real end time of a resolved alert; nil while firing (Alertmanager sends Go's zero time).
    public var endsAt: Timestamp?
    /// Alertmanager's per-alert identity; with ``groupKey`` the key for de-duplication.
    public var fingerprint: String?
    /// The alert group this came in (stable across repeats of the same group).
    public var groupKey: String?
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(
        service: String?,
        category: String?,
        severity: String?,
        name: String?,
        firing: Bool,
        startsAt: Timestamp,
        endsAt: Timestamp?,
        fingerprint: String?,
        groupKey: String?,
        labels: [String: String],
        annotations: [String: String]
    ) {
        self.service = service
        self.category = category
        self.severity = severity
        self.name = name
        self.firing = firing
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.fingerprint = fingerprint
        self.groupKey = groupKey
        self.labels = labels
        self.annotations = annotations
    }

    /// The `summary` annotation, else `description`.
    public var summary: String? { annotations["summary"] ?? annotations["description"] }
}

/// One Alertmanager notification: its group and the alerts it carries.
public struct AlertmanagerNotification: Sendable, Equatable {
    public var groupKey: String?
    public var receiver: String?
    /// `firing` when any alert in the group fires.
    public var firing: Bool
    /// Alerts Alertmanager dropped because of the receiver's `max_alerts`.
    public var truncatedAlerts: Int
    public var alerts: [IncomingAlert]
}

/// The Alertmanager webhook receiver (`webhook_config`, payload version "4").
///
/// ```swift
/// switch AlertmanagerWebhook.parse(body, mapping: AlertMapping()) {
/// case .success(let alerts): …                       // answer 200 at once, process asynchronously
/// case .failure(let rejection): …                    // answer rejection.httpStatus with rejection.reason
/// }
/// ```
///
/// Rejected: a body over the limit, text that is not JSON (with the parser's position), a version
/// other than "4", a missing `alerts`, an alert without `status` (or not `firing`/`resolved`),
/// without `labels`, or with a `startsAt`/`endsAt` that is not an RFC 3339 time. Unknown keys
/// (`notification_reason`, `routeLabels`, …) are ignored.
public enum AlertmanagerWebhook {
    public static let supportedVersion = "4"
    /// 1000 alerts of about 1 KiB each, twice over.
    public static let defaultMaxBodyBytes = 2 * 1024 * 1024

    /// The documented payload, as sent on the wire. Encodable too, so tests and the sandbox can
    /// send one.
    public struct Payload: Codable, Sendable, Equatable {
        public var version: String
        public var groupKey: String?
        public var truncatedAlerts: Int?
        public var status: String?
        public var receiver: String?
        public var groupLabels: [String: String]?
        public var commonLabels: [String: String]?
        public var commonAnnotations: [String: String]?
        public var externalURL: String?
        public var notificationReason: String?
        public var alerts: [Alert]

        enum CodingKeys: String, CodingKey {
            case version, groupKey, truncatedAlerts, status, receiver, groupLabels, commonLabels,
                commonAnnotations
            case externalURL, alerts
            case notificationReason = "notification_reason"
        }

        public init(
            version: String = AlertmanagerWebhook.supportedVersion,
            groupKey: String? = nil,
            truncatedAlerts: Int? = 0,
            status: String? = nil,
            receiver: String? = nil,
            groupLabels: [String: String]? = nil,
            commonLabels: [String: String]? = nil,
            commonAnnotations: [String: String]? = nil,
            externalURL: String? = nil,
            notificationReason: String? = nil,
            alerts: [Alert]
        ) {
            self.version = version
            self.groupKey = groupKey
            self.truncatedAlerts = truncatedAlerts
            self.status = status ?? (alerts.contains { $0.status == "firing" } ? "firing" : "resolved")
            self.receiver = receiver
            self.groupLabels = groupLabels
            self.commonLabels = commonLabels
            self.commonAnnotations = commonAnnotations
            self.externalURL = externalURL
            self.notificationReason = notificationReason
            self.alerts = alerts
        }

        public struct Alert: Codable, Sendable, Equatable {
            /// `firing` or `resolved`.
            public var status: String
            public var labels: [String: String]
            public var annotations: [String: String]?
            /// RFC 3339.
            public var startsAt: String
            /// RFC 3339; `0001-01-01T00:00:00Z` while firing.
            public var endsAt: String?
            public var generatorURL: String?
            public var fingerprint: String?

            public init(
                status: String,
                labels: [String: String],
                annotations: [String: String]? = nil,
                startsAt: String,
                endsAt: String? = "0001-01-01T00:00:00Z",
                generatorURL: String? = nil,
                fingerprint: String? = nil
            ) {
                self.status = status
                self.labels = labels
                self.annotations = annotations
                self.startsAt = startsAt
                self.endsAt = endsAt
                self.generatorURL = generatorURL
                self.fingerprint = fingerprint
            }
        }
    }

    /// The alerts of one notification, mapped; see ``parseNotification(_:mapping:maxBodyBytes:)``.
    public static func parse(
        _ body: [UInt8],
        mapping: AlertMapping = AlertMapping(),
        maxBodyBytes: Int = defaultMaxBodyBytes
    ) -> Result<[IncomingAlert], IntakeRejection> {
        parseNotification(body, mapping: mapping, maxBodyBytes: maxBodyBytes).map(\.alerts)
    }

    /// The whole notification (group key, truncation count) with its alerts mapped.
    public static func parseNotification(
        _ body: [UInt8],
        mapping: AlertMapping = AlertMapping(),
        maxBodyBytes: Int = defaultMaxBodyBytes
    ) -> Result<AlertmanagerNotification, IntakeRejection> {
        guard body.count <= maxBodyBytes else { return .failure(.tooLarge(limit: maxBodyBytes)) }
        switch IntakeJSON.decode(Payload.self, from: body) {
        case .success(let payload):
            if let rejection = versionRejection(payload.version) { return .failure(rejection) }
            return map(payload, mapping: mapping)
        case .failure(let rejection):
            // A payload of another version fails to decode for that reason; say so rather than
            // naming whichever field differs first.
            if case .success(let probe) = IntakeJSON.decode(VersionProbe.self, from: body),
                let version = probe.version, let versionRejection = versionRejection(version)
            {
                return .failure(versionRejection)
            }
            return .failure(rejection)
        }
    }

    private struct VersionProbe: Decodable {
        var version: String?
    }

    private static func versionRejection(_ version: String) -> IntakeRejection? {
        guard version != supportedVersion else { return nil }
        return IntakeRejection(
            .unsupportedVersion,
            "version: unsupported webhook payload version \(quoted(version)); Rewind reads version \"4\""
        )
    }

    private static func map(
        _ payload: Payload, mapping: AlertMapping
    )
        -> Result<AlertmanagerNotification, IntakeRejection>
    {
        var alerts: [IncomingAlert] = []
        alerts.reserveCapacity(payload.alerts.count)
        for (index, alert) in payload.alerts.enumerated() {
            switch map(alert, at: "alerts[\(index)]", groupKey: payload.groupKey, mapping: mapping) {
            case .success(let mapped): alerts.append(mapped)
            case .failure(let rejection): return .failure(rejection)
            }
        }
        return .success(
            AlertmanagerNotification(
                groupKey: payload.groupKey,
                receiver: payload.receiver,
                firing: alerts.contains(where: \.firing),
                truncatedAlerts: payload.truncatedAlerts ?? 0,
                alerts: alerts
            )
        )
    }

    private static func map(
        _ alert: Payload.Alert, at path: String, groupKey: String?, mapping: AlertMapping
    )
        -> Result<IncomingAlert, IntakeRejection>
    {
        let firing: Bool
        switch alert.status {
        case "firing": firing = true
        case "resolved": firing = false
        default:
            return .failure(
                .invalid("\(path).status", "expected firing or resolved, got \(quoted(alert.status))")
            )
        }
        guard let startsAt = RFC3339.parse(alert.startsAt) else {
            return .failure(
                .invalid("\(path).startsAt", "not an RFC 3339 time: \(quoted(alert.startsAt))")
            )
        }
        var endsAt: Timestamp?
        if let text = alert.endsAt, !text.isEmpty {
            guard let parsed = RFC3339.parse(text) else {
                return .failure(.invalid("\(path).endsAt", "not an RFC 3339 time: \(quoted(text))"))
            }
            endsAt = parsed <= RFC3339.goZeroTime ? nil : parsed
        }
        func label(_ name: String) -> String? {
            guard let value = alert.labels[name], !value.isEmpty else { return nil }
            return value
        }
        return .success(
            IncomingAlert(
                service: label(mapping.serviceLabel),
                category: label(mapping.categoryLabel),
                severity: label(mapping.severityLabel),
                name: label("alertname"),
                firing: firing,
                startsAt: startsAt,
                endsAt: endsAt,
                fingerprint: alert.fingerprint.flatMap { $0.isEmpty ? nil : $0 },
                groupKey: groupKey,
                labels: alert.labels,
                annotations: alert.annotations ?? [:]
            )
        )
    }
}
