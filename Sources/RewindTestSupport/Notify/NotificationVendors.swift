import RewindSandbox

/// Every notification vendor Rewind speaks to, on one loopback server: the sandbox's Slack and PagerDuty, and the
/// Teams, Opsgenie and signed-webhook receivers only tests use. What every one of them received is in ``sinks``.
///
/// ```swift
/// let vendors = NotificationVendors()
/// vendors.opsgenie.key = "genie-key"
/// let server = vendors.server()
/// …
/// vendors.sinks.accepted(.opsgenie).last?.json?["message"]?.string
/// ```
public struct NotificationVendors: Sendable {
    /// What every route received, faults to inject, Slack's credentials and PagerDuty's alerts.
    public let sinks: NotificationSinks
    public let opsgenie: OpsgenieSink
    public let webhook: WebhookSink

    public init(sinks: NotificationSinks = NotificationSinks()) {
        self.sinks = sinks
        self.opsgenie = OpsgenieSink()
        self.webhook = WebhookSink()
    }

    /// A server for all of them (run it once).
    public func server() -> NotificationSinksServer {
        NotificationSinksServer(sinks: sinks, adding: TeamsSink.routes + opsgenie.routes + webhook.routes)
    }
}
