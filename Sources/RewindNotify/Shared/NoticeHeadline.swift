import RewindCore

/// A notice in one line, for alert titles (PagerDuty `summary`, Opsgenie `message`), e.g.
/// `Rewind: rollback of backend initiated (health_critical)`, or `Rewind: manual rollback of backend
/// initiated` when a person asked for it. Plain text: the payload encoder escapes it.
enum NoticeHeadline {
    static func text(_ notice: Notice) -> String {
        let services = notice.services.map(\.rawValue).joined(separator: ", ")
        let trigger = notice.trigger.rawValue
        switch notice.kind {
        case .initiated where notice.trigger == .manual: return "Rewind: manual rollback of \(services) initiated"
        case .initiated: return "Rewind: rollback of \(services) initiated (\(trigger))"
        case .completed: return "Rewind: rollback of \(services) completed (\(trigger))"
        case .failed:
            let error = notice.error.map { ": \($0.quotedForMessage(limit: 500))" } ?? ""
            return "Rewind: rollback of \(services) FAILED (\(trigger))\(error)"
        case .escalated:
            let audience = notice.audience.map { " to \($0.rawValue)" } ?? ""
            return "Rewind: \(services) escalated\(audience) (\(trigger))"
        case .wouldRollBack: return "Rewind (observe mode): would roll back \(services) (\(trigger))"
        case .earlyWarning: return "Rewind: early warning on \(services) (\(trigger)); nothing rolled back"
        case .taskOverdue:
            let audience = notice.audience.map { " (\($0.rawValue))" } ?? ""
            return "Rewind: post-rollback work of incident #\(notice.incidentID) overdue\(audience) (\(services))"
        case .channelFailed:
            return
                "Rewind: notification channel \(notice.failedChannel ?? "?") failed (incident #\(notice.incidentID), \(services))"
        }
    }
}
