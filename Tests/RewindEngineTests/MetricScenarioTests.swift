import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// Metric triggers, alerts and validation phases, on the manual clock.
@Suite("Engine: metric triggers, alerts and validation phases", .timeLimit(.minutes(3)))
struct MetricScenarioTests {
    @Test(
        "a P95 regression on a suspect backend: fast rollback to v1, evidence with the query, performance validation passes"
    )
    func latencyRegressionRollsBackFast() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let metrics = FakeMetrics(world: h.world)
            metrics.set(Fixture.backend, "latency_p95", whileLive: v1.id, 0.3)
            metrics.set(Fixture.backend, "latency_p95", whileLive: Fixture.id(Fixture.backend, "v2"), 2.6)
            let policy = Fixture.metricPolicy([Fixture.signal(.latencyP95)])
            try await h.run(policy: policy, metricSource: metrics) { run in
                let v2 = try await run.deploy(Fixture.backend, "v2", health: .healthy)
                let incident = try await run.untilClosed()

                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
                let stored = try #require(try await h.sqlite.incident(id: incident.id))
                #expect(stored.status == .completed)
                #expect(stored.trigger == .performance)
                #expect(stored.strategy == .fast)
                #expect(try await h.deployment(Fixture.backend, "v2")?.trust == .bad)
                let violation = try #require(stored.violation)
                #expect(violation.evidence.map(\.value) == [2.6, 2.6])
                #expect(violation.evidence.allSatisfy { $0.threshold == 1 })
                #expect(violation.signal?.query == #"latency_p95{service="{{service}}"}"#)
                // Two evaluations 10 s apart after the deploy: detected 20 s later.
                #expect(violation.at - v2.deployedAt == .seconds(20))

                // The record and the notices show why.
                let detected = try #require(
                    try await h.sqlite.timeline(incidentID: incident.id).first { $0.kind == .detected })
                guard case .object(let detail)? = detected.detail, case .object(let signal)? = detail["signal"] else {
                    Issue.record("the detection has no signal detail")
                    return
                }
                #expect(signal["window"] == .string("1m"))
                #expect(signal["threshold"] == .string("> 1 s"))
                let initiated = try #require(h.notifier.incidentNotices.first)
                #expect(initiated.evidence.contains { $0.contains("latency_p95 2.6 s (> 1 s)") })
                #expect(initiated.evidence.contains(#"query: latency_p95{service="{{service}}"}"#))
                let report = IncidentReport.markdown(
                    try #require(try await StateQueries.incident(store: h.sqlite, id: incident.id)), chartPath: nil)
                #expect(report.contains("| latency_p95 | 2.6 s | 1 s |"))

                // Health verification, then the performance phase after its 30 s.
                let verification = try await h.sqlite.timeline(incidentID: incident.id).filter {
                    $0.kind == .verification
                }.map(\.message)
                #expect(verification.contains { $0.contains("performance validation started: 30s") })
                #expect(verification.contains { $0.contains("performance validation passed") })
                let completed = try #require(h.notifier.incidentNotices.last)
                #expect(completed.kind == .completed)
                #expect(completed.verificationResults.contains { $0.contains("performance validation passed") })
            }
        }
    }

    @Test("performance validation that fails after the rollback fails the incident and escalates; no second rollback")
    func failedValidationEscalates() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let metrics = FakeMetrics(world: h.world)
            // Still slow on v1: the deployment was not the cause.
            metrics.set(Fixture.backend, "latency_p95", whileLive: v1.id, 2.4)
            metrics.set(Fixture.backend, "latency_p95", whileLive: Fixture.id(Fixture.backend, "v2"), 2.6)
            // A phase longer than the signal's 1-minute window: looks from a minute in read only v1.
            var policy = Fixture.metricPolicy([Fixture.signal(.latencyP95)])
            policy.verification.performance.duration = .seconds(600)
            try await h.run(policy: policy, metricSource: metrics) { run in
                try await run.deploy(Fixture.backend, "v2", health: .healthy)
                let incident = try await run.untilClosed()
                let stored = try #require(try await h.sqlite.incident(id: incident.id))
                #expect(stored.status == .failed)
                // Failed well before the phase's end, once the window held only v1's latencies.
                let closed = try #require(stored.closedAt)
                #expect(closed - stored.openedAt < .seconds(300))
                #expect(try await h.escalationReasons(incident.id).contains("verification_failed"))
                let verification = try await h.sqlite.timeline(incidentID: incident.id).filter {
                    $0.kind == .verification
                }.map(\.message)
                // Watched throughout the phase: still over its limit at two looks in a row fails it at once.
                #expect(
                    verification.contains {
                        $0.contains("performance validation failed") && $0.contains("2 looks in a row during the phase")
                    }, "\(verification)")
                try await run.advance(by: .seconds(120))
                #expect(h.world.rollbackCount() == 1)
            }
        }
    }

    @Test(
        "a rollback verifying as planned (a 20-minute validation phase) is not slow: devops and product are not paged")
    func verifyingAsPlannedIsNotEscalated() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let metrics = FakeMetrics(world: h.world)
            metrics.set(Fixture.backend, "latency_p95", whileLive: v1.id, 0.3)
            metrics.set(Fixture.backend, "latency_p95", whileLive: Fixture.id(Fixture.backend, "v2"), 2.6)
            let policy = Fixture.metricPolicy([Fixture.signal(.latencyP95)], phase: .seconds(1200))
            try await h.run(policy: policy, metricSource: metrics) { run in
                try await run.deploy(Fixture.backend, "v2", health: .healthy)
                try await run.advance(until: "the incident closed", limit: 4000) { !run.events.closedIncidents.isEmpty }
                let incident = try #require(run.events.closedIncidents.first)
                #expect(incident.status == .completed)
                #expect(incident.closedAt.map { $0 - incident.openedAt } ?? .zero > .seconds(1200))
                #expect(h.notifier.pages.isEmpty, "paged \(h.notifier.pages.map { $0.audience?.rawValue ?? "" })")
                let timeline = try await h.sqlite.timeline(incidentID: incident.id).map(\.message)
                #expect(timeline.contains("devops not paged: the rollback finished and is verifying as planned"))
                #expect(try await h.sqlite.escalations(incidentID: incident.id).allSatisfy { $0.state == .cancelled })
            }
        }
    }

    @Test(
        "Prometheus down: no rollback, one monitoring-failure notice after the configured time, and a note when it is back"
    )
    func monitoringOutageNeverRollsBack() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let metrics = FakeMetrics(world: h.world)
            metrics.setDown("connection refused")
            let policy = Fixture.metricPolicy(
                [Fixture.signal(.latencyP95), Fixture.signal(.requestRate)], failureAfter: .seconds(60))
            try await h.run(policy: policy, metricSource: metrics) { run in
                try await run.deploy(Fixture.backend, "v2", health: .healthy)
                try await run.advance(by: .seconds(59))
                #expect(run.events.closedIncidents.isEmpty)
                let incident = try await run.untilClosed()
                #expect(incident.trigger == .monitoring)
                #expect(incident.status == .escalated)
                #expect(incident.services == [Fixture.backend])
                #expect(incident.summary.contains("prometheus"))
                #expect(h.notifier.incidentKinds == [.escalated])
                #expect(h.notifier.incidentNotices.first?.error?.contains("connection refused") == true)

                // Still down: no second report, no rollback.
                try await run.advance(by: .seconds(120))
                #expect(run.events.closedIncidents.count == 1)
                #expect(h.world.rollbackCount() == 0)
                #expect(run.engine.monitoringStatuses.first?.reported == true)

                metrics.setDown(nil)
                try await run.advance(until: "the monitoring note") {
                    try await h.sqlite.timeline(incidentID: incident.id).contains {
                        $0.kind == .monitoring && $0.message.contains("answers again")
                    }
                }
                #expect(run.engine.monitoringStatuses.first?.reported == false)
                #expect(h.world.rollbackCount() == 0)
            }
        }
    }

    @Test(
        "a security alert: immediate rollback of every suspect service, deployments frozen, the security team told at once"
    )
    func securityAlertIsImmediate() async throws {
        try await Harness.with { h in
            let (backendV1, workerV1) = try await h.seedKnownGood()
            var policy = Fixture.metricPolicy([])
            policy.notifications.audiences = [.security: ["collector"]]
            try await h.run(policy: policy) { run in
                try await run.deploy(Fixture.backend, "v2", health: .healthy)
                try await run.deploy(Fixture.worker, "v2", health: .healthy)
                let alert = ExternalAlert(
                    origin: .alertmanager, service: Fixture.backend, category: .security, severity: .critical,
                    name: "BreachIndicator",
                    firing: true, at: h.clock.now, fingerprint: "abc", summary: "outbound data to an unknown host")
                run.engine.receive(alerts: [alert])
                // Alertmanager repeats it: still one incident.
                run.engine.receive(alerts: [alert])
                let incident = try await run.untilClosed()
                let stored = try #require(try await h.sqlite.incident(id: incident.id))
                #expect(stored.trigger == .security)
                #expect(stored.strategy == .immediate)
                #expect(Set(h.world.rollbackCalls.map(\.target)) == [backendV1.id, workerV1.id])
                #expect(stored.violation?.alert?.name == "BreachIndicator")
                #expect(try await h.sqlite.currentFreeze()?.isActive(at: h.clock.now) == true)
                let security = try await h.sqlite.escalations(incidentID: incident.id).filter {
                    $0.audience == .security
                }
                #expect(security.count == 1)
                #expect(security.first?.dueAt == stored.openedAt)
                try await run.advance(by: .seconds(30))
                #expect(run.events.closedIncidents.count == 1)
                #expect(h.notifier.notices.contains { $0.audience == .security })
            }
        }
    }

    @Test("a business drop asks for gradual; with no traffic control the rollback is fast and the decision says so")
    func businessFallsBackToFast() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let metrics = FakeMetrics(world: h.world)
            var conversion = Fixture.signal(.conversionRate)
            conversion.baseline = .rolling(.seconds(300))
            metrics.set(Fixture.backend, "conversion_rate", whileLive: v1.id, 0.04)
            metrics.set(Fixture.backend, "conversion_rate", whileLive: Fixture.id(Fixture.backend, "v2"), 0.03)
            var policy = Fixture.metricPolicy([conversion])
            policy.verification.business.enabled = false
            try await h.run(policy: policy, metricSource: metrics) { run in
                // Five minutes of v1 build the baseline.
                try await run.advance(by: .seconds(300))
                try await run.deploy(Fixture.backend, "v2", health: .healthy)
                let incident = try await run.untilClosed()
                let stored = try #require(try await h.sqlite.incident(id: incident.id))
                #expect(stored.trigger == .business)
                #expect(stored.strategy == .fast)
                let decision = try #require(
                    try await h.sqlite.timeline(incidentID: incident.id).first { $0.kind == .decision })
                #expect(decision.message.contains("asks for the gradual strategy"))
                #expect(stored.violation?.evidence.count == 3)
                #expect(abs((stored.violation?.evidence.first?.baseline ?? 0) - 0.04) < 1e-9)
            }
        }
    }

    @Test("pushed values reach the metric source")
    func pushedValues() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let metrics = FakeMetrics(world: h.world)
            try await h.run(policy: Fixture.metricPolicy([]), metricSource: metrics) { run in
                run.engine.receive(pushed: [
                    PushedValue(service: Fixture.backend, signal: "conversion_rate", value: 0.04, at: h.clock.now)
                ])
                #expect(metrics.pushed.map(\.value) == [0.04])
            }
        }
    }
}
