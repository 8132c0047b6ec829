import Foundation
import RewindCore
import RewindEngine
import RewindServer

/// Human-readable output of the CLI; `--output json` prints the same values as JSON instead.
public enum Rendering {
    /// `-o json`: snake_case keys and RFC 3339 times (``JSONOutput``).
    public static func json<T: Encodable>(_ value: T) -> String {
        JSONOutput.render(value)
    }

    public static func status(_ report: StatusReport) -> String {
        var lines = [
            "Rewind \(report.daemon ? "daemon running" : "daemon not running (read from the database)") · mode \(report.mode.rawValue)"
        ]
        if let leader = report.leader, let instance = report.instance {
            lines.append(
                leader
                    ? "This daemon leads (instance \(instance), lease epoch \(report.epoch.map(String.init) ?? "-"))"
                    : "This daemon is a standby (instance \(instance)); \(report.leaderInstance ?? "another replica") leads"
                        + (report.leaderURL.map { " at \($0)" } ?? "")
            )
        }
        if let shards = report.shards {
            lines.append("Shards (\(shards.filter(\.mine).count) of \(shards.count) held and watched here):")
            lines += shards.map { shard in
                let holder =
                    shard.holder.map { "\($0), lease epoch \(shard.epoch.map(String.init) ?? "-")" } ?? "nobody"
                return "  shard \(shard.shard): \(holder)\(shard.mine ? " (this daemon)" : "")"
            }
        }
        if let config = report.config {
            lines.append(
                "Configuration \(config.source) (sha256 \(config.sha256.prefix(12)), loaded \(config.loadedAt))")
            if let reload = config.lastReload, reload.outcome != .applied {
                lines.append("Last reload at \(reload.at) \(reload.outcome.rawValue); the running policy stays:")
                lines += reload.problems.map { "  \($0)" }
            }
            if !config.restartRequired.isEmpty {
                lines.append(
                    "Changed in the file, applied at the next restart: \(config.restartRequired.joined(separator: ", "))"
                )
            }
        }
        if let freeze = report.freeze {
            lines.append("Deployments FROZEN until \(freeze.until): \(freeze.explanation)")
        } else {
            lines.append("Deployments allowed")
        }
        for pause in report.automationPauses ?? [] {
            lines.append("PAUSED: \(pause.explanation) (observe only; rewind resume to act again)")
        }
        lines.append("")
        for row in report.services {
            let live = row.live.map { "\($0.label) [\($0.trust.rawValue)]" } ?? "unknown"
            let good = row.knownGood.map(\.label) ?? "none"
            lines.append("\(row.service): live \(live), known good \(good)")
            if let shard = row.shard {
                lines.append("  watched by \(row.watchedBy ?? "nobody yet") (shard \(shard))")
            }
            for check in row.checks {
                let state =
                    check.firing
                    ? "FIRING" : (check.consecutiveFailures > 0 ? "failing x\(check.consecutiveFailures)" : "ok")
                lines.append("  \(check.check) (\(check.severity.rawValue)): \(state), last \(check.lastResult ?? "-")")
            }
            for signal in row.signals {
                let state =
                    signal.firing
                    ? "FIRING"
                    : (signal.violations > 0
                        ? "violating x\(signal.violations)" : (signal.inconclusive == nil ? "ok" : "inconclusive"))
                let baseline = signal.baseline.map { ", baseline \($0)" } ?? ""
                lines.append(
                    "  \(signal.signal) (\(signal.category.rawValue), \(signal.threshold)): \(state), last \(signal.lastValue ?? "-")\(baseline)"
                )
                if let warning = signal.earlyWarning {
                    lines.append("    EARLY WARNING at \(warning.at): \(warning.summary)")
                }
            }
        }
        if !report.monitoring.isEmpty {
            lines.append("")
            lines.append("Monitoring sources:")
            for source in report.monitoring {
                let state =
                    source.reported
                    ? "FAILING since \(source.failingSince.map(\.description) ?? "?"): \(source.lastError ?? "")"
                    : (source.failingSince != nil
                        ? "errors since \(source.failingSince!): \(source.lastError ?? "")" : "ok")
                lines.append("  \(source.source): \(state)")
            }
        }
        if !report.channels.isEmpty {
            lines.append("")
            lines.append("Notification channels:")
            for channel in report.channels {
                let state = channel.healthy ? "ok" : "DOWN: \(channel.lastError ?? "delivery failed")"
                let pending = channel.pending > 0 ? ", \(channel.pending) pending" : ""
                lines.append(
                    "  \(channel.channel): \(state)\(pending)"
                        + (channel.lastSentAt.map { ", last delivered \($0)" } ?? ""))
            }
        }
        lines.append("")
        if report.openIncidents.isEmpty {
            lines.append("No open incidents")
        } else {
            lines.append("Open incidents:")
            lines += report.openIncidents.map { "  #\($0.id) \($0.summary) (since \($0.openedAt))" }
        }
        return lines.joined(separator: "\n")
    }

    public static func history(_ incidents: [Incident]) -> String {
        if incidents.isEmpty { return "No incidents yet" }
        return incidents.map { incident in
            let duration = incident.closedAt.map { " in \(($0 - incident.openedAt).rewindDescription)" } ?? ""
            return
                "#\(incident.id) \(incident.openedAt) \(incident.status.rawValue)\(duration) · \(incident.trigger.rawValue) · \(incident.strategy?.rawValue ?? "no rollback") · \(incident.summary)"
        }.joined(separator: "\n")
    }

    /// `rewind incidents show` on a terminal: the report with text as it was recorded (never
    /// HTML-escaped), then where to look on each platform.
    public static func incident(_ detail: IncidentDossier, links: [DeploymentLinks] = []) -> String {
        var text = IncidentReport.markdown(detail, chartPath: nil, medium: .terminal)
        if !links.isEmpty {
            text += "\n## On the platform\n\n" + links.flatMap(\.text).joined(separator: "\n") + "\n"
        }
        return text
    }

    public static func tasks(_ tasks: [IncidentTask]) -> String {
        if tasks.isEmpty { return "No tasks" }
        return tasks.map {
            "\($0.id)  [\($0.state.rawValue)]  \($0.title) · \($0.team)" + ($0.dueAt.map { " · due \($0)" } ?? "")
                + ($0.note.map { " · \($0)" } ?? "")
        }
        .joined(separator: "\n")
    }

    /// Writes the report in `format` to `path`; for Markdown the chart goes beside it as SVG.
    /// Returns the files written.
    public static func writeReport(
        _ detail: IncidentDossier, format: IncidentReport.Format, path: String
    ) throws -> [String] {
        let dossier = detail
        switch format {
        case .md:
            let chartPath = (path as NSString).deletingPathExtension + ".svg"
            try IncidentReport.chart(dossier).write(toFile: chartPath, atomically: true, encoding: .utf8)
            try IncidentReport.markdown(dossier, chartPath: (chartPath as NSString).lastPathComponent).write(
                toFile: path, atomically: true, encoding: .utf8)
            return [path, chartPath]
        case .html:
            try IncidentReport.html(dossier).write(toFile: path, atomically: true, encoding: .utf8)
            return [path]
        case .json:
            try json(IncidentReport.Document(dossier)).write(toFile: path, atomically: true, encoding: .utf8)
            return [path]
        }
    }
}
