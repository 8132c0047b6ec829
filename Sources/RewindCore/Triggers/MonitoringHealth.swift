/// Watches whether a monitoring source (Prometheus, a probe command) answers. A source that has
/// failed for `after` raises one "monitoring failure", and one "recovered" when it answers again.
public struct MonitoringHealth: Sendable, Equatable {
    public let source: String
    public let after: Duration
    public private(set) var failingSince: Timestamp?
    public private(set) var lastError: String?
    public private(set) var reported = false

    public init(source: String, after: Duration = Defaults.monitoringFailureAfter) {
        self.source = source
        self.after = after
    }

    public enum Event: Sendable, Equatable {
        case none
        case failed(since: Timestamp, detail: String)
        case recovered(after: Duration)
    }

    public mutating func observe(ok: Bool, at now: Timestamp, detail: String = "") -> Event {
        if ok {
            defer {
                failingSince = nil
                lastError = nil
                reported = false
            }
            if reported, let since = failingSince { return .recovered(after: now - since) }
            return .none
        }
        lastError = detail
        let since = failingSince ?? now
        failingSince = since
        if !reported && now - since >= after {
            reported = true
            return .failed(since: since, detail: detail)
        }
        return .none
    }

    public var isFailing: Bool { reported }
}
