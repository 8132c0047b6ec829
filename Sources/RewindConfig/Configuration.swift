import RewindCore

/// Where the daemon's API listens and how it authenticates calls that change anything.
public struct ServerSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The bearer token for API calls that change anything; always a secret from `${…}`. Nil: no token set.
    public var token: ConfigText?

    public init(host: String = Defaults.listenHost, port: Int = Defaults.listenPort, token: ConfigText? = nil) {
        self.host = host
        self.port = port
        self.token = token
    }
}

/// The notification channels that need no account: the console and a JSON-lines file. When on, they are also in
/// `policy.notifications.channels` as `console` and `file`, so that routes and audiences can name them.
public struct NotificationSettings: Sendable, Equatable {
    /// Print notifications on standard output.
    public var console: Bool
    /// Absolute path of the JSON-lines channel; nil turns it off.
    public var file: String?

    public init(console: Bool = true, file: String? = nil) {
        self.console = console
        self.file = file
    }
}

/// Everything `rewind.yaml` says, validated and typed: the decision policy plus the daemon's own settings.
public struct RewindConfiguration: Sendable, Equatable {
    public var policy: Policy
    /// Absolute path of the SQLite file. Default: `rewind.db` beside the configuration file.
    public var statePath: String
    public var server: ServerSettings
    public var notifications: NotificationSettings
    /// Built from every secret value the configuration resolved (`${NAME}`, `${file:…}`).
    public var redactor: Redactor
    /// Absolute path of the configuration file.
    public var sourcePath: String

    public init(
        policy: Policy,
        statePath: String,
        server: ServerSettings = .init(),
        notifications: NotificationSettings = .init(),
        redactor: Redactor = .init(),
        sourcePath: String
    ) {
        self.policy = policy
        self.statePath = statePath
        self.server = server
        self.notifications = notifications
        self.redactor = redactor
        self.sourcePath = sourcePath
    }
}
