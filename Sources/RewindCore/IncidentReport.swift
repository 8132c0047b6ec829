/// The incident report in Markdown: what fired, the decision and its evidence, every step with
/// its timing and output, verification, notifications — rendered from the record alone.
public enum IncidentReport {
    public static func markdown(_ incident: Incident, timeline: [TimelineEvent]) -> String {
        var lines: [String] = []
        lines.append("# Incident #\(incident.id): \(incident.summary)")
        lines.append("")
        lines.append("| | |")
        lines.append("|---|---|")
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
        lines.append("")
        if let violation = incident.violation {
            lines.append("## Why Rewind acted")
            lines.append("")
            lines.append("Rule: `\(violation.rule)` fired on \(violation.service) at \(violation.at).")
            lines.append("")
            if let signal = violation.signal {
                lines.append("Signal `\(escape(signal.name))` (\(signal.measure.rawValue)): `\(escape(signal.query))`, window \(signal.window.rewindDescription), "
                    + "threshold \(escape(signal.threshold))" + (signal.baseline.map { ", baseline \(signal.unit.format($0))" } ?? "") + ".")
                lines.append("")
                lines.append("| time | signal | value | limit | baseline |")
                lines.append("|---|---|---|---|---|")
                for item in violation.evidence {
                    let value = item.value.map { signal.unit.format($0) } ?? "no data"
                    let limit = item.threshold.map { signal.unit.format($0) } ?? "-"
                    let baseline = item.baseline.map { signal.unit.format($0) } ?? "-"
                    lines.append("| \(item.at) | \(escape(item.check)) | \(value) | \(limit) | \(baseline) |")
                }
            } else {
                if let alert = violation.alert {
                    lines.append("\(alert.origin == .alertmanager ? "Alertmanager alert" : "Pushed event") `\(escape(alert.name))` (fingerprint \(escape(alert.fingerprint)))"
                        + (alert.summary.map { ": \(escape($0))" } ?? "") + ".")
                    lines.append("")
                }
                lines.append("| time | check | result | latency |")
                lines.append("|---|---|---|---|")
                for item in violation.evidence {
                    lines.append("| \(item.at) | \(escape(item.check)) | \(escape(item.result)) | \(item.latencyMs) ms |")
                }
            }
            lines.append("")
        }
        if let plan = incident.plan {
            lines.append("## Plan")
            lines.append("")
            for step in plan.steps {
                var order: [String] = []
                if !step.dependsOn.isEmpty { order.append("after \(step.dependsOn.joined(separator: ", "))") }
                if !step.after.isEmpty { order.append("once \(step.after.joined(separator: ", ")) finished") }
                if let watch = step.unlessImproved { order.append("unless \(watch) saw improvement") }
                let when = order.isEmpty ? "" : " (\(order.joined(separator: "; ")))"
                lines.append("- `\(step.id)`: \(step.summary()), timeout \(step.timeout.rewindDescription)\(when)")
            }
            if let freeze = plan.freeze { lines.append("- freeze deployments for \(freeze.rewindDescription)") }
            if let deadline = plan.deadline { lines.append("- every step within \(deadline.rewindDescription) of the incident opening") }
            if !plan.verify { lines.append("- verification skipped: forced by an operator") }
            lines.append("")
        }
        lines.append("## Timeline")
        lines.append("")
        for event in timeline {
            let offset = (event.at - incident.openedAt).rewindDescription
            lines.append("- **\(event.at)** (+\(offset)) `\(event.kind.rawValue)` \(escape(event.message))")
            if event.kind == .output, case .object(let fields)? = event.detail {
                for key in ["stdout", "stderr"] {
                    if let text = fields[key]?.stringValue, !text.isEmpty {
                        lines.append("")
                        lines.append("  ```")
                        lines.append(contentsOf: text.split(separator: "\n", omittingEmptySubsequences: false).prefix(40).map { "  " + $0 })
                        lines.append("  ```")
                    }
                }
            }
        }
        lines.append("")
        lines.append("## Follow-up")
        lines.append("")
        lines.append("- Investigate: analyze logs, review metrics, check configuration, identify the root cause, document findings.")
        lines.append("- Remediate: fix the root cause, update monitoring, improve the rollback process, update runbooks.")
        lines.append("")
        return lines.joined(separator: "\n")
    }

    static func escape(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "|": output += "\\|"
            case "\n": output += " "
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            default: output.append(character)
            }
        }
        return output
    }
}
