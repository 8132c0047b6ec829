import RewindCore

/// An SMTP submission: STARTTLS (587), implicit TLS (465) or plain (tests, local relays).
public struct EmailSpec: Sendable, Equatable {
    public enum Security: String, Sendable, Equatable, CaseIterable {
        case starttls, tls, none
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: ConfigText?
    public var password: ConfigText?
    public var from: String
    public var to: [String]
    /// PEM file of extra trusted roots (a private relay); nil = the system's.
    public var caFile: String?
    public var timeout: Duration

    public init(
        host: String, port: Int = 587, security: Security = .starttls, username: ConfigText? = nil,
        password: ConfigText? = nil,
        from: String, to: [String], caFile: String? = nil, timeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.from = from
        self.to = to
        self.caFile = caFile
        self.timeout = timeout
    }
}
