import RewindCore
import RewindSpecs
import Yams

/// `notifications:` (channels, routes, audiences, delivery) and `escalation:`.
extension ConfigReader {
    static let notificationKeys = ["console", "file", "timeout", "retry", "channels", "routes", "audiences"]
    static let escalationKeys = ["immediate", "delayed", "post_mortem_within", "slow_rollback_after"]
    static let routeRuleKeys = ["when", "to"]
    static let routeConditionKeys = ["event", "strategy", "severity"]
    /// Channel names taken by the channels that need no account; `notifications.console` and `.file` set them.
    static let builtInChannelNames = ["console", "file"]

    /// The console and file settings as they were, the whole notification policy, and how each of its channels
    /// is reached. The console and file channels, when on, come first under their own names, so that routes
    /// can name them.
    mutating func notifications(_ at: Located) -> (NotificationSettings, NotificationPolicy, [ChannelSpec]) {
        var settings = NotificationSettings()
        var policy = NotificationPolicy()
        guard let fields = mapping(at, allowed: Self.notificationKeys) else {
            return (settings, policy, Self.builtInChannels(settings))
        }
        if let at = fields["console"], let value = bool(at) { settings.console = value }
        if let at = fields["file"], !at.isNull { settings.file = filePath(at) }
        if let at = fields["timeout"], let value = duration(at, .timeout) { policy.timeout = value }
        if let at = fields["retry"] {
            policy.retry = retryPolicy(at, base: policy.retry, attempts: CountBounds.deliveryAttempts)
        }
        var specs = Self.builtInChannels(settings)
        var known = specs.map(\.name)
        if let at = fields["channels"] {
            let (channels, declared) = self.channels(at)
            specs += channels
            known += declared
        }
        policy.channelNames = specs.map(\.name)
        if let at = fields["routes"] {
            if case .sequence = at.node {
                policy.rules = routeRules(at, known: known, settings: settings)
            } else {
                policy.routes = keyed(at, by: NoticeKind.allCases, what: "event") { reader, at in
                    reader.channelNames(at, known: known, settings: settings)
                }
            }
        }
        if let at = fields["audiences"] {
            policy.audiences = keyed(at, by: Audience.allCases, what: "audience") { reader, at in
                reader.channelNames(at, known: known, settings: settings)
            }
        }
        return (settings, policy, specs)
    }

    static func builtInChannels(_ settings: NotificationSettings) -> [ChannelSpec] {
        var channels: [ChannelSpec] = []
        if settings.console { channels.append(ChannelSpec(name: "console", kind: .console)) }
        if let file = settings.file { channels.append(ChannelSpec(name: "file", kind: .file(path: file))) }
        return channels
    }

    // MARK: - routes and audiences

    /// A mapping whose keys are the raw values of `Key` (events, audiences), each value read by `read`.
    /// An unknown key is a problem that lists the allowed ones.
    mutating func keyed<Key: RawRepresentable & Hashable, Value>(
        _ at: Located,
        by keys: [Key],
        what: String,
        read: (inout ConfigReader, Located) -> Value?
    ) -> [Key: Value] where Key.RawValue == String {
        guard let entries = rawMapping(at) else { return [:] }
        var result: [Key: Value] = [:]
        for (name, value) in entries {
            guard let key = keys.first(where: { $0.rawValue == name }) else {
                let words = keys.map(\.rawValue)
                var message = "unknown \(what) '\(name)'; use \(Suggestion.list(words))"
                if let suggestion = Suggestion.closest(to: name, among: words) {
                    message += "; did you mean '\(suggestion)'?"
                }
                report(value, message)
                continue
            }
            if let read = read(&self, value) { result[key] = read }
        }
        return result
    }

    /// `routes:` written as a list of rules: `- when: {event: initiated, strategy: immediate, severity: critical}`
    /// and `to: [channels]`. Each condition may be left out; a rule without `when` matches everything.
    mutating func routeRules(_ at: Located, known: [String], settings: NotificationSettings) -> [RouteRule] {
        guard let elements = list(at) else { return [] }
        var rules: [RouteRule] = []
        for element in elements {
            guard let fields = mapping(element, allowed: Self.routeRuleKeys) else { continue }
            var rule = RouteRule(to: [])
            if let when = fields["when"], let conditions = mapping(when, allowed: Self.routeConditionKeys) {
                if let at = conditions["event"] {
                    rule.event = choice(at, NoticeKind.allCases.map { ($0.rawValue, $0) })
                }
                if let at = conditions["strategy"] {
                    rule.strategy = choice(at, Strategy.allCases.map { ($0.rawValue, $0) })
                }
                if let at = conditions["severity"] {
                    rule.severity = choice(at, Severity.allCases.map { ($0.rawValue, $0) })
                }
            }
            guard let to = fields["to"] else {
                report(element, "a route needs to: [channels]")
                continue
            }
            rule.to = channelNames(to, known: known, settings: settings) ?? []
            rules.append(rule)
        }
        return rules
    }

    /// A list of channel names, each one defined in this file and listed once. An empty list is allowed:
    /// it says "nowhere" on purpose.
    mutating func channelNames(_ at: Located, known: [String], settings: NotificationSettings) -> [String]? {
        guard let elements = list(at) else { return nil }
        var names: [String] = []
        for element in elements {
            guard let name = word(element, expected: "a channel name") else { continue }
            guard known.contains(name) else {
                report(element, unknownChannelMessage(name, known: known, settings: settings))
                continue
            }
            guard !names.contains(name) else {
                report(element, "'\(name)' is listed twice; list each channel once")
                continue
            }
            names.append(name)
        }
        return names
    }

    private func unknownChannelMessage(_ name: String, known: [String], settings: NotificationSettings) -> String {
        if name == "console", !settings.console {
            return "the console channel is off; set notifications.console: true to use it"
        }
        if name == "file", settings.file == nil {
            return "the file channel is off; set notifications.file to a path to use it"
        }
        var message = "unknown channel '\(name)'"
        if let suggestion = Suggestion.closest(to: name, among: known) {
            message += "; did you mean '\(suggestion)'?"
        } else if known.isEmpty {
            message += "; define it under notifications.channels"
        } else {
            message += "; channels in this file: \(known.joined(separator: ", "))"
        }
        return message
    }

    // MARK: - escalation

    /// The guide's immediate and delayed escalation. A written `immediate` or `delayed` mapping replaces the
    /// default one whole, so that leaving an audience out turns its escalation off.
    mutating func escalationPolicy(_ at: Located) -> EscalationPolicy {
        var policy = EscalationPolicy()
        guard let fields = mapping(at, allowed: Self.escalationKeys) else { return policy }
        if let at = fields["immediate"] { policy.immediate = audienceDelays(at) }
        if let at = fields["delayed"] { policy.delayed = audienceDelays(at) }
        if let at = fields["post_mortem_within"], let value = duration(at, .due) { policy.postMortemWithin = value }
        if let at = fields["slow_rollback_after"], let value = duration(at, .watch) { policy.slowRollbackAfter = value }
        return policy
    }

    /// `{ oncall: 0s, management: 5m }`: how long after the incident opens each audience hears of it.
    private mutating func audienceDelays(_ at: Located) -> [Audience: Duration] {
        keyed(at, by: Audience.allCases, what: "audience") { reader, at in reader.duration(at, .delay) }
    }
}
