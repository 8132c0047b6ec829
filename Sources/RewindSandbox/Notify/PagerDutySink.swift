import Foundation
import Synchronization

/// PagerDuty Events API v2, as documented in `reference/platform-apis.md` §8:
/// `POST /pagerduty/v2/enqueue`.
///
/// Validation (400 `{"status":"invalid event","message":"Event object is invalid","errors":[…]}`):
/// `routing_key` of 32 characters; `event_action` one of `trigger`, `acknowledge`, `resolve`;
/// `dedup_key` at most 255 characters, required for acknowledge and resolve; a trigger needs
/// `payload.summary` (≤ 1024), `payload.source` and `payload.severity` (`critical`, `error`, `warning`,
/// `info`). Accepted → 202 `{"status":"success","message":"Event processed","dedup_key":…}`.
///
/// De-duplication: a trigger with the `dedup_key` (and routing key) of an open alert folds into it; after
/// a resolve, a trigger opens a new alert; acknowledge/resolve without an open alert are dropped (still
/// 202). A trigger without `dedup_key` gets a generated one.
extension NotificationSinks {
    func pagerDutyEnqueue(_ request: SinkRequest) -> SinkAnswer {
        guard let event = request.json, event.object != nil else { return Self.invalidEvent(["Invalid JSON"]) }
        let problems = Self.problems(in: event)
        guard problems.isEmpty else { return Self.invalidEvent(problems) }
        let routingKey = event["routing_key"]?.string ?? ""
        let action = event["event_action"]?.string ?? ""
        let dedupKey = event["dedup_key"]?.string ?? UUID().uuidString.lowercased()
        state.withLock { state in
            let open = state.pagerDutyAlerts.lastIndex {
                $0.dedupKey == dedupKey && $0.routingKey == routingKey && $0.isOpen
            }
            switch (action, open) {
            case ("trigger", let index?):
                state.pagerDutyAlerts[index].triggerCount += 1
                state.pagerDutyAlerts[index].events.append(action)
                state.pagerDutyAlerts[index].summary = event["payload"]?["summary"]?.string ?? ""
                state.pagerDutyAlerts[index].severity = event["payload"]?["severity"]?.string ?? ""
            case ("trigger", nil):
                state.pagerDutyAlerts.append(
                    PagerDutyAlert(
                        dedupKey: dedupKey,
                        routingKey: routingKey,
                        state: .triggered,
                        summary: event["payload"]?["summary"]?.string ?? "",
                        severity: event["payload"]?["severity"]?.string ?? "",
                        triggerCount: 1,
                        events: [action]
                    )
                )
            case ("acknowledge", let index?):
                state.pagerDutyAlerts[index].state = .acknowledged
                state.pagerDutyAlerts[index].events.append(action)
            case ("resolve", let index?):
                state.pagerDutyAlerts[index].state = .resolved
                state.pagerDutyAlerts[index].events.append(action)
            default:
                break  // a stray acknowledge or resolve is dropped
            }
        }
        return .json(["status": "success", "message": "Event processed", "dedup_key": dedupKey], status: 202)
    }

    private static let severities = ["critical", "error", "warning", "info"]
    private static let actions = ["trigger", "acknowledge", "resolve"]

    private static func problems(in event: SinkJSON) -> [String] {
        var problems: [String] = []
        let routingKey = event["routing_key"]?.string ?? ""
        if routingKey.isEmpty {
            problems.append("'routing_key' is missing or blank")
        } else if routingKey.count != 32 {
            problems.append("Length of 'routing_key' is incorrect (should be 32 characters)")
        }
        let action = event["event_action"]?.string ?? ""
        guard actions.contains(action) else {
            return problems + ["'event_action' is invalid (must be one of: trigger, acknowledge, resolve)"]
        }
        let dedupKey = event["dedup_key"]?.string
        if let dedupKey, dedupKey.count > 255 {
            problems.append("Length of 'dedup_key' is too long (should be at most 255 characters)")
        }
        guard action == "trigger" else {
            if dedupKey?.isEmpty ?? true { problems.append("'dedup_key' is missing or blank") }
            return problems
        }
        guard let payload = event["payload"], payload.object != nil else {
            return problems + ["'payload' is missing or blank"]
        }
        let summary = payload["summary"]?.string ?? ""
        if summary.isEmpty { problems.append("'payload.summary' is missing or blank") }
        if summary.count > 1024 {
            problems.append("Length of 'payload.summary' is too long (should be at most 1024 characters)")
        }
        if (payload["source"]?.string ?? "").isEmpty { problems.append("'payload.source' is missing or blank") }
        if !severities.contains(payload["severity"]?.string ?? "") {
            problems.append("'payload.severity' is invalid (must be one of: critical, error, warning, info)")
        }
        return problems
    }

    private static func invalidEvent(_ errors: [String]) -> SinkAnswer {
        .json(["status": "invalid event", "message": "Event object is invalid", "errors": errors], status: 400)
    }
}
