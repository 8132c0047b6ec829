import RewindCore

/// `notifications:` (channels, routes, audiences, delivery) and `escalation:`.
extension ConfigReader {
    static let notificationKeys = ["console", "file", "timeout", "retry", "channels", "routes", "audiences"]
    static let escalationKeys = ["immediate", "delayed", "post_mortem_within", "slow_rollback_after"]
    /// Channel names taken by the channels that need no account; `notifications.console` and `.file` set them.
    static let builtInChannelNames = ["console", "file"]

    /// The console and file settings as they were, plus the whole notification policy. The console and file
    /// channels, when on, come first in `channels` under their own names, so that routes can name them.
    mutating func notifications(_ at: Located) -> (NotificationSettings, NotificationPolicy) {
        var settings = NotificationSettings()
        var policy = NotificationPolicy()
        guard let fields = mapping(at, allowed: Self.notificationKeys) else { return (settings, policy) }
        if let at = fields["console"], let value = bool(at) { settings.console = value }
        if let at = fields["file"], !at.isNull { settings.file = filePath(at) }
        if let at = fields["timeout"], let value = duration(at) { policy.timeout = value }
        if let at = fields["retry"] { policy.retry = retryPolicy(at, base: policy.retry, minimumAttempts: 1) }
        policy.channels = Self.builtInChannels(settings)
        var known = policy.channels.map(\.name)
        if let at = fields["channels"] {
            let (channels, declared) = self.channels(at)
            policy.channels += channels
            known += declared
        }
        if let at = fields["routes"] {
            policy.routes = keyed(at, by: NoticeKind.allCases, what: "event") { reader, at in
                reader.channelNames(at, known: known, settings: settings)
            }
        }
        if let at = fields["audiences"] {
            policy.audiences = keyed(at, by: Audience.allCases, what: "audience") { reader, at in
                reader.channelNames(at, known: known, settings: settings)
            }
        }
        return (settings, policy)
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
        if let at = fields["post_mortem_within"], let value = duration(at) { policy.postMortemWithin = value }
        if let at = fields["slow_rollback_after"], let value = duration(at) { policy.slowRollbackAfter = value }
        return policy
    }

    /// `{ oncall: 0s, management: 5m }`: how long after the incident opens each audience hears of it.
    private mutating func audienceDelays(_ at: Located) -> [Audience: Duration] {
        keyed(at, by: Audience.allCases, what: "audience") { reader, at in reader.duration(at, allowZero: true) }
    }
}
