/// Which channels hear what. The defaults follow the guide: initiated and failed go to the
/// critical channels and PagerDuty P1; completed goes to the high-priority channels.
///
/// Channels are known here by their configured names only; how each one is reached (its vendor,
/// URL, credentials) travels beside the policy, in RewindSpecs' `ChannelSpec`.
public struct NotificationPolicy: Sendable, Equatable {
    /// The configured channels' names, in order (`console`, `slack-critical`, `pagerduty`, …).
    public var channelNames: [String]
    /// Event → channel names. An event with no route goes to every channel.
    public var routes: [NoticeKind: [String]]
    /// Routing rules that can also match a notice's strategy and severity (`routes:` written as a
    /// list). A notice goes to the channels of every rule it matches; when it matches none, to its
    /// event's route; with neither, to every channel.
    public var rules: [RouteRule] = []
    /// Audience → channel names, for escalations.
    public var audiences: [Audience: [String]]
    /// Delivery: attempts per notification before it is reported as failed, and the backoff.
    public var retry: RetryPolicy
    /// How long one delivery attempt may take.
    public var timeout: Duration

    public init(
        channelNames: [String] = ["console"], routes: [NoticeKind: [String]] = [:],
        audiences: [Audience: [String]] = [:],
        retry: RetryPolicy = RetryPolicy(attempts: 5, baseDelay: .seconds(1), maxDelay: .seconds(60)),
        timeout: Duration = .seconds(10)
    ) {
        self.channelNames = channelNames
        self.routes = routes
        self.audiences = audiences
        self.retry = retry
        self.timeout = timeout
    }

    /// The names of the channels that receive `kind`, in channel order.
    public func channelNames(for kind: NoticeKind) -> [String] {
        guard let names = routes[kind] else { return channelNames }
        return channelNames.filter { names.contains($0) }
    }

    /// The names of the channels that receive `notice`, in channel order: those of every rule it
    /// matches; else its event's route; else every channel.
    public func channelNames(for notice: Notice) -> [String] {
        let matching = rules.filter { $0.matches(notice) }
        guard !matching.isEmpty else { return channelNames(for: notice.kind) }
        let names = Set(matching.flatMap(\.to))
        return channelNames.filter { names.contains($0) }
    }

    /// The names of the channels that subscribed to `notice`'s kind by name, in channel order: its event's
    /// route and the rules whose `event` is that kind. Opt-in notices (``NoticeKind/earlyWarning``) go to
    /// these only — never to every channel.
    public func subscribers(of notice: Notice) -> [String] {
        var names = Set(routes[notice.kind] ?? [])
        for rule in rules where rule.event == notice.kind && rule.matches(notice) { names.formUnion(rule.to) }
        return channelNames.filter { names.contains($0) }
    }

    /// The names of the channels that reach `audience`, in channel order; nil when the audience is
    /// not configured.
    public func channelNames(for audience: Audience) -> [String]? {
        guard let names = audiences[audience] else { return nil }
        return channelNames.filter { names.contains($0) }
    }
}
