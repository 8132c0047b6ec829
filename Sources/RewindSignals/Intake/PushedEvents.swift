import RewindCore

/// Limits on one `POST /api/v1/events` body.
public struct PushLimits: Sendable, Equatable {
    public var maxBodyBytes: Int
    public var maxEvents: Int
    /// For `service`, `signal` and a security event's `name`.
    public var maxNameLength: Int
    /// For a security event's free-text `detail`.
    public var maxDetailLength: Int
    /// How far ahead of the server's clock an event's `at` may be (clock skew).
    public var maxFutureSkew: Duration

    public init(
        maxBodyBytes: Int = 256 * 1024,
        maxEvents: Int = 500,
        maxNameLength: Int = 128,
        maxDetailLength: Int = 2048,
        maxFutureSkew: Duration = .seconds(300)
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxEvents = maxEvents
        self.maxNameLength = maxNameLength
        self.maxDetailLength = maxDetailLength
        self.maxFutureSkew = maxFutureSkew
    }
}

/// A value of a business or application metric, pushed by the application.
public struct PushedMetric: Sendable, Equatable {
    public var service: String
    public var signal: String
    /// Always finite.
    public var value: Double
    public var at: Timestamp

    public init(service: String, signal: String, value: Double, at: Timestamp) {
        self.service = service
        self.signal = signal
        self.value = value
        self.at = at
    }
}

/// A security finding pushed by the application or a scanner (breach indicator, vulnerability, …).
public struct PushedSecurityEvent: Sendable, Equatable {
    public var service: String
    public var name: String
    /// As sent (`critical`, `high`, …); RewindCore's `AlertSeverity.parse` maps it.
    public var severity: String
    public var detail: String?
    public var at: Timestamp

    public init(service: String, name: String, severity: String, detail: String?, at: Timestamp) {
        self.service = service
        self.name = name
        self.severity = severity
        self.detail = detail
        self.at = at
    }
}

/// One event of a push.
public enum PushedEvent: Sendable, Equatable {
    case metric(PushedMetric)
    case security(PushedSecurityEvent)

    public var service: String {
        switch self {
        case .metric(let metric): metric.service
        case .security(let event): event.service
        }
    }

    public var at: Timestamp {
        switch self {
        case .metric(let metric): metric.at
        case .security(let event): event.at
        }
    }
}

/// Events pushed by applications to `POST /api/v1/events`:
///
/// ```json
/// {"events": [
///   {"service": "frontend", "signal": "conversion_rate", "value": 0.031, "at": "2026-11-27T10:00:00Z"},
///   {"service": "backend", "kind": "security", "name": "breach_indicator", "severity": "critical",
///    "detail": "…"}
/// ]}
/// ```
///
/// - `kind` is `metric` (the default) or `security`.
/// - A metric needs `signal` and a finite number `value`; a security event needs `name` and
///   `severity` (`critical`, `high`, …, mapped later by `AlertSeverity.parse`); `detail` is
///   optional free text of at most ``PushLimits/maxDetailLength`` characters.
/// - `service`, `signal`, `name` and `severity`: 1 to ``PushLimits/maxNameLength`` characters of
///   `A-Z a-z 0-9 _ . : -`.
/// - `at` is optional (default `now`), RFC 3339, at most ``PushLimits/maxFutureSkew`` ahead of `now`.
///
/// The whole body is rejected at the first bad event, with its index (`events[3].value: …`), so a
/// sender never has to guess which of its events were kept.
public enum PushedEvents {
    public static func parse(
        _ body: [UInt8], limits: PushLimits = PushLimits(), now: Timestamp
    )
        -> Result<[PushedEvent], IntakeRejection>
    {
        guard body.count <= limits.maxBodyBytes else {
            return .failure(.tooLarge(limit: limits.maxBodyBytes))
        }
        let push: Push
        switch IntakeJSON.decode(Push.self, from: body) {
        case .success(let decoded): push = decoded
        case .failure(let rejection): return .failure(rejection)
        }
        guard push.events.count <= limits.maxEvents else {
            return .failure(
                .invalid("events", "\(push.events.count) events; at most \(limits.maxEvents) per request")
            )
        }
        var events: [PushedEvent] = []
        events.reserveCapacity(push.events.count)
        for (index, event) in push.events.enumerated() {
            let reader = EventReader(event: event, path: "events[\(index)]", limits: limits, now: now)
            switch reader.read() {
            case .success(let parsed): events.append(parsed)
            case .failure(let rejection): return .failure(rejection)
            }
        }
        return .success(events)
    }

    /// Characters allowed in service, signal and event names.
    public static func isValidName(_ name: String, maxLength: Int) -> Bool {
        !name.isEmpty && name.utf8.count <= maxLength && name.utf8.allSatisfy(isNameByte)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: ":"),
            UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    // MARK: Wire form

    fileprivate struct Push: Decodable {
        var events: [WireEvent]
    }

    /// Every field optional: which ones are required depends on `kind`, checked with precise reasons.
    fileprivate struct WireEvent: Decodable {
        var kind: String?
        var service: String?
        var signal: String?
        var value: Double?
        var name: String?
        var severity: String?
        var detail: String?
        var at: String?
    }
}

/// Validates one wire event into a ``PushedEvent``.
private struct EventReader {
    let event: PushedEvents.WireEvent
    let path: String
    let limits: PushLimits
    let now: Timestamp

    func read() -> Result<PushedEvent, IntakeRejection> {
        Result { () throws(IntakeRejection) -> PushedEvent in
            switch event.kind ?? "metric" {
            case "metric":
                let metric = PushedMetric(
                    service: try name("service", event.service),
                    signal: try name("signal", event.signal),
                    value: try value(),
                    at: try timestamp()
                )
                return .metric(metric)
            case "security":
                let finding = PushedSecurityEvent(
                    service: try name("service", event.service),
                    name: try name("name", event.name),
                    severity: try name("severity", event.severity),
                    detail: try detail(),
                    at: try timestamp()
                )
                return .security(finding)
            case let kind:
                throw IntakeRejection.invalid(
                    "\(path).kind",
                    "expected metric or security, got \(quoted(kind))"
                )
            }
        }
    }

    private func name(_ field: String, _ value: String?) throws(IntakeRejection) -> String {
        guard let value else { throw IntakeRejection.invalid("\(path).\(field)", "missing") }
        guard !value.isEmpty else {
            throw IntakeRejection.invalid("\(path).\(field)", "must not be empty")
        }
        guard value.utf8.count <= limits.maxNameLength else {
            throw IntakeRejection.invalid(
                "\(path).\(field)",
                "\(value.utf8.count) characters; at most \(limits.maxNameLength)"
            )
        }
        guard PushedEvents.isValidName(value, maxLength: limits.maxNameLength) else {
            throw IntakeRejection.invalid(
                "\(path).\(field)",
                "\(quoted(value)) may contain only letters, digits and _ . : -"
            )
        }
        return value
    }

    private func value() throws(IntakeRejection) -> Double {
        guard let value = event.value else { throw IntakeRejection.invalid("\(path).value", "missing") }
        guard value.isFinite else {
            throw IntakeRejection.invalid("\(path).value", "must be a finite number")
        }
        return value
    }

    private func detail() throws(IntakeRejection) -> String? {
        guard let detail = event.detail else { return nil }
        guard detail.count <= limits.maxDetailLength else {
            throw IntakeRejection.invalid(
                "\(path).detail",
                "\(detail.count) characters; at most \(limits.maxDetailLength)"
            )
        }
        return detail
    }

    private func timestamp() throws(IntakeRejection) -> Timestamp {
        guard let text = event.at else { return now }
        guard let at = RFC3339.parse(text) else {
            throw IntakeRejection.invalid(
                "\(path).at",
                "not an ISO 8601 time such as 2026-11-27T10:00:00Z: \(quoted(text))"
            )
        }
        guard at <= now + limits.maxFutureSkew else {
            throw IntakeRejection.invalid(
                "\(path).at",
                "\(text) is more than \(limits.maxFutureSkew.rewindDescription) ahead of the server's clock "
                    + "(\(now.iso8601))"
            )
        }
        return at
    }
}
