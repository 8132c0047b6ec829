import RewindCore
import Testing

@Suite("HealthCheckState: consecutive-result rules, tick by tick")
struct HealthTriggerTests {
    typealias Event = HealthCheckState.Event

    static func state(_ severity: CheckSeverity = .critical) -> HealthCheckState {
        HealthCheckState(
            service: "backend", check: "health", severity: severity,
            failureRule: HealthRules().failureRule(for: severity), recoveryRule: Defaults.recovery)
    }

    /// Feeds `(seconds after base, result)` pairs and returns one event per observation.
    static func feed(_ state: inout HealthCheckState, _ ticks: [(Int64, CheckResult)]) -> [Event] {
        ticks.map { state.observe(Fixture.observation($0.0, $0.1)) }
    }

    static func isFired(_ event: Event) -> Bool {
        if case .fired = event { return true }
        return false
    }

    @Test("a check that keeps failing fast holds only the rule's count of failures, and still recovers")
    func failuresStayBounded() {
        var state = Self.state()
        // Every 100 ms for the 2-minute window: 1,200 failures inside `within`.
        for tick in 0..<1200 {
            _ = state.observe(
                Fixture.observation(Int64(tick) / 10, Fixture.down, latencyMs: Int64(tick)))
        }
        #expect(state.isFiring)
        #expect(state.failures.count == 3)
        #expect(state.failures.last?.latencyMs == 1199)
        let recovery = Self.feed(&state, [(10, Fixture.ok), (20, Fixture.ok)])
        #expect(recovery.last == .recovered)
    }

    @Test("critical: 3 consecutive failures within 2m fire on the third, with the three as evidence")
    func criticalFiresOnThird() throws {
        var state = Self.state()
        let events = [
            state.observe(Fixture.observation(0, Fixture.down, latencyMs: 12)),
            state.observe(Fixture.observation(10, Fixture.down, latencyMs: 13)),
            state.observe(Fixture.observation(20, Fixture.down, latencyMs: 14)),
        ]
        #expect(events[0] == .failing(count: 1, of: 3))
        #expect(events[1] == .failing(count: 2, of: 3))
        guard case .fired(let violation) = events[2] else {
            Issue.record("expected the third failure to fire, got \(events[2])")
            return
        }
        #expect(violation.service == "backend")
        #expect(violation.trigger == .healthCritical)
        #expect(violation.severity == .critical)
        #expect(violation.at == Fixture.t(20))
        #expect(violation.rule == "health: 3 consecutive within 2m, failing for at least 2s")
        #expect(
            violation.evidence == [
                Evidence(at: Fixture.t(0), check: "health", result: "HTTP 503", latencyMs: 12),
                Evidence(at: Fixture.t(10), check: "health", result: "HTTP 503", latencyMs: 13),
                Evidence(at: Fixture.t(20), check: "health", result: "HTTP 503", latencyMs: 14),
            ])
        #expect(state.isFiring)
    }

    @Test("one success resets the failure run: F,F,S,F,F never fires")
    func successResets() {
        var state = Self.state()
        let events = Self.feed(
            &state, [(0, Fixture.down), (10, Fixture.down), (20, Fixture.ok), (30, Fixture.down), (40, Fixture.down)])
        #expect(
            events == [
                .failing(count: 1, of: 3), .failing(count: 2, of: 3), .none, .failing(count: 1, of: 3),
                .failing(count: 2, of: 3),
            ])
        #expect(!state.isFiring)
        #expect(state.failures.map(\.at) == [Fixture.t(30), Fixture.t(40)])
    }

    @Test("failures spread wider than the window do not fire until three fit inside it")
    func windowDropsOldFailures() throws {
        var state = Self.state()
        let events = Self.feed(
            &state, [(0, Fixture.down), (61, Fixture.down), (122, Fixture.down), (125, Fixture.down)])
        #expect(events[0] == .failing(count: 1, of: 3))
        #expect(events[1] == .failing(count: 2, of: 3))
        // 122 s after the first failure: it falls out of the 2-minute window.
        #expect(events[2] == .failing(count: 2, of: 3))
        guard case .fired(let violation) = events[3] else {
            Issue.record("expected the fourth failure to fire, got \(events[3])")
            return
        }
        #expect(violation.evidence.map(\.at) == [Fixture.t(61), Fixture.t(122), Fixture.t(125)])
    }

    @Test("a run spanning exactly the window still counts as within it")
    func windowIsInclusive() {
        var state = Self.state()
        let events = Self.feed(&state, [(0, Fixture.down), (60, Fixture.down), (120, Fixture.down)])
        #expect(Self.isFired(events[2]))
    }

    @Test("after firing: no second fire until recovery (2 successes within 5m), then it can fire again")
    func firesOnceUntilRecovered() {
        var state = Self.state()
        let events = Self.feed(
            &state,
            [
                (0, Fixture.down), (10, Fixture.down), (20, Fixture.down),  // fires
                (30, Fixture.down), (40, Fixture.down), (50, Fixture.down),  // still firing: silent
                (60, Fixture.ok), (70, Fixture.ok),  // recovered
                (80, Fixture.down), (90, Fixture.down), (100, Fixture.down),  // fires again
            ])
        #expect(
            events.map(Self.isFired) == [false, false, true, false, false, false, false, false, false, false, true])
        #expect(Array(events[3...7]) == [.none, .none, .none, .none, .recovered])
    }

    @Test("recovery needs consecutive successes: a failure between them restarts the count")
    func recoveryIsConsecutive() {
        var state = Self.state()
        let events = Self.feed(
            &state,
            [
                (0, Fixture.down), (10, Fixture.down), (20, Fixture.down),
                (30, Fixture.ok), (40, Fixture.down), (50, Fixture.ok), (60, Fixture.ok),
            ])
        #expect(Array(events[3...]) == [.none, .none, .none, .recovered])
    }

    @Test("recovery successes spread wider than 5m do not count")
    func recoveryWindow() {
        var state = Self.state()
        let events = Self.feed(
            &state,
            [
                (0, Fixture.down), (10, Fixture.down), (20, Fixture.down), (30, Fixture.ok), (331, Fixture.ok),
                (340, Fixture.ok),
            ])
        #expect(Array(events[3...]) == [.none, .none, .recovered])
        #expect(!state.isFiring)
    }

    @Test("non-critical: 5 consecutive failures within 5m fire as high severity")
    func nonCriticalRule() throws {
        var state = Self.state(.nonCritical)
        let events = Self.feed(&state, (0..<5).map { (Int64($0) * 60, Fixture.down) })
        #expect(Array(events[0..<4]) == (1...4).map { .failing(count: $0, of: 5) })
        guard case .fired(let violation) = events[4] else {
            Issue.record("expected the fifth failure to fire, got \(events[4])")
            return
        }
        #expect(violation.trigger == .healthNonCritical)
        #expect(violation.severity == .high)
        #expect(violation.rule == "health: 5 consecutive within 5m, failing for at least 2s")
        #expect(violation.evidence.count == 5)
    }

    @Test("non-critical: four failures do not fire, and five over more than 5m do not either")
    func nonCriticalWindow() {
        var state = Self.state(.nonCritical)
        let events = Self.feed(&state, (0..<5).map { (Int64($0) * 76, Fixture.down) })  // 0 … 304 s
        #expect(!events.contains(where: Self.isFired))
        #expect(events.last == .failing(count: 4, of: 5))
    }

    @Test(
        "severity maps to trigger and violation severity",
        arguments: [
            (CheckSeverity.critical, TriggerKind.healthCritical, Severity.critical, Strategy.immediate),
            (.nonCritical, .healthNonCritical, .high, .fast),
        ])
    func severityMapping(check: CheckSeverity, trigger: TriggerKind, severity: Severity, strategy: Strategy) throws {
        var state = Self.state(check)
        let count = HealthRules().failureRule(for: check).count
        let events = Self.feed(&state, (0..<count).map { (Int64($0), Fixture.down) })
        guard case .fired(let violation) = events.last else {
            Issue.record("expected a fire, got \(String(describing: events.last))")
            return
        }
        #expect(violation.trigger == trigger)
        #expect(violation.severity == severity)
        #expect(violation.trigger.strategy(severity: violation.severity) == strategy)
    }

    @Test("timeouts, connection errors and invalid responses are failures like 5xx")
    func everyFailureKindCounts() throws {
        var state = Self.state()
        let events = Self.feed(
            &state,
            [
                (0, .failure(.timeout)), (1, .failure(.connection("refused"))),
                (2, .failure(.invalidResponse("empty"))),
            ])
        guard case .fired(let violation) = events.last else {
            Issue.record("expected a fire, got \(String(describing: events.last))")
            return
        }
        #expect(
            violation.evidence.map(\.result) == ["timed out", "connection failed: refused", "invalid response: empty"])
    }

    @Test("reset forgets the runs and the firing state")
    func reset() {
        var state = Self.state()
        _ = Self.feed(&state, [(0, Fixture.down), (1, Fixture.down), (2, Fixture.down)])
        #expect(state.isFiring)
        state.reset()
        #expect(!state.isFiring)
        #expect(state.failures.isEmpty)
        let events = Self.feed(&state, [(3, Fixture.down), (4, Fixture.down), (5, Fixture.down)])
        #expect(events.map(Self.isFired) == [false, false, true])
    }
}

@Suite("ProbeSchedule: when a check runs next")
struct ProbeScheduleTests {
    @Test(
        "next check time of a known-good deployment",
        arguments: [
            // (result passes, isFiring, interval ms, confirm ms, expected delay ms)
            (true, false, Int64(10_000), Int64(100), Int64(10_000)),  // success → interval
            (false, false, 10_000, 100, 100),  // failure → confirm
            (false, true, 10_000, 100, 10_000),  // failure while firing → interval
            (true, true, 10_000, 100, 10_000),  // success while firing → interval
            (false, false, 10_000, 30_000, 10_000),  // confirm larger than interval → capped
            (false, false, 10_000, 10_000, 10_000),  // confirm equal to interval: confirmation off
        ])
    func nextCheck(passes: Bool, isFiring: Bool, interval: Int64, confirm: Int64, expected: Int64) {
        let at = Fixture.t(0)
        let check = HealthCheckPolicy(
            name: "health", url: "http://127.0.0.1/health", interval: .milliseconds(interval),
            confirmInterval: .milliseconds(confirm))
        let next = ProbeSchedule.nextCheck(
            of: check, after: passes ? Fixture.ok : .failure(.timeout), at: at,
            live: .init(trust: .knownGood, since: at - .seconds(60)), isFiring: isFiring)
        #expect(next == at + .milliseconds(expected))
    }

    /// A live deployment, how long it has been live, and when the next check of a passing check is due.
    struct Cadence: Sendable, CustomTestStringConvertible {
        var name: String
        var live: ProbeSchedule.LiveDeployment?
        var check = HealthCheckPolicy(name: "health", url: "http://127.0.0.1/health", interval: .seconds(10))
        var passes = true
        var expectedMs: Int64
        var testDescription: String { name }
    }

    static let now = Fixture.t(10_000)

    @Test(
        "suspect window: a young suspect deployment is checked every suspect_interval, anything else every interval",
        arguments: [
            Cadence(name: "suspect, live 1 s", live: .init(trust: .suspect, since: now - .seconds(1)), expectedMs: 250),
            Cadence(
                name: "suspect, live 14m59s", live: .init(trust: .suspect, since: now - .seconds(899)), expectedMs: 250),
            Cadence(
                name: "suspect, live exactly 15 m: the window is over",
                live: .init(trust: .suspect, since: now - .seconds(900)), expectedMs: 10_000),
            Cadence(
                name: "known good, live 1 s (a rollback target)",
                live: .init(trust: .knownGood, since: now - .seconds(1)), expectedMs: 10_000),
            Cadence(
                name: "bad and still live (a rollback that failed)", live: .init(trust: .bad, since: now - .seconds(1)),
                expectedMs: 10_000),
            Cadence(name: "no live deployment known", live: nil, expectedMs: 10_000),
            Cadence(
                name: "suspect, first seen live 1 s ago but created two days ago: not young",
                live: .init(
                    Deployment(service: "backend", id: "b7", version: "v7", deployedAt: now - .seconds(172_800)),
                    liveSince: now - .seconds(1), replacedAnother: true),
                expectedMs: 10_000),
            Cadence(
                name: "suspect, deployed and live 1 s ago (a deploy hook)",
                live: .init(
                    Deployment(service: "backend", id: "b8", version: "v8", deployedAt: now - .seconds(1)),
                    liveSince: now - .seconds(1), replacedAnother: true),
                expectedMs: 250),
            Cadence(
                name: "suspect, live 1 s, but the first deployment Rewind knows of the service: not new",
                live: .init(
                    Deployment(service: "backend", id: "b1", version: "v1", deployedAt: now - .seconds(1)),
                    liveSince: now - .seconds(1), replacedAnother: false),
                expectedMs: 10_000),
            Cadence(
                name: "failure while suspect: confirmation is sooner still",
                live: .init(trust: .suspect, since: now - .seconds(1)), passes: false, expectedMs: 100),
            Cadence(
                name: "suspect_window 0s turns it off", live: .init(trust: .suspect, since: now - .seconds(1)),
                check: HealthCheckPolicy(
                    name: "health", url: "http://127.0.0.1/health", interval: .seconds(10), suspectWindow: .zero),
                expectedMs: 10_000),
            Cadence(
                name: "never slower than interval", live: .init(trust: .suspect, since: now - .seconds(1)),
                check: HealthCheckPolicy(
                    name: "health", url: "http://127.0.0.1/health", interval: .milliseconds(200),
                    suspectInterval: .seconds(1)),
                expectedMs: 200),
            Cadence(
                name: "per-check suspect_interval", live: .init(trust: .suspect, since: now - .seconds(1)),
                check: HealthCheckPolicy(
                    name: "health", url: "http://127.0.0.1/health", interval: .seconds(10),
                    suspectInterval: .seconds(2)),
                expectedMs: 2_000),
        ])
    func suspectCadence(_ cadence: Cadence) {
        let next = ProbeSchedule.nextCheck(
            of: cadence.check, after: cadence.passes ? Fixture.ok : .failure(.timeout), at: Self.now,
            live: cadence.live, isFiring: false)
        #expect(next == Self.now + .milliseconds(cadence.expectedMs))
    }

    /// One outage as the probes see it: a failure every `everyMs` from 0 while `outageMs` lasts, then a success.
    struct Outage: Sendable, CustomTestStringConvertible {
        var name: String
        var rule: ConsecutiveRule
        var everyMs: Int64
        var outageMs: Int64
        /// Milliseconds after the first failure at which the rule fires; nil: it never does.
        var firesAtMs: Int64?
        var testDescription: String { name }
    }

    @Test(
        "min_duration: a blip never fires however many re-checks it gets; a hard down fires once it has lasted",
        arguments: [
            Outage(
                name: "drain blip, 1.9 s of 503 seen by 100 ms re-checks (20 failures)", rule: Defaults.criticalHealth,
                everyMs: 100, outageMs: 1_950, firesAtMs: nil),
            Outage(
                name: "hard down, seen by 100 ms re-checks", rule: Defaults.criticalHealth, everyMs: 100,
                outageMs: 60_000, firesAtMs: 2_000),
            Outage(
                name: "drain blip, two failed 1 s probes", rule: Defaults.criticalHealth, everyMs: 1_000,
                outageMs: 2_000, firesAtMs: nil),
            Outage(
                name: "hard down, 1 s probes", rule: Defaults.criticalHealth, everyMs: 1_000, outageMs: 60_000,
                firesAtMs: 2_000),
            Outage(
                name: "non-critical hard down, 100 ms re-checks", rule: Defaults.nonCriticalHealth, everyMs: 100,
                outageMs: 60_000, firesAtMs: 2_000),
            Outage(
                name: "min_duration 0: the count alone, the third failure",
                rule: .init(count: 3, within: .seconds(120)),
                everyMs: 100, outageMs: 1_950, firesAtMs: 200),
        ])
    func minimumDuration(_ outage: Outage) {
        var state = HealthCheckState(
            service: "backend", check: "health", severity: .critical, failureRule: outage.rule,
            recoveryRule: Defaults.recovery)
        var firedAt: Int64?
        var ms: Int64 = 0
        while ms < outage.outageMs {
            let event = state.observe(
                Observation(
                    service: "backend", check: "health", at: Fixture.t(0) + .milliseconds(ms), result: Fixture.down,
                    latencyMs: 0))
            if HealthTriggerTests.isFired(event), firedAt == nil { firedAt = ms }
            ms += outage.everyMs
        }
        // One success resets the run: the next failure starts counting from zero again.
        _ = state.observe(
            Observation(
                service: "backend", check: "health", at: Fixture.t(0) + .milliseconds(ms), result: Fixture.ok,
                latencyMs: 0))
        #expect(firedAt == outage.firesAtMs)
        #expect(state.failingSince == nil)
    }
}
