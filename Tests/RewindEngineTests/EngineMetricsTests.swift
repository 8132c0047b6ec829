import MetricsTestKit
import RewindCore
import RewindEngine
import RewindPorts
import Testing

/// What the engine records as metrics: one `RewindMetrics`, with bounded labels only.
@Suite("Engine: metrics", .timeLimit(.minutes(3)))
struct EngineMetricsTests {
    @Test(
        "an automatic rollback counts its checks, its violation, its incident and its outcome, per service and strategy"
    )
    func automaticRollback() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                _ = try await run.untilClosed()
                try await run.advance(until: "the completed notice is delivered") {
                    run.events.notified.contains { $0.kind == .completed }
                }
            }
            let metrics = h.metrics
            #expect(
                metrics.counterTotal(
                    label: "rewind_violations_total",
                    dimensions: [("service", "backend"), ("trigger", "health_critical")]) == 1)
            #expect(
                metrics.counterTotal(
                    label: "rewind_incidents_total",
                    dimensions: [("trigger", "health_critical"), ("strategy", "immediate")]) == 1)
            #expect(
                metrics.counterTotal(
                    label: "rewind_rollbacks_total",
                    dimensions: [("service", "backend"), ("strategy", "immediate"), ("outcome", "completed")]) == 1)
            // The guide's MTTR: detection to the rollback call, and to verified recovery (verification takes time).
            let toCall = try metrics.expectTimer("rewind_detection_to_rollback_seconds", [("service", "backend")])
            #expect(toCall.values.count == 1)
            let toRecovery = try metrics.expectTimer("rewind_detection_to_recovery_seconds", [("service", "backend")])
            #expect(toRecovery.values.count == 1)
            #expect(toRecovery.values.allSatisfy { $0 > 0 && $0 >= toCall.values[0] })
            #expect(
                metrics.counterTotal(
                    label: "rewind_checks_total", dimensions: [("service", "backend"), ("outcome", "failure")]) >= 3)
            #expect(
                metrics.counterTotal(
                    label: "rewind_checks_total", dimensions: [("service", "worker"), ("outcome", "success")]) >= 1)
            // initiated, the on-call page of a critical incident (due at once), completed.
            #expect(h.notifier.notices.map(\.kind) == [.initiated, .escalated, .completed])
            #expect(
                metrics.counterTotal(
                    label: "rewind_notifications_total",
                    dimensions: [("channel", "collector"), ("outcome", "delivered")]) == 3)
            #expect(
                metrics.counterTotal(
                    label: "rewind_escalations_fired_total",
                    dimensions: [("audience", "oncall"), ("policy", "immediate")]) == 1)
            // Every check started when it was due: the manual clock moves only between readings.
            let lag = try metrics.expectTimer("rewind_watch_lag_seconds", [("kind", "check")])
            #expect(lag.values.count >= 3)
            #expect(lag.values.allSatisfy { $0 == 0 })
            // Labels stay bounded: no incident id, deployment id or path ever becomes a label.
            for counter in metrics.counters {
                for (key, _) in counter.dimensions {
                    #expect(
                        [
                            "service", "trigger", "strategy", "outcome", "channel", "reason", "audience", "policy",
                            "source", "kind", "endpoint",
                        ].contains(key))
                }
            }
        }
    }
}
