import RewindCore
import RewindSpecs

/// Where the daemon's API listens, who may call it, and how many connections it keeps.
public struct ServerSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The API's bearer tokens, each with its scopes: `server.token` is the one named `default`
    /// with every scope, then `server.tokens` in the order written. Empty: no token set, and the
    /// daemon refuses to listen beyond loopback.
    public var tokens: [APIToken]
    /// Host names (without port) a proxy or DNS name in front of Rewind may send in `Host`, beside
    /// the listen address itself (`server.allowed_hosts`).
    public var allowedHosts: [String]
    public var idleTimeout: Duration
    public var maxConnections: Int
    /// `server.public_url`: the address people open Rewind's dashboard at (`https://rewind.example.com`);
    /// notifications link incidents there. Nil: no links.
    public var publicURL: String?
    /// `server.advertise_url`: this replica's API as the other replicas' clients reach it
    /// (`http://10.0.3.7:8480`), published with its writer lease; a standby answers a change with a 307
    /// there. Origin only (no path, query or credentials), no trailing slash. Nil: standbys answer 503
    /// naming this replica instead.
    public var advertiseURL: String?

    public init(
        host: String = Defaults.listenHost, port: Int = Defaults.listenPort, tokens: [APIToken] = [],
        allowedHosts: [String] = [], idleTimeout: Duration = Defaults.serverIdleTimeout,
        maxConnections: Int = Defaults.serverMaxConnections
    ) {
        self.host = host
        self.port = port
        self.tokens = tokens
        self.allowedHosts = allowedHosts
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }

    /// `server.token`: the token named `default`, with every scope.
    public var token: ConfigText? {
        tokens.first { $0.name == APIToken.defaultName }?.token
    }

    /// The token the CLI sends for a call that needs `scope`: the first configured token with it.
    public func token(for scope: APIScope) -> APIToken? {
        tokens.first { $0.scopes.contains(scope) }
    }
}

/// The notification channels that need no account: the console and a JSON-lines file. When on, they are also
/// channels named `console` and `file`, so that routes and audiences can name them.
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

/// Everything `rewind.yaml` says, validated and typed: the decision policy, how Rewind reaches each vendor
/// (beside the policy, not in it), and the daemon's own settings.
public struct RewindConfiguration: Sendable, Equatable {
    public var policy: Policy
    /// Absolute path of the SQLite file. Default: `rewind.db` beside the configuration file.
    /// Unused when ``stateDatabaseURL`` is set.
    public var statePath: String
    /// `state: postgresql://user@host:5432/rewind?sslmode=…`: the PostgreSQL database the state
    /// lives in, with `${…}` resolved (the password is in the ``redactor``). Nil: the SQLite file
    /// at ``statePath``.
    public var stateDatabaseURL: String?
    public var server: ServerSettings
    public var notifications: NotificationSettings
    /// How each notification channel is reached, in the order of `policy.notifications.channelNames`.
    public var channels: [ChannelSpec]
    /// How each service's platform, traffic, flags and migration are reached, by service name.
    public var platforms: [ServiceName: PlatformSpecs]
    /// Built from every secret value the configuration resolved (see `Secrecy`); values that are not
    /// secrets, such as a namespace read from `${K8S_NAMESPACE}`, are shown as written.
    public var redactor: Redactor
    /// Absolute path of the configuration file.
    public var sourcePath: String
    /// `health.record`: absolute path of the file every probe is appended to (``ProbeCSV`` in RewindSignals);
    /// nil records nothing.
    public var probeRecordPath: String?
    /// `log:`: the daemon's log format.
    public var log = LogSettings()
    /// `tracing:`: where the daemon exports its spans, if anywhere.
    public var tracing = TracingSettings()
    /// `ha.shards` and each service's `shard:`: how replicas on one PostgreSQL state share the watching.
    /// ``ShardAssignment/single`` (the default): one shard, held by the leader, as a single daemon runs.
    public var shards = ShardAssignment.single
    /// What is worth fixing but does not make the file invalid (a secret passed as a command
    /// argument), in line order; `rewind config validate` prints them.
    public var warnings: [ConfigProblem] = []

    /// The signing secrets of the `slack_chat` channels that have one: they sign the clicks on Rewind's Slack buttons.
    public var slackSigningSecrets: [String] {
        channels.compactMap { channel in
            guard case .slackChat(_, _, _, let signing) = channel.kind else { return nil }
            return signing?.value
        }
    }

    /// Where the state lives, for messages and logs: the SQLite path, or the database URL without
    /// its password.
    public var stateDescription: String {
        guard let url = stateDatabaseURL else { return statePath }
        return StateDatabaseURL.withoutPassword(url)
    }

    public init(
        policy: Policy,
        statePath: String,
        server: ServerSettings = .init(),
        notifications: NotificationSettings = .init(),
        channels: [ChannelSpec] = [ChannelSpec(name: "console", kind: .console)],
        platforms: [ServiceName: PlatformSpecs] = [:],
        redactor: Redactor = .init(),
        sourcePath: String
    ) {
        self.policy = policy
        self.statePath = statePath
        self.server = server
        self.notifications = notifications
        self.channels = channels
        self.platforms = platforms
        self.redactor = redactor
        self.sourcePath = sourcePath
    }
}
