import AsyncHTTPClient
import Foundation
import RewindCore
import RewindNotify
import RewindPorts
import RewindSandbox
import RewindTestSupport
import Testing

/// The running notification emulators, their base URL and an HTTP client for the channels.
struct SinkHarness: Sendable {
    let vendors: NotificationVendors
    let base: String
    let client: HTTPClient

    /// What every emulator received; Slack's and PagerDuty's state.
    var sinks: NotificationSinks { vendors.sinks }
    var opsgenie: OpsgenieSink { vendors.opsgenie }
    var webhook: WebhookSink { vendors.webhook }
}

/// Runs every notification emulator for the duration of `body` (see ``withLoopbackServices(_:client:beforeShutdown:_:)``).
func withSinks<T: Sendable>(_ body: @Sendable (SinkHarness) async throws -> T) async throws -> T {
    let vendors = NotificationVendors()
    let server = vendors.server()
    return try await withLoopbackServices([server]) { client in
        let base = await server.endpoint()
        try #require(base.hasPrefix("http://127.0.0.1:"))
        return try await body(SinkHarness(vendors: vendors, base: base, client: client))
    }
}

/// A notice with every field set; two services.
func channelNotice(
    _ kind: NoticeKind,
    incident: Int64 = 7,
    services: [ServiceName] = ["backend", "worker"],
    severity: Severity = .critical,
    durationMs: Int64? = 42_000,
    error: String? = nil,
    audience: Audience? = nil,
    trigger: TriggerKind = .healthCritical,
    failedChannel: String? = nil
) -> Notice {
    var notice = Notice(
        kind: kind,
        incidentID: incident,
        services: services,
        trigger: trigger,
        severity: severity,
        timestamp: Timestamp(millisecondsSinceEpoch: 1_790_000_000_250),
        strategy: .immediate,
        actions: ["roll back backend v42 → v41 (timeout 30s)", "freeze deployments for 1h"],
        durationMs: durationMs,
        status: "rolling back",
        verificationResults: ["backend: healthy (HTTP 200)"],
        error: error,
        evidence: ["3 consecutive failures within 2m", "2026-09-21T14:13:20.250Z GET /health HTTP 503 (12 ms)"],
        audience: audience
    )
    notice.failedChannel = failedChannel
    return notice
}

/// A manual rollback's `initiated` notice, as the engine builds it for `rewind rollback`.
func manualNotice() -> Notice {
    channelNotice(.initiated, services: ["backend"], durationMs: nil, trigger: .manual)
}

/// The notice that reports `channel` down, sent to the other channels.
func channelFailedNotice(_ channel: String = "oncall-pager") -> Notice {
    channelNotice(
        .channelFailed, error: "could not notify channel \(channel) (PagerDuty at events.pagerduty.com): refused",
        failedChannel: channel)
}

/// The reminder of devops' overdue post-rollback work on incident 7.
func taskOverdueNotice() -> Notice {
    var notice = channelNotice(.taskOverdue, services: ["backend"], durationMs: nil)
    notice.audience = .devops
    notice.status = "2 post-rollback tasks overdue for devops"
    notice.actions = [
        "Analyze logs (investigation.analyze_logs), due 2026-11-27T12:31:08.250Z, 5m overdue",
        "Review metrics (investigation.review_metrics), due 2026-11-27T12:31:08.250Z, 5m overdue",
    ]
    return notice
}

/// A routing key of the 32 characters PagerDuty requires.
let pagerDutyRoutingKey = "0123456789abcdef0123456789abcdef"
