import RewindCore

/// The two versions of a notice e-mail. The plain-text part is the channel's message template
/// (``NoticeTemplates``, unescaped: the guide's wording, or the configuration's override). The HTML
/// part shows every field of the notice — title, service, trigger, severity, time, the failed channel
/// (`channel_failed`), status, error, actions, verification results, evidence, next steps — with every
/// value HTML-escaped.
struct EmailBody: Sendable, Equatable {
    var text: String
    var html: String

    init(_ notice: Notice, templates: NoticeTemplates) {
        text = templates.render(notice, as: .plainText) + "\n\n-- \nSent by Rewind, the automated rollback system.\n"
        html = Self.html(
            title: "\(notice.kind.emoji) \(notice.title)",
            facts: Self.facts(of: notice),
            sections: Self.sections(of: notice)
        )
    }

    /// `Subject:` text, such as `[Rewind] ROLLBACK FAILED: backend (incident #7)`; `[Rewind, sent again]`
    /// when it may repeat an earlier delivery (``NoticeDelivery/mayRepeat``).
    static func subject(for notice: Notice) -> String {
        let services = notice.services.map(\.rawValue).joined(separator: ", ")
        let tag = notice.delivery?.mayRepeat == true ? "[Rewind, sent again]" : "[Rewind]"
        if notice.kind == .earlyWarning { return "\(tag) \(notice.title): \(services)" }
        return "\(tag) \(notice.title): \(services) (incident #\(notice.incidentID))"
    }

    private struct Section {
        var heading: String
        var items: [String]
        var numbered: Bool
    }

    private static func facts(of notice: Notice) -> [(label: String, value: String)] {
        var facts: [(String, String)] = [
            ("Service", notice.services.map(\.rawValue).joined(separator: ", ")),
            ("Incident", notice.kind == .earlyWarning ? "none" : "#\(notice.incidentID)"),
            ("Trigger", notice.trigger.rawValue),
            ("Severity", notice.severity.rawValue),
            ("Time", notice.timestamp.iso8601),
        ]
        if let audience = notice.audience { facts.append(("For", audience.rawValue)) }
        if let failedChannel = notice.failedChannel { facts.append(("Channel", failedChannel)) }
        if let strategy = notice.strategy { facts.append(("Strategy", strategy.rawValue)) }
        facts.append(("Status", notice.status))
        if let durationMs = notice.durationMs {
            facts.append(("Duration", Duration.milliseconds(durationMs).rewindDescription))
        }
        if let error = notice.error { facts.append(("Error", error)) }
        if notice.delivery?.mayRepeat == true { facts.append(("Delivery", NoticeDelivery.repeatLine)) }
        return facts
    }

    private static func sections(of notice: Notice) -> [Section] {
        let nextSteps = [.failed, .escalated].contains(notice.kind) ? "Immediate Actions Required" : "Next Steps"
        return [
            Section(heading: "Actions Taken", items: notice.actions, numbered: false),
            Section(heading: "Verification Results", items: notice.verificationResults, numbered: false),
            Section(heading: "Evidence", items: notice.evidence, numbered: false),
            Section(heading: nextSteps, items: notice.nextSteps, numbered: true),
        ].filter { !$0.items.isEmpty }
    }

    private static func html(title: String, facts: [(label: String, value: String)], sections: [Section]) -> String {
        var lines = [
            "<!DOCTYPE html>",
            "<html><head><meta charset=\"utf-8\"><title>\(escape(title))</title></head>",
            "<body style=\"font-family: sans-serif\">",
            "<h2>\(escape(title))</h2>",
            "<table>",
        ]
        lines += facts.map { "<tr><th align=\"left\">\(escape($0.label))</th><td>\(escape($0.value))</td></tr>" }
        lines.append("</table>")
        for section in sections {
            let list = section.numbered ? "ol" : "ul"
            lines.append("<h3>\(escape(section.heading))</h3>")
            lines.append("<\(list)>")
            lines += section.items.map { "<li>\(escape($0))</li>" }
            lines.append("</\(list)>")
        }
        lines += ["<p><small>Sent by Rewind, the automated rollback system.</small></p>", "</body></html>"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Escapes the five characters that are special in HTML text and attribute values.
    static func escape(_ text: String) -> String { HTML.escape(text) }
}
