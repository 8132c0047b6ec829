import AsyncHTTPClient
import RewindCore
import RewindPorts
import RewindSpecs

/// Builds the ``Notifier`` of each configured channel.
///
/// ```swift
/// let notifiers = try configuration.channels.map {
///     try ChannelFactory.make($0, client: .shared, redactor: redactor, console: nil)
/// }
/// ```
public enum ChannelFactory {
    /// - Parameters:
    ///   - spec: the channel; every notifier's `channel` is `spec.name`.
    ///   - client: the HTTP client of the HTTP channels (its owner shuts it down).
    ///   - redactor: the configuration's secrets, removed from every error message (each channel adds
    ///     its own credentials).
    ///   - console: where the `console` channel writes lines; standard output when nil.
    ///   - timeout: the deadline of one delivery attempt (`NotificationPolicy.timeout`).
    ///   - publicURL: `server.public_url`, where people open Rewind's dashboard: Slack messages link the incident there.
    /// - Throws: ``NoticeTemplateError`` when one of the channel's template overrides does not compile.
    public static func make(
        _ spec: ChannelSpec,
        client: HTTPClient,
        redactor: Redactor,
        console: (@Sendable (String) -> Void)?,
        timeout: Duration = .seconds(10),
        publicURL: String? = nil
    ) throws -> any Notifier {
        let templates =
            spec.templates.isEmpty ? NoticeTemplates.builtIn : try NoticeTemplates(overrides: spec.templates)
        let name = spec.name
        switch spec.kind {
        case .console:
            return NamedNotifier(channel: name, base: console.map { ConsoleNotifier(write: $0) } ?? ConsoleNotifier())
        case .file(let path):
            return NamedNotifier(channel: name, base: JSONLinesNotifier(path: path))
        case .slackWebhook(let url):
            return SlackWebhookNotifier(
                url: url,
                name: name,
                templates: templates,
                client: client,
                timeout: timeout,
                redactor: redactor
            )
        case .slackChat(let token, let channel, let apiURL, let signingSecret):
            return SlackChatNotifier(
                token: token,
                channel: channel,
                apiURL: apiURL.isEmpty ? SlackChatNotifier.defaultAPIURL : apiURL,
                links: IncidentLinks(publicURL: publicURL, buttons: signingSecret != nil),
                name: name,
                templates: templates,
                client: client,
                timeout: timeout,
                redactor: redactor
            )
        case .pagerDuty(let routingKey, let url):
            return PagerDutyNotifier(
                routingKey: routingKey,
                url: url.isEmpty ? PagerDutyNotifier.defaultURL : url,
                name: name,
                client: client,
                timeout: timeout,
                redactor: redactor
            )
        case .email(let email):
            return EmailNotifier(spec: email, name: name, templates: templates)
        case .teams(let url):
            return TeamsNotifier(
                url: url,
                name: name,
                templates: templates,
                client: client,
                timeout: timeout,
                redactor: redactor
            )
        case .opsgenie(let apiKey, let url):
            return OpsgenieNotifier(
                apiKey: apiKey,
                url: url.isEmpty ? OpsgenieNotifier.defaultURL : url,
                name: name,
                templates: templates,
                client: client,
                timeout: timeout,
                redactor: redactor
            )
        case .webhook(let url, let secret):
            return WebhookNotifier(
                url: url,
                secret: secret,
                name: name,
                client: client,
                timeout: timeout,
                redactor: redactor
            )
        }
    }
}

/// A notifier under the configured channel name (the console and file notifiers have fixed names).
struct NamedNotifier<Base: Notifier>: Notifier {
    let channel: String
    let base: Base

    var foldsRepeats: Bool { base.foldsRepeats }

    func send(_ notice: Notice) async throws {
        try await base.send(notice)
    }
}
