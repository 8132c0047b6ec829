/// Who an escalation reaches. Each audience maps to channels in the policy.
public enum Audience: String, Sendable, Codable, Hashable, CaseIterable, Comparable {
    case oncall, management, devops, product, security

    public static func < (lhs: Audience, rhs: Audience) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One configured notification channel.
public struct ChannelSpec: Sendable, Equatable {
    /// The user's name for it, used in routes and audiences (`slack-critical`, `pagerduty`, …).
    public var name: String
    public var kind: ChannelKind
    /// Mustache templates that replace the built-in message for an event (see `NoticeTemplates`).
    public var templates: [NoticeKind: String]

    public init(name: String, kind: ChannelKind, templates: [NoticeKind: String] = [:]) {
        self.name = name
        self.kind = kind
        self.templates = templates
    }
}

/// Where a channel delivers. Base URLs default to the vendors' and are configurable, so that the
/// sandbox's loopback emulators stand in for them.
public enum ChannelKind: Sendable, Equatable {
    case console
    case file(path: String)
    /// Slack incoming webhook: the URL is the credential.
    case slackWebhook(url: ConfigText)
    /// Slack `chat.postMessage` with a bot token, to `channel`.
    case slackChat(token: ConfigText, channel: String, apiURL: String)
    /// PagerDuty Events API v2: trigger on initiated/failed/escalated, resolve on completed.
    case pagerDuty(routingKey: ConfigText, url: String)
    case email(EmailSpec)
    /// Microsoft Teams Workflows (or Office 365 connector) webhook.
    case teams(url: ConfigText)
    /// Opsgenie Alert API: create with an alias per incident, close on completed.
    case opsgenie(apiKey: ConfigText, url: String)
    /// A generic JSON webhook, signed with HMAC-SHA256 when `secret` is set.
    case webhook(url: ConfigText, secret: ConfigText?)

    public var type: String {
        switch self {
        case .console: "console"
        case .file: "file"
        case .slackWebhook: "slack_webhook"
        case .slackChat: "slack_chat"
        case .pagerDuty: "pagerduty"
        case .email: "email"
        case .teams: "teams"
        case .opsgenie: "opsgenie"
        case .webhook: "webhook"
        }
    }
}

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
        host: String, port: Int = 587, security: Security = .starttls, username: ConfigText? = nil, password: ConfigText? = nil,
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

/// Which channels hear what. The defaults follow the guide: initiated and failed go to the
/// critical channels and PagerDuty P1; completed goes to the high-priority channels.
public struct NotificationPolicy: Sendable, Equatable {
    public var channels: [ChannelSpec]
    /// Event → channel names. An event with no route goes to every channel.
    public var routes: [NoticeKind: [String]]
    /// Audience → channel names, for escalations.
    public var audiences: [Audience: [String]]
    /// Delivery: attempts per notification before it is reported as failed, and the backoff.
    public var retry: RetryPolicy
    /// How long one delivery attempt may take.
    public var timeout: Duration

    public init(
        channels: [ChannelSpec] = [ChannelSpec(name: "console", kind: .console)], routes: [NoticeKind: [String]] = [:],
        audiences: [Audience: [String]] = [:], retry: RetryPolicy = RetryPolicy(attempts: 5, baseDelay: .seconds(1), maxDelay: .seconds(60)),
        timeout: Duration = .seconds(10)
    ) {
        self.channels = channels
        self.routes = routes
        self.audiences = audiences
        self.retry = retry
        self.timeout = timeout
    }

    /// The channels that receive `kind`.
    public func channels(for kind: NoticeKind) -> [ChannelSpec] {
        guard let names = routes[kind] else { return channels }
        return channels.filter { names.contains($0.name) }
    }

    /// The channels that reach `audience`; nil when the audience is not configured.
    public func channels(for audience: Audience) -> [ChannelSpec]? {
        guard let names = audiences[audience] else { return nil }
        return channels.filter { names.contains($0.name) }
    }
}

/// The guide's two escalation policies, as delays after the incident opens.
public struct EscalationPolicy: Sendable, Equatable {
    /// Rollback failure, security breach, critical service down: on-call now, management within 5 m.
    public var immediate: [Audience: Duration]
    /// Slow rollback progress, performance still bad, high business impact: devops within 15 m,
    /// product within 30 m.
    public var delayed: [Audience: Duration]
    /// A post-mortem is scheduled within this long (an action item with a due time).
    public var postMortemWithin: Duration
    /// An incident still rolling back after this long counts as slow progress.
    public var slowRollbackAfter: Duration

    public init(
        immediate: [Audience: Duration] = [.oncall: .zero, .management: .seconds(300)],
        delayed: [Audience: Duration] = [.devops: .seconds(900), .product: .seconds(1800)],
        postMortemWithin: Duration = .seconds(86_400), slowRollbackAfter: Duration = .seconds(300)
    ) {
        self.immediate = immediate
        self.delayed = delayed
        self.postMortemWithin = postMortemWithin
        self.slowRollbackAfter = slowRollbackAfter
    }
}
