/// The incident report in its three formats. Markdown and HTML carry the same sections: summary,
/// why Rewind acted (evidence), the chart of the triggering signal against its threshold, the
/// plan, the timeline, notifications, escalation, and the guide's post-rollback work.
extension IncidentReport {
    public enum Format: String, Sendable, CaseIterable {
        case md, json, html
    }

    public static func chart(_ dossier: IncidentDossier) -> String {
        let check = dossier.incident.violation?.evidence.first?.check ?? "check"
        let service = dossier.incident.violation?.service.rawValue ?? dossier.incident.services.first?.rawValue ?? "service"
        return SignalChart.svg(
            series: dossier.triggeringSeries, threshold: dossier.threshold, markers: dossier.markers,
            title: "\(service)/\(check): consecutive failures around the rollback", yLabel: "consecutive failures")
    }

    /// Markdown; `chartPath` is where the caller wrote the SVG chart (linked, since Markdown
    /// viewers do not inline SVG text).
    public static func markdown(_ dossier: IncidentDossier, chartPath: String?) -> String {
        var text = markdown(dossier.incident, timeline: dossier.timeline)
        var extra: [String] = []
        if let chartPath {
            extra += ["## Triggering signal", "", "![\(dossier.incident.violation?.rule ?? "signal") against its threshold](\(chartPath))", ""]
        }
        if !dossier.notifications.isEmpty {
            extra += ["## Notifications", "", "| channel | event | status | attempts |", "|---|---|---|---|"]
            extra += dossier.notifications.map {
                "| \(escape($0.channel)) | \($0.notice.kind.rawValue)\($0.notice.audience.map { " (\($0.rawValue))" } ?? "") | \($0.status.rawValue)\($0.lastError.map { ": " + escape($0) } ?? "") | \($0.attempts) |"
            }
            extra.append("")
        }
        if !dossier.escalations.isEmpty {
            extra += ["## Escalation", "", "| audience | policy | due | state | why |", "|---|---|---|---|---|"]
            extra += dossier.escalations.map { "| \($0.audience.rawValue) | \($0.policy.rawValue) | \($0.dueAt) | \($0.state.rawValue) | \(escape($0.reason)) |" }
            if let at = dossier.incident.acknowledgedAt { extra.append("\nAcknowledged by \(escape(dossier.incident.acknowledgedBy ?? "someone")) at \(at).") }
            extra.append("")
        }
        if !dossier.tasks.isEmpty {
            extra += ["## Post-rollback work", "", "| task | group | team | due | state |", "|---|---|---|---|---|"]
            extra += dossier.tasks.map { "| \(escape($0.title)) | \($0.group.rawValue) | \($0.team) | \($0.dueAt?.description ?? "required") | \($0.state.rawValue) |" }
            extra.append("")
        }
        // Replace the generic follow-up with the recorded tasks when there are any.
        if !dossier.tasks.isEmpty, let range = Substring(text).range(of: "## Follow-up") {
            text = String(text[..<range.lowerBound])
        }
        return text + extra.joined(separator: "\n")
    }

    public static func html(_ dossier: IncidentDossier) -> String {
        let incident = dossier.incident
        func h(_ text: String) -> String { SignalChart.escape(text) }
        func table(_ headers: [String], _ rows: [[String]]) -> String {
            "<table><tr>" + headers.map { "<th>\(h($0))</th>" }.joined() + "</tr>"
                + rows.map { "<tr>" + $0.map { "<td>\(h($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
        }
        var body: [String] = []
        body.append("<h1>Incident #\(incident.id): \(h(incident.summary))</h1>")
        var summary: [[String]] = [
            ["Status", incident.status.rawValue], ["Services", incident.services.map(\.rawValue).joined(separator: ", ")],
            ["Trigger", incident.trigger.rawValue], ["Severity", incident.severity.rawValue],
            ["Strategy", incident.strategy?.rawValue ?? "none"], ["Mode", incident.mode.rawValue], ["Opened", incident.openedAt.iso8601],
        ]
        if let closed = incident.closedAt { summary.append(["Closed", "\(closed.iso8601) (after \((closed - incident.openedAt).rewindDescription))"]) }
        if let reason = incident.reason { summary.append(["Reason", reason]) }
        if let at = incident.acknowledgedAt { summary.append(["Acknowledged", "\(at.iso8601) by \(incident.acknowledgedBy ?? "someone")"]) }
        body.append(table(["", ""], summary))
        if let violation = incident.violation {
            body.append("<h2>Why Rewind acted</h2><p>Rule <code>\(h(violation.rule))</code> fired on \(h(violation.service.rawValue)) at \(violation.at.iso8601).</p>")
            body.append(table(["time", "check", "result", "latency"], violation.evidence.map { [$0.at.iso8601, $0.check, $0.result, "\($0.latencyMs) ms"] }))
        }
        body.append("<h2>Triggering signal</h2>" + chart(dossier))
        if let plan = incident.plan {
            body.append("<h2>Plan</h2><ul>" + plan.steps.map {
                "<li><code>\(h($0.id))</code>: \(h($0.service.rawValue)) \(h($0.from.label)) → \(h($0.to.label)), timeout \($0.timeout.rewindDescription)</li>"
            }.joined() + "</ul>")
        }
        body.append("<h2>Timeline</h2>" + table(["time", "+", "kind", "what"], dossier.timeline.map {
            [$0.at.iso8601, ($0.at - incident.openedAt).rewindDescription, $0.kind.rawValue, $0.message]
        }))
        if !dossier.notifications.isEmpty {
            body.append("<h2>Notifications</h2>" + table(["channel", "event", "status", "attempts"], dossier.notifications.map {
                [$0.channel, $0.notice.kind.rawValue + ($0.notice.audience.map { " (\($0.rawValue))" } ?? ""), $0.status.rawValue + ($0.lastError.map { ": \($0)" } ?? ""), "\($0.attempts)"]
            }))
        }
        if !dossier.escalations.isEmpty {
            body.append("<h2>Escalation</h2>" + table(["audience", "policy", "due", "state", "why"], dossier.escalations.map {
                [$0.audience.rawValue, $0.policy.rawValue, $0.dueAt.iso8601, $0.state.rawValue, $0.reason]
            }))
        }
        if !dossier.tasks.isEmpty {
            body.append("<h2>Post-rollback work</h2>" + table(["task", "group", "team", "due", "state"], dossier.tasks.map {
                [$0.title, $0.group.rawValue, $0.team, $0.dueAt?.iso8601 ?? "required", $0.state.rawValue]
            }))
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Incident #\(incident.id)</title>
            <style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#111}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}code{background:#f3f3f3;padding:0 3px}</style>
            </head><body>
            \(body.joined(separator: "\n"))
            </body></html>

            """
    }
}
