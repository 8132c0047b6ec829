/// A persisted escalation step: tell `audience` at `dueAt` unless the incident was acknowledged
/// or completed first.
public struct EscalationTimer: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case pending, fired, cancelled
    }

    public enum Policy: String, Sendable, Codable, CaseIterable {
        case immediate, delayed
    }

    public var id: Int64
    public var incidentID: Int64
    public var audience: Audience
    public var policy: Policy
    public var dueAt: Timestamp
    public var reason: String
    public var state: State

    public init(
        id: Int64 = 0, incidentID: Int64, audience: Audience, policy: Policy, dueAt: Timestamp, reason: String,
        state: State = .pending
    ) {
        self.id = id
        self.incidentID = incidentID
        self.audience = audience
        self.policy = policy
        self.dueAt = dueAt
        self.reason = reason
        self.state = state
    }
}
