import RewindCore
import Testing

@Suite("AlertBook: Alertmanager alerts and pushed security events")
struct AlertBookTests {
    static func alert(
        _ category: SignalCategory, _ severity: Severity, firing: Bool = true, fingerprint: String = "fp1",
        at seconds: Int64 = 0
    )
        -> ExternalAlert
    {
        ExternalAlert(
            origin: .alertmanager, service: "backend", category: category, severity: severity, name: "HighErrorRate",
            firing: firing,
            at: Fixture.t(seconds), fingerprint: fingerprint, summary: "5xx above 5 %")
    }

    @Test("a firing alert is a violation at once; Alertmanager's repeats are not")
    func firesOnceForRepeats() throws {
        var book = AlertBook()
        guard case .fired(let violation) = book.receive(Self.alert(.performance, .critical)) else {
            Issue.record("expected a violation")
            return
        }
        #expect(violation.trigger == .performance)
        #expect(violation.severity == .critical)
        #expect(violation.alert?.fingerprint == "fp1")
        #expect(violation.evidence.first?.result == "firing: 5xx above 5 %")
        #expect(book.receive(Self.alert(.performance, .critical, at: 60)) == .repeated)
    }

    @Test("resolved clears it, and the next firing is new")
    func resolvedThenFiresAgain() {
        var book = AlertBook()
        _ = book.receive(Self.alert(.throughput, .high))
        #expect(
            book.receive(Self.alert(.throughput, .high, firing: false)) == .resolved("backend", name: "HighErrorRate"))
        if case .fired = book.receive(Self.alert(.throughput, .high)) {
        } else {
            Issue.record("expected a new violation")
        }
    }

    @Test("a resolve for an alert never seen is only recorded")
    func unknownResolve() {
        var book = AlertBook()
        if case .ignored = book.receive(Self.alert(.performance, .high, firing: false)) {
        } else {
            Issue.record("expected ignored")
        }
    }

    @Test("low severity is recorded, not a trigger — except security, which always triggers")
    func severities() {
        var book = AlertBook(minimumSeverity: .high)
        if case .ignored = book.receive(Self.alert(.performance, .low)) {} else { Issue.record("expected ignored") }
        guard case .fired(let violation) = book.receive(Self.alert(.security, .low, fingerprint: "sec")) else {
            Issue.record("security alerts always trigger")
            return
        }
        #expect(violation.requestedStrategy == .immediate)
    }

    @Test("forgetting a service after its rollback makes a still-firing alert new again")
    func forget() {
        var book = AlertBook()
        _ = book.receive(Self.alert(.performance, .critical))
        book.forget(service: "backend")
        if case .fired = book.receive(Self.alert(.performance, .critical)) {
        } else {
            Issue.record("expected a new violation")
        }
    }

    @Test(arguments: [
        ("critical" as String?, Severity.critical), ("page", .critical), ("error", .high), ("warning", .low),
        (nil, .low),
    ])
    func severityWords(text: String?, expected: Severity) {
        #expect(AlertSeverity.parse(text) == expected)
    }
}

@Suite("Strategy selection for metric and alert triggers")
struct MetricStrategyTests {
    static func violation(_ trigger: TriggerKind, _ severity: Severity = .high) -> Violation {
        Violation(service: "frontend", trigger: trigger, severity: severity, at: Fixture.base, rule: "r", evidence: [])
    }

    static let services = [
        Fixture.snapshot("frontend", [("v1", .knownGood), ("v2", .suspect)]),
        Fixture.snapshot("backend", [("v1", .knownGood), ("v2", .suspect)]),
    ]

    @Test("business asks for gradual; without traffic control it rolls back fast, and the decision says so")
    func businessFallsBackToFast() {
        let decision = Assessment.decide(
            violation: Self.violation(.business), policy: Policy(), services: Self.services, now: Fixture.base)
        guard case .rollback(let strategy, let choices, _, let notes) = decision else {
            Issue.record("expected a rollback, got \(decision)")
            return
        }
        #expect(strategy == .fast)
        #expect(choices.map(\.service) == ["frontend"])
        #expect(notes.count == 1)
        #expect(notes.first?.contains("gradual") == true)
    }

    @Test("business with traffic control keeps gradual")
    func businessWithTraffic() {
        var services = Self.services
        services[0].hasTrafficControl = true
        let decision = Assessment.decide(
            violation: Self.violation(.business), policy: Policy(), services: services, now: Fixture.base)
        guard case .rollback(let strategy, _, _, let notes) = decision else {
            Issue.record("expected a rollback")
            return
        }
        #expect(strategy == .gradual)
        #expect(notes.isEmpty)
    }

    @Test("security is immediate: every suspect service")
    func securityImmediate() {
        let decision = Assessment.decide(
            violation: Self.violation(.security, .critical), policy: Policy(), services: Self.services,
            now: Fixture.base)
        guard case .rollback(let strategy, let choices, _, _) = decision else {
            Issue.record("expected a rollback")
            return
        }
        #expect(strategy == .immediate)
        #expect(Set(choices.map(\.service)) == ["frontend", "backend"])
    }

    @Test("infrastructure: fast, or immediate when critical")
    func infrastructure() {
        #expect(TriggerKind.infrastructure.strategy(severity: .high) == .fast)
        #expect(TriggerKind.infrastructure.strategy(severity: .critical) == .immediate)
        #expect(TriggerKind.performance.strategy(severity: .critical) == .fast)
    }

    @Test("a security trigger notifies the security team at once")
    func securityTeam() {
        let timers = EscalationPlanner.timers(
            for: .securityTrigger, incidentID: 7, at: Fixture.base, policy: EscalationPolicy())
        #expect(timers.map(\.audience) == [.security])
        #expect(timers.first?.dueAt == Fixture.base)
    }
}

@Suite("MonitoringHealth: a source that stops answering")
struct MonitoringHealthTests {
    @Test("fails once after the configured time, recovers once")
    func failsOnceRecoversOnce() {
        var health = MonitoringHealth(source: "prometheus", after: .seconds(120))
        #expect(health.observe(ok: false, at: Fixture.t(0), detail: "refused") == .none)
        #expect(health.observe(ok: false, at: Fixture.t(119), detail: "refused") == .none)
        #expect(
            health.observe(ok: false, at: Fixture.t(120), detail: "refused")
                == .failed(since: Fixture.t(0), detail: "refused"))
        #expect(health.observe(ok: false, at: Fixture.t(150), detail: "refused") == .none)
        #expect(health.isFailing)
        #expect(health.observe(ok: true, at: Fixture.t(180)) == .recovered(after: .seconds(180)))
        #expect(health.observe(ok: true, at: Fixture.t(210)) == .none)
    }

    @Test("a short outage is not reported")
    func shortOutage() {
        var health = MonitoringHealth(source: "prometheus", after: .seconds(120))
        _ = health.observe(ok: false, at: Fixture.t(0))
        #expect(health.observe(ok: true, at: Fixture.t(60)) == .none)
        #expect(health.observe(ok: false, at: Fixture.t(90)) == .none)
        #expect(health.observe(ok: false, at: Fixture.t(200)) == .none)
    }
}

@Suite("Validation phases: the guide's performance and business criteria")
struct ValidationPhaseTests {
    static func signal(_ measure: Measure) -> MetricSignalPolicy {
        MetricSignalPolicy.guideDefaults(
            name: measure.rawValue, measure: measure, source: .pushed(signal: measure.rawValue), serviceClass: .frontend
        )!
    }

    @Test(
        "performance passes: P95 under 2 s and improved by more than 20 %, error rate under 1 % and halved, throughput back over 90 %"
    )
    func performancePasses() {
        let result = ValidationPhaseJudge.judge(
            .performance,
            [
                PhaseReading(signal: Self.signal(.latencyP95), value: 0.8, atTrigger: 2.6),
                PhaseReading(signal: Self.signal(.errorRate), value: 0.004, atTrigger: 0.09),
                PhaseReading(signal: Self.signal(.requestRate), value: 95, baseline: 100),
                PhaseReading(signal: Self.signal(.cpuUsage), value: 0.5),
            ])
        #expect(result.passed)
        #expect(result.checks.count == 6)
    }

    @Test(
        "performance fails on each criterion",
        arguments: [
            (Measure.latencyP95, 1.9, 2.2 as Double?, nil as Double?, "improved"),
            (Measure.errorRate, 0.02, nil as Double?, nil as Double?, "needs < 1 %"),
            (Measure.requestRate, 80, nil as Double?, 100 as Double?, "needs > 90 %"),
            (Measure.memoryUsage, 0.81, nil as Double?, nil as Double?, "needs < 80 %"),
        ])
    func performanceFails(measure: Measure, value: Double, atTrigger: Double?, baseline: Double?, words: String) {
        let result = ValidationPhaseJudge.judge(
            .performance,
            [PhaseReading(signal: Self.signal(measure), value: value, atTrigger: atTrigger, baseline: baseline)])
        #expect(!result.passed)
        #expect(result.summary.contains(words))
    }

    @Test("traffic that vanished after the rollback fails; other signals without data are skipped")
    func noData() {
        #expect(
            !ValidationPhaseJudge.judge(.performance, [PhaseReading(signal: Self.signal(.requestRate), value: nil)])
                .passed)
        let skipped = ValidationPhaseJudge.judge(
            .performance, [PhaseReading(signal: Self.signal(.latencyP95), value: nil)])
        #expect(skipped.passed)
        #expect(skipped.summary == "performance validation: nothing to check")
    }

    @Test("business: satisfaction > 90 % and conversion > 95 % of baseline, error rate under half of what it was")
    func business() {
        let passing = ValidationPhaseJudge.judge(
            .business,
            [
                PhaseReading(signal: Self.signal(.userSatisfaction), value: 0.86, baseline: 0.9),
                PhaseReading(signal: Self.signal(.conversionRate), value: 0.039, baseline: 0.04),
                PhaseReading(signal: Self.signal(.businessErrorRate), value: 0.04, atTrigger: 0.12),
            ])
        #expect(passing.passed)
        let failing = ValidationPhaseJudge.judge(
            .business, [PhaseReading(signal: Self.signal(.conversionRate), value: 0.037, baseline: 0.04)])
        #expect(!failing.passed)
        #expect(failing.summary.contains("conversion_rate"))
    }

    @Test("a phase only looks at its own categories")
    func categories() {
        let result = ValidationPhaseJudge.judge(.business, [PhaseReading(signal: Self.signal(.latencyP95), value: 9)])
        #expect(result.checks.isEmpty)
    }
}
