import RewindCore

/// Where a channel's credential is configured, for error messages that say what to fix: the
/// configuration key and the variable it is read from — never the value.
///
/// ```swift
/// ChannelCredential.describe(channel: "oncall-pager", key: "routing_key", routingKey)
/// // "notifications.channels.oncall-pager.routing_key (${PAGERDUTY_ROUTING_KEY})"
/// ```
enum ChannelCredential {
    static func describe(channel: String, key: String, _ text: ConfigText?) -> String {
        let path = "notifications.channels.\(channel).\(key)"
        guard let written = text?.writtenSources else { return path }
        return "\(path) (\(written))"
    }
}
