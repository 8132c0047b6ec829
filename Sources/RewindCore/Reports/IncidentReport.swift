/// The incident report in Markdown, rendered from the record alone, in the shape of the guide's
/// post-mortem: summary, impact, why Rewind acted (the evidence), the plan, the timeline (every
/// step with its timing and output), root cause, action items, lessons learned — then the
/// notifications and the escalation. See ``PostMortem`` for where the root cause and the lessons
/// learned come from.
public enum IncidentReport {
    /// The report of an incident known only by its record and timeline (no tasks, notifications,
    /// escalations or samples).
    public static func markdown(
        _ incident: Incident, timeline: [TimelineEvent], medium: ReportMedium = .markdownFile
    )
        -> String
    {
        markdown(IncidentDossier(incident: incident, timeline: timeline), chartPath: nil, medium: medium)
    }

    /// - Parameters:
    ///   - chartPath: where the caller wrote the SVG chart (linked, since Markdown viewers do not
    ///     inline SVG text); nil for none.
    ///   - medium: a Markdown file (the default) or a terminal (`rewind incidents show`).
    public static func markdown(
        _ dossier: IncidentDossier, chartPath: String?, medium: ReportMedium = .markdownFile
    )
        -> String
    {
        let incident = dossier.incident
        let postMortem = PostMortem(dossier)
        let escape = medium.escape
        var lines: [String] = []
        lines += ["# Incident #\(incident.id): \(escape(incident.summary))", ""]
        lines += ["## Summary", "", escape(postMortem.summary), ""]
        lines += summaryTable(incident, escape: escape)
        lines += impact(postMortem.impact, escape: escape)
        if let violation = incident.violation { lines += evidence(violation, escape: escape) }
        if let chartPath {
            lines += [
                "## Triggering signal", "",
                "![\(escape(incident.violation?.rule ?? "signal")) against its threshold](\(chartPath))", "",
            ]
        }
        if let plan = incident.plan { lines += planSection(plan) }
        lines += timelineSection(incident, dossier.timeline, escape: escape)
        lines += noted(
            "Root cause", postMortem.rootCause, missing: "To be determined", task: PostMortem.rootCauseTask,
            incident: incident.id, escape: escape)
        lines += actionItems(postMortem.actionItems, escape: escape)
        lines += noted(
            "Lessons learned", postMortem.lessonsLearned, missing: "To be written", task: PostMortem.lessonsLearnedTask,
            incident: incident.id, escape: escape)
        lines += notifications(dossier.notifications, escape: escape)
        lines += escalation(dossier, escape: escape)
        return lines.joined(separator: "\n")
    }

    // MARK: - Sections

    private static func summaryTable(_ incident: Incident, escape: (String) -> String) -> [String] {
        var lines = ["| | |", "|---|---|"]
        lines.append("| Status | \(incident.status.rawValue) |")
        lines.append("| Services | \(incident.services.map(\.rawValue).joined(separator: ", ")) |")
        lines.append("| Trigger | \(incident.trigger.rawValue) |")
        lines.append("| Severity | \(incident.severity.rawValue) |")
        lines.append("| Strategy | \(incident.strategy?.rawValue ?? "none") |")
        lines.append("| Mode | \(incident.mode.rawValue) |")
        lines.append("| Opened | \(incident.openedAt) |")
        if let closed = incident.closedAt {
            lines.append("| Closed | \(closed) (after \((closed - incident.openedAt).rewindDescription)) |")
        }
        if let reason = incident.reason { lines.append("| Reason | \(escape(reason)) |") }
        if let at = incident.acknowledgedAt {
            lines.append("| Acknowledged | \(at) by \(escape(incident.acknowledgedBy ?? "someone")) |")
        }
        return lines + [""]
    }

    private static func impact(_ impact: PostMortem.Impact, escape: (String) -> String) -> [String] {
        var lines = ["## Impact", ""]
        lines.append("- Services: \(impact.services.map(\.rawValue).joined(separator: ", "))")
        if let ended = impact.ended, let duration = impact.duration {
            lines.append("- Duration: \(duration), from \(impact.started) to \(ended)")
        } else {
            lines.append("- Duration: ongoing since \(impact.started)")
        }
        if !impact.evidence.isEmpty {
            lines.append("- Evidence:")
            lines += impact.evidence.map { "  - \(escape($0))" }
        }
        return lines + [""]
    }

    private static func evidence(_ violation: Violation, escape: (String) -> String) -> [String] {
        var lines = ["## Why Rewind acted", ""]
        lines += ["Rule: `\(violation.rule)` fired on \(violation.service) at \(violation.at).", ""]
        if let signal = violation.signal {
            lines.append(
                "Signal `\(escape(signal.name))` (\(signal.measure.rawValue)): `\(escape(signal.query))`, window \(signal.window.rewindDescription), "
                    + "threshold \(escape(signal.threshold))"
                    + (signal.baseline.map { ", baseline \(signal.unit.format($0))" } ?? "") + ".")
            lines += ["", "| time | signal | value | limit | baseline |", "|---|---|---|---|---|"]
            for item in violation.evidence {
                let value = item.value.map { signal.unit.format($0) } ?? "no data"
                let limit = item.threshold.map { signal.unit.format($0) } ?? "-"
                let baseline = item.baseline.map { signal.unit.format($0) } ?? "-"
                lines.append("| \(item.at) | \(escape(item.check)) | \(value) | \(limit) | \(baseline) |")
            }
        } else {
            if let alert = violation.alert {
                lines.append(
                    "\(alert.origin == .alertmanager ? "Alertmanager alert" : "Pushed event") `\(escape(alert.name))` (fingerprint \(escape(alert.fingerprint)))"
                        + (alert.summary.map { ": \(escape($0))" } ?? "") + ".")
                lines.append("")
            }
            lines += ["| time | check | result | latency |", "|---|---|---|---|"]
            for item in violation.evidence {
                lines.append("| \(item.at) | \(escape(item.check)) | \(escape(item.result)) | \(item.latencyMs) ms |")
            }
        }
        return lines + [""]
    }

    private static func planSection(_ plan: Plan) -> [String] {
        var lines = ["## Plan", ""]
        for step in plan.steps {
            var order: [String] = []
            if !step.dependsOn.isEmpty { order.append("after \(step.dependsOn.joined(separator: ", "))") }
            if !step.after.isEmpty { order.append("once \(step.after.joined(separator: ", ")) finished") }
            if let watch = step.unlessImproved { order.append("unless \(watch) saw improvement") }
            let when = order.isEmpty ? "" : " (\(order.joined(separator: "; ")))"
            lines.append("- `\(step.id)`: \(step.summary()), timeout \(step.timeout.rewindDescription)\(when)")
        }
        if let freeze = plan.freeze { lines.append("- freeze deployments for \(freeze.rewindDescription)") }
        if let deadline = plan.deadline {
            lines.append("- every step within \(deadline.rewindDescription) of the incident opening")
        }
        if !plan.verify { lines.append("- verification skipped: forced by an operator") }
        return lines + [""]
    }

    private static func timelineSection(
        _ incident: Incident, _ timeline: [TimelineEvent], escape: (String) -> String
    )
        -> [String]
    {
        var lines = ["## Timeline", ""]
        for event in timeline {
            let offset = (event.at - incident.openedAt).rewindDescription
            lines.append("- **\(event.at)** (+\(offset)) `\(event.kind.rawValue)` \(escape(event.message))")
            guard event.kind == .output, case .object(let fields)? = event.detail else { continue }
            for key in ["stdout", "stderr"] {
                guard let text = fields[key]?.stringValue, !text.isEmpty else { continue }
                // Inside a code block text is literal in every medium.
                lines += ["", "  ```"]
                lines += text.split(separator: "\n", omittingEmptySubsequences: false).prefix(40).map { "  " + $0 }
                lines.append("  ```")
            }
        }
        return lines + [""]
    }

    /// A section written by people through a task's note, or what is missing and how to record it.
    private static func noted(
        _ heading: String, _ note: String?, missing: String, task: String, incident: Int64, escape: (String) -> String
    ) -> [String] {
        let text = note.map(escape) ?? "\(missing): \(PostMortem.howToRecord(task, incident: incident))."
        return ["## \(heading)", "", text, ""]
    }

    private static func actionItems(_ items: [PostMortem.ActionItem], escape: (String) -> String) -> [String] {
        var lines = ["## Action items", ""]
        guard !items.isEmpty else {
            return lines + [
                "No post-rollback work was recorded for this incident; the guide's follow-up:", "",
                "- Investigate: analyze logs, review metrics, check configuration, identify the root cause, document findings.",
                "- Remediate: fix the root cause, update monitoring, improve the rollback process, update runbooks.",
                "",
            ]
        }
        lines += ["Post-rollback work recorded on the incident: owners, due dates, state and notes.", ""]
        lines += ["| task | owner | due | state | note |", "|---|---|---|---|---|"]
        lines += items.map {
            "| \(escape($0.title)) (`\($0.task)`) | \(escape($0.owner)) | \($0.due?.description ?? "required") | \($0.state.rawValue) | \(escape($0.note ?? "")) |"
        }
        return lines + [""]
    }

    private static func notifications(_ entries: [OutboxEntry], escape: (String) -> String) -> [String] {
        guard !entries.isEmpty else { return [] }
        var lines = ["## Notifications", "", "| channel | event | status | attempts |", "|---|---|---|---|"]
        lines += entries.map {
            let audience = $0.notice.audience.map { " (\($0.rawValue))" } ?? ""
            let failure = $0.lastError.map { ": " + escape($0) } ?? ""
            return
                "| \(escape($0.channel)) | \($0.notice.kind.rawValue)\(audience) | \($0.status.rawValue)\(failure) | \($0.attempts) |"
        }
        return lines + [""]
    }

    private static func escalation(_ dossier: IncidentDossier, escape: (String) -> String) -> [String] {
        guard !dossier.escalations.isEmpty else { return [] }
        var lines = ["## Escalation", "", "| audience | policy | due | state | why |", "|---|---|---|---|---|"]
        lines += dossier.escalations.map {
            "| \($0.audience.rawValue) | \($0.policy.rawValue) | \($0.dueAt) | \($0.state.rawValue) | \(escape($0.reason)) |"
        }
        return lines + [""]
    }
}
