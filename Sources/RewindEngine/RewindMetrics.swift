import Metrics
import RewindCore

/// Every metric Rewind records, in one place: names, label sets and units are defined here and
/// nowhere else. Created at the composition root with the process's metrics factory (the
/// Prometheus registry behind `/metrics`) and injected; tests pass swift-metrics' `TestMetrics`
/// and read back what was recorded.
///
/// Labels are bounded (service, trigger, strategy, outcome, channel, reason, …): never a path, an
/// id or free text.
public struct RewindMetrics: Sendable {
    private let factory: any MetricsFactory
    /// With `ha.shards` above 1, every `rewind_leader` gauge carries a `shard` label (the writer lease's is
    /// `shard="coordinator"`): a Prometheus family is all labelled or all unlabelled.
    public var labelsLeaderByShard = false

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    private func count(_ label: String, _ dimensions: [(String, String)] = [], by amount: Int = 1) {
        guard amount > 0 else { return }
        Counter(label: label, dimensions: dimensions, factory: factory).increment(by: amount)
    }

    // MARK: Leadership

    /// `rewind_leader`: 1 while this instance holds the writer lease (acts), 0 otherwise;
    /// `rewind_leader{shard="coordinator"}` when the shards are labelled (``labelsLeaderByShard``).
    public func leader(_ leads: Bool) {
        let dimensions = labelsLeaderByShard ? [("shard", "coordinator")] : []
        Gauge(label: "rewind_leader", dimensions: dimensions, factory: factory).record(leads ? 1 : 0)
    }

    /// `rewind_leader{shard}`: 1 while this replica holds shard `shard`'s lease, 0 otherwise (`ha.shards`; see
    /// ``labelsLeaderByShard``).
    public func shardLeader(_ shard: Int, holds: Bool) {
        Gauge(label: "rewind_leader", dimensions: [("shard", String(shard))], factory: factory).record(holds ? 1 : 0)
    }

    /// `rewind_lease_renew_failures_total`: renewals of the writer lease, or of a shard's lease, that failed or
    /// took too long.
    public func leaseRenewFailed() {
        count("rewind_lease_renew_failures_total")
    }

    /// `rewind_shard_triggers_forwarded_total{shard}`: what a shard's holder forwarded to the coordinator, and
    /// `rewind_shard_triggers_dropped_total{shard}`: what it dropped because too much waited (the state failing).
    public func shardTriggers(_ shard: Int, forwarded: Int, dropped: Int) {
        count("rewind_shard_triggers_forwarded_total", [("shard", String(shard))], by: forwarded)
        count("rewind_shard_triggers_dropped_total", [("shard", String(shard))], by: dropped)
    }

    // MARK: Watching

    /// `rewind_checks_total{service,outcome}` and `rewind_check_seconds{service}`.
    public func checkRan(_ service: ServiceName, passed: Bool, latencyMs: Int64) {
        count("rewind_checks_total", [("service", service.rawValue), ("outcome", passed ? "success" : "failure")])
        Timer(label: "rewind_check_seconds", dimensions: [("service", service.rawValue)], factory: factory)
            .recordMilliseconds(latencyMs)
    }

    /// `rewind_watch_lag_seconds{kind}`: how late a check (`kind="check"`) or a signal evaluation
    /// (`kind="signal"`) started after it was due — the schedule's lag, which grows when the daemon
    /// watches more than its CPU can keep up with.
    public func watchLag(_ lag: Duration, kind: String) {
        Timer(label: "rewind_watch_lag_seconds", dimensions: [("kind", kind)], factory: factory).recordNanoseconds(
            max(0, lag.components.seconds * 1_000_000_000 + lag.components.attoseconds / 1_000_000_000))
    }

    /// `rewind_signal_evaluations_total{service,outcome}`: outcome is `value`, `no_data` or `error`.
    /// `rewind_early_warnings_total{service,signal}`: signal names are the policy's, so the labels stay bounded.
    public func earlyWarning(_ warning: EarlyWarning) {
        count("rewind_early_warnings_total", [("service", warning.service.rawValue), ("signal", warning.signal)])
    }

    public func signalEvaluated(_ service: ServiceName, outcome: String) {
        count("rewind_signal_evaluations_total", [("service", service.rawValue), ("outcome", outcome)])
    }

    /// `rewind_tracking_errors_total{service}`: a platform listing that failed.
    public func trackingFailed(_ service: ServiceName) {
        count("rewind_tracking_errors_total", [("service", service.rawValue)])
    }

    // MARK: Deciding

    /// `rewind_violations_total{service,trigger}`.
    public func violation(_ violation: Violation) {
        count(
            "rewind_violations_total",
            [("service", violation.service.rawValue), ("trigger", violation.trigger.rawValue)])
    }

    /// `rewind_alerts_total{outcome}`: `fired`, `repeated`, `resolved`, `ignored`, `unknown_service`.
    public func alert(outcome: String) {
        count("rewind_alerts_total", [("outcome", outcome)])
    }

    /// `rewind_incidents_total{trigger,strategy}`: an incident with a rollback plan opened.
    public func incidentOpened(trigger: TriggerKind, strategy: Strategy) {
        count("rewind_incidents_total", [("trigger", trigger.rawValue), ("strategy", strategy.rawValue)])
    }

    /// `rewind_escalations_total{reason}`: an incident escalated to people instead of (or after) a rollback.
    public func escalated(_ reason: EscalationReason) {
        count("rewind_escalations_total", [("reason", reason.rawValue)])
    }

    /// `rewind_monitoring_failures_total{source}`.
    public func monitoringFailed(source: String) {
        count("rewind_monitoring_failures_total", [("source", source)])
    }

    /// `rewind_record_failures_total`: an incident the store did not take (retried).
    public func recordFailed() {
        count("rewind_record_failures_total")
    }

    // MARK: Acting

    /// `rewind_rollbacks_total{service,strategy,outcome}`: an incident with a plan ended (counted once per
    /// service it held). With `recoveredAfter` (a rollback that ended verified), also
    /// `rewind_detection_to_recovery_seconds{service}`: from detection to verified recovery, the guide's MTTR.
    public func incidentEnded(
        services: [ServiceName], strategy: Strategy?, outcome: IncidentOutcome, recoveredAfter: Duration? = nil
    ) {
        for service in services {
            count(
                "rewind_rollbacks_total",
                [
                    ("service", service.rawValue), ("strategy", strategy?.rawValue ?? "none"),
                    ("outcome", outcome.rawValue),
                ])
            if let recoveredAfter {
                seconds("rewind_detection_to_recovery_seconds", service, recoveredAfter)
            }
        }
    }

    /// `rewind_detection_to_rollback_seconds{service}`: from detection (the violation, or the manual request)
    /// to the first rollback call on the service's platform.
    public func rollbackCalled(_ service: ServiceName, afterDetection elapsed: Duration) {
        seconds("rewind_detection_to_rollback_seconds", service, elapsed)
    }

    private func seconds(_ label: String, _ service: ServiceName, _ elapsed: Duration) {
        time(label, [("service", service.rawValue)], elapsed)
    }

    private func time(_ label: String, _ dimensions: [(String, String)], _ elapsed: Duration) {
        let (whole, fraction) = max(elapsed, .zero).components
        Timer(label: label, dimensions: dimensions, factory: factory).recordNanoseconds(
            whole * 1_000_000_000 + fraction / 1_000_000_000)
    }

    // MARK: State (sampled when /metrics is scraped)

    /// `rewind_open_incidents`, `rewind_deployments_frozen` (1 while a freeze holds),
    /// `rewind_automation_paused{scope}` (1 per paused service, `*` for every service),
    /// `rewind_outbox_pending` and `rewind_outbox_oldest_pending_seconds` (0 when none waits).
    public func state(
        openIncidents: Int, frozen: Bool, paused: [String], pausedBefore: [String], outboxPending: Int,
        oldestPending: Duration?
    ) {
        Gauge(label: "rewind_open_incidents", factory: factory).record(openIncidents)
        Gauge(label: "rewind_deployments_frozen", factory: factory).record(frozen ? 1 : 0)
        for scope in Set(pausedBefore).subtracting(paused) {
            Gauge(label: "rewind_automation_paused", dimensions: [("scope", scope)], factory: factory).record(0)
        }
        for scope in paused {
            Gauge(label: "rewind_automation_paused", dimensions: [("scope", scope)], factory: factory).record(1)
        }
        Gauge(label: "rewind_outbox_pending", factory: factory).record(outboxPending)
        let (whole, fraction) = max(oldestPending ?? .zero, .zero).components
        Gauge(label: "rewind_outbox_oldest_pending_seconds", factory: factory).record(
            Double(whole) + Double(fraction) / 1e18)
    }

    /// `rewind_api_requests_total{route,status}` and, for an admitted request, `rewind_api_request_seconds{route}`.
    /// `route` is the route's name (`status`, `rollbacks`, …), never the path.
    public func apiRequest(route: String, status: Int, elapsed: Duration?) {
        count("rewind_api_requests_total", [("route", route), ("status", "\(status)")])
        if let elapsed { time("rewind_api_request_seconds", [("route", route)], elapsed) }
    }

    /// `rewind_build_info{version}`: always 1; the version running.
    public func buildInfo(version: String) {
        Gauge(label: "rewind_build_info", dimensions: [("version", version)], factory: factory).record(1)
    }

    // MARK: Telling people

    /// `rewind_notifications_total{channel,outcome}`: `delivered` or `failed` (after the last attempt).
    public func notification(channel: String, delivered: Bool) {
        count("rewind_notifications_total", [("channel", channel), ("outcome", delivered ? "delivered" : "failed")])
    }

    /// `rewind_notifications_sent_again_total{channel}`: deliveries of entries an earlier daemon wrote,
    /// marked as possible repeats (``NoticeDelivery/mayRepeat``).
    public func noticeSentAgain(channel: String) {
        count("rewind_notifications_sent_again_total", [("channel", channel)])
    }

    /// `rewind_escalations_fired_total{audience,policy}`.
    public func escalationFired(_ timer: EscalationTimer) {
        count(
            "rewind_escalations_fired_total",
            [("audience", timer.audience.rawValue), ("policy", timer.policy.rawValue)])
    }

    // MARK: Intake

    /// `rewind_events_total{kind}`: values (`metric`) and security events pushed by applications.
    public func eventsPushed(kind: String, count amount: Int) {
        count("rewind_events_total", [("kind", kind)], by: amount)
    }

    /// `rewind_received_unrecorded_total{kind,reason}`: alerts (`kind="alert"`) or pushed values (`kind="value"`)
    /// the daemon received and used, but could not keep in its state for `rewind replay`: the write failed
    /// (`reason="store_failed"`), or more were waiting to be written than it buffers (`reason="overflow"`).
    public func receivedUnrecorded(kind: String, reason: String, count amount: Int) {
        count("rewind_received_unrecorded_total", [("kind", kind), ("reason", reason)], by: amount)
    }

    /// `rewind_alerts_unmapped_total`: Alertmanager alerts that name no watched service.
    public func alertsUnmapped(_ amount: Int) {
        count("rewind_alerts_unmapped_total", by: amount)
    }

    /// `rewind_intake_rejected_total{endpoint,reason}`: `endpoint` is the route's name
    /// (`alertmanager`, `events`), never the request path.
    public func intakeRejected(endpoint: String, reason: String) {
        count("rewind_intake_rejected_total", [("endpoint", endpoint), ("reason", reason)])
    }

    // MARK: Configuration

    /// `rewind_config_reloads_total{outcome}` (`applied`, `invalid`, `refused`: see ``ConfigStatus/Outcome``)
    /// and, when applied, `rewind_config_last_reload_success_timestamp_seconds`.
    public func configReloaded(_ outcome: ConfigStatus.Outcome, at now: Timestamp) {
        count("rewind_config_reloads_total", [("outcome", outcome.rawValue)])
        if outcome == .applied { configLoaded(at: now) }
    }

    /// `rewind_config_last_reload_success_timestamp_seconds`: when the configuration in force was
    /// read (at start, then at each applied reload), in seconds since 1970.
    public func configLoaded(at now: Timestamp) {
        Gauge(label: "rewind_config_last_reload_success_timestamp_seconds", factory: factory)
            .record(Double(now.millisecondsSinceEpoch) / 1000)
    }
}
