/// The incident report in its three formats. Markdown (``markdown(_:chartPath:medium:)``) and HTML
/// carry the same sections: summary, impact, why Rewind acted (evidence), the chart of the
/// triggering signal against its threshold, the plan, the timeline, root cause, action items,
/// lessons learned, notifications and escalation. JSON is the whole record with the post-mortem
/// (``Document``).
extension IncidentReport {
    public enum Format: String, Sendable, CaseIterable {
        case md, json, html
    }

    /// The JSON report: every field of the dossier, plus `post_mortem` (``PostMortem``).
    public struct Document: Encodable, Sendable {
        public var dossier: IncidentDossier
        public var postMortem: PostMortem

        public init(_ dossier: IncidentDossier) {
            self.dossier = dossier
            postMortem = PostMortem(dossier)
        }

        enum CodingKeys: String, CodingKey {
            case postMortem = "post_mortem"
        }

        public func encode(to encoder: any Encoder) throws {
            try dossier.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(postMortem, forKey: .postMortem)
        }
    }

    public static func chart(_ dossier: IncidentDossier) -> String {
        let check = dossier.incident.violation?.evidence.first?.check ?? "check"
        let service =
            dossier.incident.violation?.service.rawValue ?? dossier.incident.services.first?.rawValue ?? "service"
        return SignalChart.svg(
            series: dossier.triggeringSeries, threshold: dossier.threshold, markers: dossier.markers,
            title: "\(service)/\(check): consecutive failures around the rollback", yLabel: "consecutive failures")
    }

    public static func html(_ dossier: IncidentDossier) -> String {
        let incident = dossier.incident
        let postMortem = PostMortem(dossier)
        func h(_ text: String) -> String { HTML.escape(text) }
        func table(_ headers: [String], _ rows: [[String]]) -> String {
            "<table><tr>" + headers.map { "<th>\(h($0))</th>" }.joined() + "</tr>"
                + rows.map { "<tr>" + $0.map { "<td>\(h($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
        }
        func paragraph(_ text: String) -> String { "<p>\(h(text))</p>" }
        var body: [String] = []
        body.append("<h1>Incident #\(incident.id): \(h(incident.summary))</h1>")
        body.append("<h2>Summary</h2>" + paragraph(postMortem.summary))
        var summary: [[String]] = [
            ["Status", incident.status.rawValue],
            ["Services", incident.services.map(\.rawValue).joined(separator: ", ")],
            ["Trigger", incident.trigger.rawValue], ["Severity", incident.severity.rawValue],
            ["Strategy", incident.strategy?.rawValue ?? "none"], ["Mode", incident.mode.rawValue],
            ["Opened", incident.openedAt.iso8601],
        ]
        if let closed = incident.closedAt {
            summary.append(["Closed", "\(closed.iso8601) (after \((closed - incident.openedAt).rewindDescription))"])
        }
        if let reason = incident.reason { summary.append(["Reason", reason]) }
        if let at = incident.acknowledgedAt {
            summary.append(["Acknowledged", "\(at.iso8601) by \(incident.acknowledgedBy ?? "someone")"])
        }
        body.append(table(["", ""], summary))
        let impact = postMortem.impact
        var duration = "ongoing since \(impact.started.iso8601)"
        if let ended = impact.ended, let length = impact.duration {
            duration = "\(length), from \(impact.started.iso8601) to \(ended.iso8601)"
        }
        body.append(
            "<h2>Impact</h2>"
                + table(
                    ["", ""],
                    [["Services", impact.services.map(\.rawValue).joined(separator: ", ")], ["Duration", duration]])
                + (impact.evidence.isEmpty
                    ? "" : "<ul>" + impact.evidence.map { "<li>\(h($0))</li>" }.joined() + "</ul>"))
        if let violation = incident.violation {
            body.append(
                "<h2>Why Rewind acted</h2><p>Rule <code>\(h(violation.rule))</code> fired on \(h(violation.service.rawValue)) at \(violation.at.iso8601).</p>"
            )
            body.append(
                table(
                    ["time", "check", "result", "latency"],
                    violation.evidence.map { [$0.at.iso8601, $0.check, $0.result, "\($0.latencyMs) ms"] }))
        }
        body.append("<h2>Triggering signal</h2>" + chart(dossier))
        if let plan = incident.plan {
            body.append(
                "<h2>Plan</h2><ul>"
                    + plan.steps.map {
                        "<li><code>\(h($0.id))</code>: \(h($0.summary())), timeout \($0.timeout.rewindDescription)</li>"
                    }.joined() + "</ul>")
        }
        body.append(
            "<h2>Timeline</h2>"
                + table(
                    ["time", "+", "kind", "what"],
                    dossier.timeline.map {
                        [$0.at.iso8601, ($0.at - incident.openedAt).rewindDescription, $0.kind.rawValue, $0.message]
                    }))
        body.append(
            "<h2>Root cause</h2>"
                + paragraph(
                    postMortem.rootCause
                        ?? "To be determined: \(PostMortem.howToRecord(PostMortem.rootCauseTask, incident: incident.id))."
                ))
        if postMortem.actionItems.isEmpty {
            body.append("<h2>Action items</h2>" + paragraph("No post-rollback work was recorded for this incident."))
        } else {
            body.append(
                "<h2>Action items</h2>"
                    + paragraph("Post-rollback work recorded on the incident: owners, due dates, state and notes.")
                    + table(
                        ["task", "owner", "due", "state", "note"],
                        postMortem.actionItems.map {
                            [
                                "\($0.title) (\($0.task))", $0.owner, $0.due?.iso8601 ?? "required", $0.state.rawValue,
                                $0.note ?? "",
                            ]
                        }))
        }
        body.append(
            "<h2>Lessons learned</h2>"
                + paragraph(
                    postMortem.lessonsLearned
                        ?? "To be written: \(PostMortem.howToRecord(PostMortem.lessonsLearnedTask, incident: incident.id))."
                ))
        if !dossier.notifications.isEmpty {
            body.append(
                "<h2>Notifications</h2>"
                    + table(
                        ["channel", "event", "status", "attempts"],
                        dossier.notifications.map {
                            [
                                $0.channel,
                                $0.notice.kind.rawValue + ($0.notice.audience.map { " (\($0.rawValue))" } ?? ""),
                                $0.status.rawValue + ($0.lastError.map { ": \($0)" } ?? ""), "\($0.attempts)",
                            ]
                        }))
        }
        if !dossier.escalations.isEmpty {
            body.append(
                "<h2>Escalation</h2>"
                    + table(
                        ["audience", "policy", "due", "state", "why"],
                        dossier.escalations.map {
                            [$0.audience.rawValue, $0.policy.rawValue, $0.dueAt.iso8601, $0.state.rawValue, $0.reason]
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
