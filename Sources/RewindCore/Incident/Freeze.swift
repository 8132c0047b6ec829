/// A deployment freeze: CI pipelines gate on it with `rewind freeze status`.
public struct Freeze: Sendable, Equatable, Codable {
    public var until: Timestamp
    public var reason: String
    public var setAt: Timestamp
    public var incidentID: Int64?
    /// Who set it by hand: the API token's name (`token oncall`), or the CLI's user without a
    /// daemon. Nil for an incident's freeze.
    public var setBy: String?

    public init(until: Timestamp, reason: String, setAt: Timestamp, incidentID: Int64? = nil, setBy: String? = nil) {
        self.until = until
        self.reason = reason
        self.setAt = setAt
        self.incidentID = incidentID
        self.setBy = setBy
    }

    public func isActive(at now: Timestamp) -> Bool { now < until }

    /// The reason as people read it: an incident's freeze names the incident.
    public var explanation: String {
        incidentID.map { "incident #\($0): \(reason)" } ?? (setBy.map { "\(reason) (set by \($0))" } ?? reason)
    }
}
