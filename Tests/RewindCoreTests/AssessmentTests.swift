import RewindCore
import Testing

/// What a decision should be, in the terms a reader checks: which service goes to which deployment.
enum ExpectedDecision: Sendable, Equatable {
    /// `targets`: service → deployment id rolled back to. `skipped`: services named in `skipped`.
    case rollback(Strategy, targets: [ServiceName: String], skipped: [ServiceName] = [])
    case escalate(EscalationReason)
    case ignore

    static func of(_ decision: Decision) -> ExpectedDecision {
        switch decision {
        case .rollback(let strategy, let choices, let skipped, let notes):
            let targets = Dictionary(uniqueKeysWithValues: choices.map { ($0.service, $0.to.id) })
            let named = ["backend", "frontend", "worker"].map(ServiceName.init(rawValue:)).filter { name in
                skipped.contains { $0.contains(name.rawValue) }
            }
            return .rollback(strategy, targets: targets, skipped: named)
        case .escalate(let reason, _): return .escalate(reason)
        case .ignore: return .ignore
        }
    }
}

struct AssessmentCase: Sendable, CustomTestStringConvertible {
    var name: String
    var violation: Violation
    var services: [ServiceSnapshot]
    var policy = Policy()
    var expected: ExpectedDecision

    var testDescription: String { name }
}

@Suite("Assessment: (policy, violation, snapshots, now) → decision")
struct AssessmentTests {
    typealias S = Fixture

    /// backend: v1 known good, v2 bad, v3 suspect and live.
    static let backendSuspect = S.snapshot("backend", [("v1", .knownGood), ("v2", .bad), ("v3", .suspect)])
    static let backendGood = S.snapshot("backend", [("v1", .knownGood), ("v2", .knownGood)])
    static let frontendSuspect = S.snapshot("frontend", [("v1", .knownGood), ("v2", .suspect)])
    static let frontendGood = S.snapshot("frontend", [("v1", .knownGood), ("v2", .knownGood)])
    static let workerGood = S.snapshot("worker", [("v1", .knownGood)])
    static let workerSuspect = S.snapshot("worker", [("v1", .knownGood), ("v2", .suspect)])

    static func backend(rollbacks: [Timestamp] = [], inIncident: Bool = false) -> ServiceSnapshot {
        S.snapshot(
            "backend", [("v1", .knownGood), ("v2", .bad), ("v3", .suspect)], rollbacks: rollbacks,
            inIncident: inIncident)
    }

    static let cases: [AssessmentCase] = [
        AssessmentCase(
            name: "critical on a suspect service: immediate, to the newest known good (v1), not the previous (bad v2)",
            violation: S.violation("backend", .healthCritical),
            services: [frontendGood, backendSuspect, workerGood],
            expected: .rollback(.immediate, targets: ["backend": "backend-v1"])),
        AssessmentCase(
            name: "critical with other suspects: every suspect is rolled back",
            violation: S.violation("backend", .healthCritical),
            services: [frontendSuspect, backendSuspect, workerSuspect],
            expected: .rollback(
                .immediate, targets: ["frontend": "frontend-v1", "backend": "backend-v1", "worker": "worker-v1"])),
        AssessmentCase(
            name: "non-critical: fast, only the affected service",
            violation: S.violation("backend", .healthNonCritical),
            services: [frontendSuspect, backendSuspect, workerSuspect],
            expected: .rollback(.fast, targets: ["backend": "backend-v1"])),
        AssessmentCase(
            name: "critical on a known-good service with nothing suspect: not caused by a deployment",
            violation: S.violation("backend", .healthCritical),
            services: [frontendGood, backendGood, workerGood],
            expected: .escalate(.notCausedByDeployment)),
        AssessmentCase(
            name: "non-critical on a known-good service: not caused by a deployment, even if another is suspect",
            violation: S.violation("backend", .healthNonCritical),
            services: [frontendSuspect, backendGood, workerGood],
            expected: .escalate(.notCausedByDeployment)),
        AssessmentCase(
            name: "critical on a known-good service while another is suspect: the other is rolled back",
            violation: S.violation("backend", .healthCritical),
            services: [frontendSuspect, backendGood, workerGood],
            expected: .rollback(.immediate, targets: ["frontend": "frontend-v1"])),
        AssessmentCase(
            name: "service already in an incident: ignore",
            violation: S.violation("backend", .healthCritical),
            services: [frontendSuspect, backend(inIncident: true), workerGood],
            expected: .ignore),
        AssessmentCase(
            name: "a service that is not watched: ignore",
            violation: S.violation("payments", .healthCritical),
            services: [frontendSuspect, backendSuspect],
            expected: .ignore),
        AssessmentCase(
            name: "rolled back 5 minutes ago, cooldown 15m: escalate cooldown",
            violation: S.violation("backend", .healthCritical),
            services: [backend(rollbacks: [S.minutes(-5)])],
            expected: .escalate(.cooldown)),
        AssessmentCase(
            name: "rolled back exactly 15 minutes ago: cooldown is over",
            violation: S.violation("backend", .healthNonCritical),
            services: [backend(rollbacks: [S.minutes(-15)])],
            expected: .rollback(.fast, targets: ["backend": "backend-v1"])),
        AssessmentCase(
            name: "3 automatic rollbacks in the last hour, cooldown 0: escalate storm cap",
            violation: S.violation("backend", .healthCritical),
            services: [backend(rollbacks: [S.minutes(-50), S.minutes(-30), S.minutes(-10)])],
            policy: Policy(safety: SafetyLimits(cooldown: .zero)),
            expected: .escalate(.stormCap)),
        AssessmentCase(
            name: "the storm cap counts only the last hour",
            violation: S.violation("backend", .healthCritical),
            services: [backend(rollbacks: [S.minutes(-61), S.minutes(-30), S.minutes(-10)])],
            policy: Policy(safety: SafetyLimits(cooldown: .zero)),
            expected: .rollback(.immediate, targets: ["backend": "backend-v1"])),
        AssessmentCase(
            name: "no known-good deployment to go back to: escalate",
            violation: S.violation("backend", .healthCritical),
            services: [S.snapshot("backend", [("v1", .bad), ("v2", .suspect)]), workerGood],
            expected: .escalate(.noKnownGoodTarget)),
        AssessmentCase(
            name: "critical: another suspect with no known-good target is skipped, the affected one rolls back",
            violation: S.violation("backend", .healthCritical),
            services: [S.snapshot("frontend", [("v1", .suspect)]), backendSuspect],
            expected: .rollback(.immediate, targets: ["backend": "backend-v1"], skipped: ["frontend"])),
        AssessmentCase(
            name: "critical: another suspect in its cooldown is skipped, the affected one rolls back",
            violation: S.violation("backend", .healthCritical),
            services: [
                S.snapshot("frontend", [("v1", .knownGood), ("v2", .suspect)], rollbacks: [S.minutes(-5)]),
                backendSuspect,
            ],
            expected: .rollback(.immediate, targets: ["backend": "backend-v1"], skipped: ["frontend"])),
        AssessmentCase(
            name: "critical: another suspect already in an incident is left to that incident",
            violation: S.violation("backend", .healthCritical),
            services: [
                S.snapshot("frontend", [("v1", .knownGood), ("v2", .suspect)], inIncident: true), backendSuspect,
            ],
            expected: .rollback(.immediate, targets: ["backend": "backend-v1"])),
        AssessmentCase(
            name: "critical on a known-good service whose only suspect neighbour has no target: escalate",
            violation: S.violation("backend", .healthCritical),
            services: [S.snapshot("frontend", [("v1", .suspect)]), backendGood],
            expected: .escalate(.noKnownGoodTarget)),
        AssessmentCase(
            name: "critical on a known-good service whose only suspect neighbour is in its cooldown: escalate cooldown",
            violation: S.violation("backend", .healthCritical),
            services: [
                S.snapshot("frontend", [("v1", .knownGood), ("v2", .suspect)], rollbacks: [S.minutes(-5)]), backendGood,
            ],
            expected: .escalate(.cooldown)),
        AssessmentCase(
            name: "critical on a service whose live deployment Rewind does not know, nothing suspect: live unknown",
            violation: S.violation("backend", .healthCritical),
            services: [ServiceSnapshot(name: "backend", current: nil), workerGood],
            expected: .escalate(.liveUnknown)),
        AssessmentCase(
            name: "non-critical on a service whose live deployment Rewind does not know: live unknown",
            violation: S.violation("backend", .healthNonCritical),
            services: [ServiceSnapshot(name: "backend", current: nil), frontendSuspect],
            expected: .escalate(.liveUnknown)),
        AssessmentCase(
            name: "critical on an unknown live deployment while another is suspect: the other is rolled back",
            violation: S.violation("backend", .healthCritical),
            services: [ServiceSnapshot(name: "backend", current: nil), frontendSuspect],
            expected: .rollback(.immediate, targets: ["frontend": "frontend-v1"])),
        AssessmentCase(
            name: "a live deployment marked bad (the trigger fired on it) is still rolled back",
            violation: S.violation("backend", .healthNonCritical),
            services: [S.snapshot("backend", [("v1", .knownGood), ("v2", .bad)])],
            expected: .rollback(.fast, targets: ["backend": "backend-v1"])),
    ]

    @Test("decision table", arguments: cases)
    func decide(_ example: AssessmentCase) {
        let decision = Assessment.decide(
            violation: example.violation, policy: example.policy, services: example.services, now: Fixture.base)
        #expect(ExpectedDecision.of(decision) == example.expected, "\(decision)")
    }

    @Test("a rollback choice carries the live deployment, the target and why")
    func choiceDetail() throws {
        let decision = Assessment.decide(
            violation: S.violation("backend", .healthCritical), policy: Policy(), services: [Self.backendSuspect],
            now: Fixture.base)
        guard case .rollback(_, let choices, let skipped, _) = decision, let choice = choices.first else {
            Issue.record("expected a rollback, got \(decision)")
            return
        }
        #expect(choices.count == 1)
        #expect(skipped.isEmpty)
        #expect(choice.from == Self.backendSuspect.current)
        #expect(choice.to == Self.backendSuspect.deployments[0])
        #expect(choice.reason.contains("newest known-good"))
        #expect(choice.reason.contains("v3 (backend-v3)"))
    }

    @Test("the cooldown escalation says when the cooldown ends")
    func cooldownDetail() {
        let decision = Assessment.decide(
            violation: S.violation("backend", .healthCritical), policy: Policy(),
            services: [Self.backend(rollbacks: [S.minutes(-5)])], now: Fixture.base)
        guard case .escalate(.cooldown, let detail) = decision else {
            Issue.record("expected a cooldown escalation, got \(decision)")
            return
        }
        #expect(detail.contains((S.minutes(-5) + .seconds(900)).iso8601))
    }

    @Test("an unknown live deployment is escalated as unknown, saying how to tell Rewind, never as known good")
    func liveUnknownDetail() {
        let decision = Assessment.decide(
            violation: S.violation("backend", .healthCritical), policy: Policy(),
            services: [ServiceSnapshot(name: "backend", current: nil)], now: Fixture.base)
        guard case .escalate(.liveUnknown, let detail) = decision else {
            Issue.record("expected a live-unknown escalation, got \(decision)")
            return
        }
        #expect(detail.contains("the live deployment of backend is unknown to Rewind"))
        #expect(detail.contains("rewind deployments record backend ID"))
        #expect(detail.contains("POST /api/v1/deployments"))
        #expect(!detail.contains("known good"))
        #expect(EscalationReason.liveUnknown.rawValue == "live_unknown")
        #expect(!EscalationReason.liveUnknown.sentence.contains("known-good"))
    }

    /// The assessment is a pure function of the world; the order in which the snapshots are listed
    /// is not part of the world, so it must not change the decision.
    @Test("the decision does not depend on the order the services are listed in")
    func orderIndependent() {
        let frontendCooling = S.snapshot(
            "frontend", [("v1", .knownGood), ("v2", .suspect)], rollbacks: [S.minutes(-5)])
        let violation = S.violation("backend", .healthCritical)
        let workerFirst = Assessment.decide(
            violation: violation, policy: Policy(), services: [Self.workerSuspect, frontendCooling, Self.backendGood],
            now: Fixture.base)
        let frontendFirst = Assessment.decide(
            violation: violation, policy: Policy(), services: [frontendCooling, Self.workerSuspect, Self.backendGood],
            now: Fixture.base)
        #expect(
            ExpectedDecision.of(workerFirst)
                == .rollback(.immediate, targets: ["worker": "worker-v1"], skipped: ["frontend"]))
        #expect(ExpectedDecision.of(frontendFirst) == ExpectedDecision.of(workerFirst))
    }
}

@Suite("Assessment.decideManual: an operator asked")
struct ManualDecisionTests {
    typealias S = Fixture
    static let backend = S.snapshot("backend", [("v1", .knownGood), ("v2", .bad), ("v3", .suspect)])

    @Test(
        "decision table",
        arguments: [
            ("backend-v2", ExpectedDecision.rollback(.fast, targets: ["backend": "backend-v2"])),  // --to by id
            ("v1", .rollback(.fast, targets: ["backend": "backend-v1"])),  // --to by version
            ("backend-v3", .ignore),  // the live one
            ("v3", .ignore),
            ("v9", .ignore),  // unknown
        ] as [(String, ExpectedDecision)])
    func explicitTarget(requested: String, expected: ExpectedDecision) {
        let decision = Assessment.decideManual(service: "backend", to: requested, services: [Self.backend])
        #expect(ExpectedDecision.of(decision) == expected, "\(decision)")
    }

    @Test("without --to: the newest known good before the live one")
    func defaultTarget() {
        let decision = Assessment.decideManual(service: "backend", to: nil, services: [Self.backend])
        #expect(ExpectedDecision.of(decision) == .rollback(.fast, targets: ["backend": "backend-v1"]))
    }

    @Test("without --to and no known good: escalate")
    func noKnownGood() {
        let backend = S.snapshot("backend", [("v1", .bad), ("v2", .suspect)])
        let decision = Assessment.decideManual(service: "backend", to: nil, services: [backend])
        #expect(ExpectedDecision.of(decision) == .escalate(.noKnownGoodTarget))
        // Naming the target works even then.
        let named = Assessment.decideManual(service: "backend", to: "v1", services: [backend])
        #expect(ExpectedDecision.of(named) == .rollback(.fast, targets: ["backend": "backend-v1"]))
    }

    @Test("cooldown and storm cap do not apply to people")
    func safetyLimitsDoNotApply() {
        let backend = S.snapshot(
            "backend", [("v1", .knownGood), ("v2", .suspect)],
            rollbacks: [S.minutes(-50), S.minutes(-30), S.minutes(-1)])
        let decision = Assessment.decideManual(service: "backend", to: nil, services: [backend])
        #expect(ExpectedDecision.of(decision) == .rollback(.fast, targets: ["backend": "backend-v1"]))
    }

    /// `--to` names only deployments Rewind saw on the platform: live at some time, listed by the
    /// platform, or carrying a verdict only a live deployment earns. One that was only ever reported
    /// (recorded by someone with the API token, never live, never listed) is refused.
    @Test(
        "--to: only deployments Rewind saw live or the platform listed",
        arguments: [
            ("reported only", false, false, ExpectedDecision.ignore),
            ("was live", true, false, .rollback(.fast, targets: ["backend": "backend-v2"])),
            ("listed by the platform", false, true, .rollback(.fast, targets: ["backend": "backend-v2"])),
        ] as [(String, Bool, Bool, ExpectedDecision)])
    func explicitTargetMustBeVouchedFor(name: String, wasLive: Bool, listed: Bool, expected: ExpectedDecision) {
        var backend = S.snapshot("backend", [("v1", .knownGood), ("v2", .suspect), ("v3", .suspect)])
        backend.deployments[1].wasLive = wasLive
        backend.deployments[1].listed = listed
        let decision = Assessment.decideManual(service: "backend", to: "v2", services: [backend])
        #expect(ExpectedDecision.of(decision) == expected, "\(name): \(decision)")
        if case .ignore(let reason) = decision {
            #expect(reason.contains("never live") && reason.contains("listed"), "\(reason)")
        }
        // --force does not widen it.
        let forced = Assessment.decideManual(service: "backend", to: "v2", services: [backend], force: true)
        #expect(ExpectedDecision.of(forced) == expected)
    }

    @Test("a service in an incident, an unwatched one, or one with no live deployment is refused")
    func refusals() {
        let busy = S.snapshot("backend", [("v1", .knownGood), ("v2", .suspect)], inIncident: true)
        #expect(ExpectedDecision.of(Assessment.decideManual(service: "backend", to: "v1", services: [busy])) == .ignore)
        #expect(ExpectedDecision.of(Assessment.decideManual(service: "payments", to: nil, services: [busy])) == .ignore)
        let unknownLive = ServiceSnapshot(name: "backend", current: nil)
        #expect(
            ExpectedDecision.of(Assessment.decideManual(service: "backend", to: nil, services: [unknownLive]))
                == .escalate(.noKnownGoodTarget))
    }
}

@Suite("RollbackTarget and BakeRule")
struct TargetAndBakeTests {
    typealias S = Fixture

    @Test("the target is the newest known good that went live before the current one")
    func newestKnownGoodBeforeCurrent() {
        let v1 = S.deployment("backend", "v1", at: S.minutes(-300), .knownGood)
        let v2 = S.deployment("backend", "v2", at: S.minutes(-200), .knownGood)
        let v3 = S.deployment("backend", "v3", at: S.minutes(-100), .bad)
        let current = S.deployment("backend", "v4", at: S.minutes(-50), .suspect)
        #expect(RollbackTarget.select(current: current, from: [v3, current, v1, v2]) == v2)
    }

    @Test("known-good deployments newer than the current one are ignored")
    func ignoresNewer() {
        // After a rollback to v2, v3 (known good, newer) must not be picked as "the target".
        let v1 = S.deployment("backend", "v1", at: S.minutes(-300), .knownGood)
        let current = S.deployment("backend", "v2", at: S.minutes(-200), .suspect)
        let v3 = S.deployment("backend", "v3", at: S.minutes(-100), .knownGood)
        #expect(RollbackTarget.select(current: current, from: [v1, current, v3]) == v1)
        #expect(RollbackTarget.select(current: current, from: [current, v3]) == nil)
    }

    @Test("the current deployment is never its own target, even when known good")
    func notItself() {
        let v1 = S.deployment("backend", "v1", at: S.minutes(-300), .knownGood)
        let current = S.deployment("backend", "v2", at: S.minutes(-200), .knownGood)
        #expect(RollbackTarget.select(current: current, from: [v1, current]) == v1)
        #expect(RollbackTarget.select(current: current, from: [current]) == nil)
    }

    @Test("suspect and bad deployments are never targets")
    func onlyKnownGood() {
        let current = S.deployment("backend", "v3", at: S.minutes(-10), .suspect)
        let history = [
            S.deployment("backend", "v1", at: S.minutes(-300), .bad),
            S.deployment("backend", "v2", at: S.minutes(-200), .suspect),
        ]
        #expect(RollbackTarget.select(current: current, from: history + [current]) == nil)
    }

    static let deployedAt = Fixture.minutes(-120)
    static let bake = Duration.seconds(3600)

    @Test(
        "becomes known good exactly at the end of the bake, with no violation since it went live",
        arguments: [
            // (ms after deployment, last violation relative to deployment in ms or nil, trust, expected)
            (Int64(3_600_000), Int64?.none, DeploymentTrust.suspect, true),  // exactly at bake
            (3_599_999, nil, .suspect, false),  // one millisecond early
            (7_200_000, nil, .suspect, true),
            (7_200_000, 600_000, .suspect, false),  // a violation after it went live
            (7_200_000, 0, .suspect, false),  // a violation the moment it went live
            (7_200_000, -1, .suspect, true),  // a violation of the previous deployment
            (7_200_000, nil, .knownGood, false),  // already known good
            (7_200_000, nil, .bad, false),  // bad stays bad
        ])
    func bakeRule(elapsed: Int64, violationOffset: Int64?, trust: DeploymentTrust, expected: Bool) {
        let deployment = Fixture.deployment("backend", "v2", at: Self.deployedAt, trust)
        let lastViolation = violationOffset.map { Self.deployedAt + .milliseconds($0) }
        let now = Self.deployedAt + .milliseconds(elapsed)
        #expect(
            BakeRule.becomesKnownGood(
                deployment, liveSince: Self.deployedAt, lastViolation: lastViolation, bake: Self.bake, now: now)
                == expected)
        // Built long before it went live: the bake still counts from going live.
        var old = deployment
        old.deployedAt = Self.deployedAt - .seconds(86_400)
        #expect(
            BakeRule.becomesKnownGood(
                old, liveSince: Self.deployedAt, lastViolation: lastViolation, bake: Self.bake, now: now)
                == expected)
    }

    @Test("a snapshot is suspect while its live deployment is not known good")
    func suspect() {
        #expect(Fixture.snapshot("a", [("v1", .suspect)]).isSuspect)
        #expect(Fixture.snapshot("a", [("v1", .bad)]).isSuspect)
        #expect(!Fixture.snapshot("a", [("v1", .knownGood)]).isSuspect)
        #expect(!ServiceSnapshot(name: "a", current: nil).isSuspect)
    }
}
