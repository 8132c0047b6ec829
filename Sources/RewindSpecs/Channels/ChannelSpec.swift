import RewindCore

/// One configured notification channel and how it is reached. The notification policy knows it by
/// `name` only (routes, audiences); the composition root builds its notifier from the rest.
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
    /// Slack `chat.postMessage` with a bot token, to `channel`. With the app's `signingSecret`, incident
    /// messages carry buttons (acknowledge; roll back now for an observed incident) whose clicks Slack
    /// sends, signed, to `POST /hooks/slack`.
    case slackChat(token: ConfigText, channel: String, apiURL: String, signingSecret: ConfigText? = nil)
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
