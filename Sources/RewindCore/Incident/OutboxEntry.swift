/// A notification waiting in, or delivered from, the persistent outbox. It is written before the
/// first attempt, so a restart never loses it.
public struct OutboxEntry: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case pending, sent, failed
    }

    public var id: Int64
    public var incidentID: Int64
    /// The channel's configured name.
    public var channel: String
    public var notice: Notice
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Timestamp
    public var lastError: String?
    public var createdAt: Timestamp
    public var sentAt: Timestamp?

    public init(
        id: Int64 = 0, incidentID: Int64, channel: String, notice: Notice, status: Status = .pending, attempts: Int = 0,
        nextAttemptAt: Timestamp, lastError: String? = nil, createdAt: Timestamp, sentAt: Timestamp? = nil
    ) {
        self.id = id
        self.incidentID = incidentID
        self.channel = channel
        self.notice = notice
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.sentAt = sentAt
    }
}
