import MetricsTestKit
import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// The alerts and pushed values the engine receives are kept in its state for `rewind replay`, off the decision's
/// path: a write that fails never stands in an alert's way.
@Suite("Engine: received alerts and pushed values are kept for replay", .timeLimit(.minutes(2)))
struct ReceivedEventTests {
    static let secret = "tok-9f8e7d6c5b"

    static func pushedPolicy() -> Policy {
        var queue = Fixture.signal(.queueBacklog, name: "queue")
        queue.source = .pushed(signal: "queue")
        return Fixture.metricPolicy([queue])
    }

    @Test(
        "an alert is kept with the time it was received and its text redacted; a watched pushed value too, not others"
    )
    func keptWithTheirTime() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let policy = Self.pushedPolicy()
            var dependencies = h.makeDependencies(policy: policy, metricSource: FakeMetrics(world: h.world))
            dependencies.redactor = Redactor(secrets: [Self.secret])
            try await h.run(RewindEngine(dependencies), policy: policy) { run in
                try await run.advance(by: .milliseconds(5500))
                let receivedAt = h.clock.now
                let alert = ExternalAlert(
                    origin: .alertmanager, service: Fixture.backend, category: .performance, severity: .low,
                    name: "SlowDisk", firing: true, at: receivedAt - .seconds(60), fingerprint: "fp-1",
                    summary: "disk slow on the node holding \(Self.secret)")
                run.engine.receive(alerts: [alert])
                run.engine.receive(pushed: [
                    PushedValue(service: Fixture.backend, signal: "queue", value: 12, at: receivedAt - .seconds(2)),
                    PushedValue(service: Fixture.backend, signal: "unwatched", value: 1, at: receivedAt),
                ])
                try await run.advance(until: "the alert and the value are kept") {
                    let kept = try await h.sqlite.receivedEvents(from: receivedAt, to: receivedAt + .seconds(1))
                    return kept.alerts.count == 1 && kept.values.count == 1
                }
                let kept = try await h.sqlite.receivedEvents(
                    from: receivedAt - .seconds(3600), to: h.clock.now + .seconds(1))
                var stored = alert
                stored.summary = "disk slow on the node holding <redacted>"
                #expect(kept.alerts == [ReceivedAlert(stored, receivedAt: receivedAt)])
                #expect(
                    kept.values == [
                        ReceivedValue(
                            PushedValue(
                                service: Fixture.backend, signal: "queue", value: 12, at: receivedAt - .seconds(2)),
                            receivedAt: receivedAt)
                    ])
            }
            #expect(h.metrics.counterTotal(label: "rewind_received_unrecorded_total") == 0)
        }
    }

    @Test("a failed write of a received alert is logged and counted, and the alert still rolls the service back")
    func failedWriteStillRollsBack() async throws {
        try await Harness.with { h in
            let (backendV1, _) = try await h.seedKnownGood()
            h.activity.failReceivedWrites(with: RefusedWrite())
            try await h.run(policy: Fixture.metricPolicy([])) { run in
                try await run.deploy(Fixture.backend, "v2", health: .healthy)
                run.engine.receive(alerts: [
                    ExternalAlert(
                        origin: .alertmanager, service: Fixture.backend, category: .performance, severity: .critical,
                        name: "HighLatency", firing: true, at: h.clock.now, fingerprint: "latency")
                ])
                let incident = try await run.untilClosed()
                #expect(incident.trigger == .performance)
                #expect(h.world.rollbackCalls.map(\.target) == [backendV1.id])
                #expect(
                    h.metrics.counterTotal(
                        label: "rewind_received_unrecorded_total",
                        dimensions: [("kind", "alert"), ("reason", "store_failed")]) == 1)
                #expect(
                    try await h.sqlite.receivedEvents(from: h.clock.now - .seconds(3600), to: h.clock.now).isEmpty)
            }
        }
    }

    @Test("the pruning pass forgets received alerts and values older than the retention, and beyond the newest kept")
    func pruned() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let now = h.clock.now
            for age: Int64 in [9000, 3000, 2000, 1000] {
                try await h.sqlite.recordReceived(
                    ReceivedEvents(
                        alerts: [
                            ReceivedAlert(
                                ExternalAlert(
                                    origin: .pushed, service: Fixture.backend, category: .security, severity: .high,
                                    name: "scan-\(age)", firing: true, at: now - .seconds(age),
                                    fingerprint: "pushed/scan-\(age)"),
                                receivedAt: now - .seconds(age))
                        ],
                        values: [
                            ReceivedValue(
                                PushedValue(
                                    service: Fixture.backend, signal: "queue", value: Double(age),
                                    at: now - .seconds(age)),
                                receivedAt: now - .seconds(age))
                        ]))
            }
            var policy = Fixture.policy()
            policy.retention = RetentionPolicy(
                closedIncidents: .seconds(7200), deploymentsPerService: 2, interval: .seconds(600),
                receivedEventsKept: 2)
            try await h.run(policy: policy) { run in
                try await run.advance(by: .seconds(1))
                let kept = try await h.sqlite.receivedEvents(from: now - .seconds(10_000), to: h.clock.now)
                // 9000 s is past the two hours; of the three left, the newest two stay.
                #expect(kept.alerts.map(\.alert.name) == ["scan-2000", "scan-1000"])
                #expect(kept.values.map(\.value.value) == [2000, 1000])
            }
        }
    }
}

/// A database that refuses the write.
struct RefusedWrite: Error {}
