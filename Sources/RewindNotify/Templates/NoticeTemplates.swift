import Mustache
import RewindCore

/// How a rendered message is escaped, per destination.
///
/// Templates are written once, in the guide's Markdown (`**bold**`); each format compiles its own
/// variant of every template:
///
/// - ``slackMrkdwn``: Slack requires `&`, `<` and `>` to be sent as `&amp;`, `&lt;`, `&gt;` (otherwise
///   `<!channel>` or `<https://…|link>` in a service name or an error message would become a mention or
///   a link). Every `{{variable}}` value is escaped that way, and the template's own `**bold**` is
///   rewritten to Slack's `*bold*`. The escaped text is also safe inside HTML element content.
/// - ``plainText``: values are inserted as they are (Teams cards, PagerDuty and Opsgenie descriptions,
///   plain-text e-mail bodies). Markdown is kept.
///
/// A triple mustache `{{{name}}}` skips the escaping in either format; the built-in templates never use
/// it. Escaping for the transport (JSON) is separate: channels build payloads with `JSONEncoder`.
public enum NoticeFormat: Sendable, Hashable, CaseIterable {
    case slackMrkdwn
    case plainText

    /// The content-type pragma that selects this format's escaping.
    fileprivate var pragma: String {
        switch self {
        case .slackMrkdwn: "{{% CONTENT_TYPE: \(SlackEscaping.name)}}"
        case .plainText: "{{% CONTENT_TYPE: TEXT}}"
        }
    }

    /// Rewrites the template's own markup (never the values) for the destination.
    fileprivate func adapt(_ source: String) -> String {
        switch self {
        case .slackMrkdwn: source.replacingAll("**", with: "*")
        case .plainText: source
        }
    }
}

/// The message of each notice: the built-in templates (``DefaultTemplates``, the guide's messages)
/// with the configuration's overrides on top, compiled once.
///
/// ```swift
/// let templates = try NoticeTemplates(overrides: [.failed: "❌ {{service}} failed: {{error}}"])
/// let slackText = templates.render(notice)                   // mrkdwn, escaped
/// let emailText = templates.render(notice, as: .plainText)   // unescaped
/// ```
///
/// Variables: see ``context(_:)``.
public struct NoticeTemplates: Sendable {
    private let compiled: [NoticeKind: [NoticeFormat: MustacheTemplate]]

    /// - Throws: ``NoticeTemplateError`` naming the event whose override does not compile.
    public init(overrides: [NoticeKind: String] = [:]) throws {
        SlackEscaping.register()
        var compiled: [NoticeKind: [NoticeFormat: MustacheTemplate]] = [:]
        for kind in NoticeKind.allCases {
            let source = overrides[kind] ?? DefaultTemplates.source(for: kind)
            compiled[kind] = try Self.compile(source, for: kind)
        }
        self.compiled = compiled
    }

    /// The built-in templates, without overrides.
    public static let builtIn: NoticeTemplates = {
        do {
            return try NoticeTemplates()
        } catch {
            preconditionFailure("the built-in notification templates do not compile: \(error)")
        }
    }()

    /// The message for `notice` in Slack mrkdwn (values escaped; see ``NoticeFormat/slackMrkdwn``).
    public func render(_ notice: Notice) -> String {
        render(notice, as: .slackMrkdwn)
    }

    /// The message for `notice`, escaped for `format`. Trailing blank lines are removed. A notice that
    /// may repeat an earlier delivery opens with ``NoticeDelivery/repeatLine``, whatever the template.
    public func render(_ notice: Notice, as format: NoticeFormat) -> String {
        guard let template = compiled[notice.kind]?[format] else { return notice.line }
        var text = Substring(template.render(Self.context(notice)))
        while let last = text.last, last.isWhitespace { text.removeLast() }
        guard notice.delivery?.mayRepeat == true else { return String(text) }
        return NoticeDelivery.repeatLine + "\n\n" + text
    }

    /// The variables every template can use:
    ///
    /// | name | value |
    /// |---|---|
    /// | `service` | the services, comma-separated (`backend, worker`) |
    /// | `services` | the services, a list |
    /// | `trigger`, `severity`, `status`, `title`, `emoji`, `event` | text (`health_critical`, `critical`, …) |
    /// | `timestamp` | ISO 8601 UTC (`2026-11-27T10:31:08.250Z`) |
    /// | `incident` | the incident number |
    /// | `strategy` | `immediate` / `fast`; absent when none |
    /// | `duration` | human (`42s`, `2m30s`); absent when unknown |
    /// | `error` | absent when none |
    /// | `audience` | who an escalation is for (`management`); absent otherwise |
    /// | `failed_channel` | the channel a `channel_failed` notice is about; absent otherwise |
    /// | `actions`, `evidence`, `verification_results` | lists of text |
    /// | `next_steps` | the guide's steps, numbered (`1. Monitor rollback progress`) |
    public static func context(_ notice: Notice) -> [String: Any] {
        let services = notice.services.map(\.rawValue)
        var context: [String: Any] = [
            "event": notice.kind.rawValue,
            "title": notice.title,
            "emoji": notice.kind.emoji,
            "incident": String(notice.incidentID),
            "service": services.joined(separator: ", "),
            "services": services,
            "trigger": notice.trigger.rawValue,
            "severity": notice.severity.rawValue,
            "timestamp": notice.timestamp.iso8601,
            "status": notice.status,
            "actions": notice.actions,
            "evidence": notice.evidence,
            "verification_results": notice.verificationResults,
            "next_steps": notice.nextSteps.enumerated().map { "\($0.offset + 1). \($0.element)" },
        ]
        if let strategy = notice.strategy { context["strategy"] = strategy.rawValue }
        if let durationMs = notice.durationMs {
            context["duration"] = Duration.milliseconds(durationMs).rewindDescription
        }
        if let error = notice.error { context["error"] = error }
        if let audience = notice.audience { context["audience"] = audience.rawValue }
        if let failedChannel = notice.failedChannel { context["failed_channel"] = failedChannel }
        return context
    }

    private static func compile(_ source: String, for kind: NoticeKind) throws -> [NoticeFormat: MustacheTemplate] {
        // Compiled as written first, so that a problem is reported at the line and column the user wrote.
        do {
            _ = try MustacheTemplate(string: source)
        } catch {
            throw NoticeTemplateError(event: kind, parserError: error)
        }
        var variants: [NoticeFormat: MustacheTemplate] = [:]
        for format in NoticeFormat.allCases {
            // The pragma stands alone on its own line, so it leaves no blank line in the output.
            let variant = format.pragma + "\n" + format.adapt(source)
            do {
                variants[format] = try MustacheTemplate(string: variant)
            } catch {
                throw NoticeTemplateError(event: kind, parserError: error)
            }
        }
        return variants
    }
}

/// A template override that does not compile.
public struct NoticeTemplateError: RewindError, Equatable {
    public var event: NoticeKind
    public var reason: String

    public init(event: NoticeKind, reason: String) {
        self.event = event
        self.reason = reason
    }

    init(event: NoticeKind, parserError: any Error) {
        guard let parserError = parserError as? MustacheTemplate.ParserError else {
            self.init(event: event, reason: String(describing: parserError))
            return
        }
        let position = "line \(parserError.context.lineNumber), column \(parserError.context.columnNumber)"
        self.init(event: event, reason: "\(Self.explain(parserError.error)) (\(position))")
    }

    public var code: String { "template_invalid" }

    public var message: String {
        "the notification template for the \(event.rawValue) event does not compile: \(reason); "
            + "fix it in the channel's templates"
    }

    private static func explain(_ error: any Error) -> String {
        guard let error = error as? MustacheTemplate.Error else { return String(describing: error) }
        switch error {
        case .sectionCloseNameIncorrect: return "a closing tag does not match the section it closes"
        case .unfinishedName: return "a tag is not closed"
        case .expectedSectionEnd: return "a section is never closed"
        case .invalidSetDelimiter: return "a set-delimiter tag is malformed"
        case .transformAppliedToInheritanceSection: return "a transform is applied to an inheritance section"
        case .illegalTokenInsideInheritSection: return "an inheritance section holds a tag it cannot"
        case .textInsideInheritSection: return "an inheritance section holds text"
        case .invalidConfigVariableSyntax: return "a pragma is malformed"
        case .unrecognisedConfigVariable: return "a pragma is not recognised"
        }
    }
}

/// Slack's escaping: exactly `&`, `<` and `>`.
struct SlackEscaping: MustacheContentType {
    static let name = "REWIND_SLACK_MRKDWN"

    /// Registers the content type with swift-mustache (a process-wide table) once.
    static func register() {
        _ = registration
    }

    private static let registration: Void = MustacheContentTypes.register(SlackEscaping(), named: name)

    func escapeText(_ text: String) -> String {
        Self.escape(text)
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
