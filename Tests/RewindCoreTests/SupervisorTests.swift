import RewindCore
import Testing

/// The supervisor, event by event: what each event decides, which actions come out, and what the
/// machine then holds. No engine, store or clock: time is the `now` each event comes with.
@Suite("Supervisor: event by event")
struct SupervisorTests {
    typealias S = Fixture

    static let backend: ServiceName = "backend"
    static let worker: ServiceName = "worker"

    static func policy(
        mode: Mode = .enforce, safety: SafetyLimits = .init(), failureAfter: Duration = .seconds(120)
    ) -> Policy {
        Policy(
            mode: mode,
            services: [
                ServicePolicy(
                    name: backend,
                    checks: [HealthCheckPolicy(name: "health", url: "http://backend/health", severity: .critical)]),
                ServicePolicy(
                    name: worker,
                    checks: [HealthCheckPolicy(name: "health", url: "http://worker/health", severity: .nonCritical)]),
            ],
            safety: safety, monitoring: MonitoringPolicy(failureAfter: failureAfter))
    }

    static let v1 = S.deployment(backend, "v1", at: S.minutes(-150), .knownGood)
    static let v2 = S.deployment(backend, "v2", at: S.minutes(-30), .suspect)
    static let w1 = S.deployment(worker, "v1", at: S.minutes(-150), .knownGood)

    /// backend: v1 known good, v2 suspect and live. worker: v1 known good and live.
    static func book(backendLive: Deployment = v2, rollbacks: [Timestamp] = []) -> DeploymentBook {
        DeploymentBook(pages: [
            backend: .init(deployments: [v1, v2], liveID: backendLive.id, automaticRollbacks: rollbacks),
            worker: .init(deployments: [w1], liveID: w1.id),
        ])
    }

    static func supervisor(policy: Policy = policy(), book: DeploymentBook = book()) -> Supervisor {
        Supervisor(policy: policy, book: book)
    }

    static func critical(_ service: ServiceName = backend, at: Timestamp = S.base) -> Violation {
        Violation(
            service: service, trigger: .healthCritical, severity: .critical, at: at,
            rule: "health: 3 consecutive within 2m",
            evidence: [Evidence(at: at, check: "health", result: "HTTP 503", latencyMs: 3)])
    }

    static func opening(_ actions: [SupervisorAction]) -> IncidentOpening? {
        actions.lazy.compactMap { if case .open(let opening) = $0 { opening } else { nil } }.first
    }

    /// The incident as the store would give it back, with an id.
    static func stored(_ opening: IncidentOpening, id: Int64) -> Incident {
        var incident = opening.incident
        incident.id = id
        return incident
    }

    // MARK: - Violations

    @Test(
        "a critical violation on a suspect service: one immediate rollback opens, holding the service, v2 marked bad with it"
    )
    func violationOpensRollback() throws {
        var supervisor = Self.supervisor()
        let actions = supervisor.handle(.violation(Self.critical()), now: S.base)
        let opening = try #require(Self.opening(actions))
        #expect(actions.count == 1)
        guard case .rollback(let plan, let choices, _, _, let forced) = opening.kind else {
            Issue.record("expected a rollback, got \(opening.kind)")
            return
        }
        #expect(plan.strategy == .immediate)
        #expect(choices.map(\.to.id) == [Self.v1.id])
        #expect(!forced)
        #expect(opening.ledger == [.trust(service: Self.backend, deploymentID: Self.v2.id, .bad, at: S.base)])
        #expect(opening.escalations == [.rollbackStarted(.healthCritical, .critical)])
        #expect(opening.incident.status == .open && opening.incident.id == 0)
        #expect(supervisor.isInIncident(Self.backend))
        #expect(supervisor.isFiring(Self.backend, TriggerSource(.check, "health")))
        // Until the store answers, the book is unchanged: v2 is still suspect.
        #expect(supervisor.book.live(Self.backend)?.trust == .suspect)

        let incident = Self.stored(opening, id: 7)
        #expect(supervisor.handle(.opened(opening.draft, incident), now: S.t(1)) == [.run(incident, resume: false)])
        #expect(supervisor.incidents == [7: [Self.backend]])
        #expect(supervisor.book.live(Self.backend)?.trust == .bad)
    }

    @Test("a second violation while the service's incident is open: the decision is ignore, and nothing new opens")
    func violationDuringIncident() throws {
        var supervisor = Self.supervisor()
        let opening = try #require(Self.opening(supervisor.handle(.violation(Self.critical()), now: S.base)))
        _ = supervisor.handle(.opened(opening.draft, Self.stored(opening, id: 1)), now: S.base)
        let again = supervisor.handle(.violation(Self.critical(at: S.t(5))), now: S.t(5))
        #expect(again == [.note(.ignored(Self.critical(at: S.t(5)), reason: "backend is already in an open incident"))])
        #expect(Self.opening(again) == nil)
    }

    @Test("the same violation while the first incident is still being recorded: ignored too (no double rollback)")
    func violationWhileOpening() {
        var supervisor = Self.supervisor()
        _ = supervisor.handle(.violation(Self.critical()), now: S.base)
        let again = supervisor.handle(.violation(Self.critical(at: S.t(1))), now: S.t(1))
        #expect(again.count == 2)
        #expect(
            again.contains(.note(.ignored(Self.critical(at: S.t(1)), reason: "backend is already in an open incident")))
        )
        #expect(Self.opening(again) == nil)
    }

    @Test("a violation on a known-good service with nothing suspect: escalated (closed at once), holding nothing")
    func violationNotCausedByDeployment() throws {
        var supervisor = Self.supervisor()
        let violation = Violation(
            service: Self.worker, trigger: .healthNonCritical, severity: .high, at: S.base,
            rule: "health: 5 consecutive within 5m",
            evidence: [])
        // backend's v2 is suspect, but fast rollback only looks at the failing service.
        let actions = supervisor.handle(.violation(violation), now: S.base)
        let opening = try #require(Self.opening(actions))
        #expect(
            opening.kind
                == .escalation(
                    .notCausedByDeployment, detail: "worker runs v1 (worker-v1), known good; no service is suspect"))
        #expect(opening.closesAtOnce)
        #expect(opening.incident.status == .escalated && opening.incident.closedAt == S.base)
        #expect(opening.escalations == [.escalatedWithoutRollback(.high)])
        #expect(opening.ledger.isEmpty)
        #expect(!supervisor.isInIncident(Self.worker))
        #expect(supervisor.handle(.opened(opening.draft, Self.stored(opening, id: 3)), now: S.base) == [])
        #expect(supervisor.incidents.isEmpty)
    }

    @Test(
        "a security or critical trigger with nothing to roll back still freezes deployments (the guide's immediate escalation)"
    )
    func escalationFreezes() throws {
        // backend runs known-good v1: nothing is suspect.
        var supervisor = Self.supervisor(book: Self.book(backendLive: Self.v1))
        let critical = try #require(Self.opening(supervisor.handle(.violation(Self.critical()), now: S.base)))
        #expect(critical.closesAtOnce && critical.freeze == .seconds(3600))
        let security = ExternalAlert(
            origin: .pushed, service: Self.backend, category: .security, severity: .high, name: "breach_indicator",
            firing: true,
            at: S.t(1), fingerprint: "pushed/breach_indicator")
        let breach = try #require(Self.opening(supervisor.handle(.alert(security), now: S.t(1))))
        #expect(breach.closesAtOnce && breach.freeze == .seconds(3600))
        #expect(breach.escalations.contains(.securityTrigger))
        let degraded = Violation(
            service: Self.worker, trigger: .healthNonCritical, severity: .high, at: S.t(2),
            rule: "health: 5 consecutive within 5m",
            evidence: [])
        let quiet = try #require(Self.opening(supervisor.handle(.violation(degraded), now: S.t(2))))
        #expect(quiet.closesAtOnce && quiet.freeze == nil)
    }

    @Test("cooldown and storm cap come from the book: a rollback reported by a runner blocks the next one")
    func cooldownFromBook() throws {
        var supervisor = Self.supervisor()
        let opening = try #require(Self.opening(supervisor.handle(.violation(Self.critical()), now: S.base)))
        let incident = Self.stored(opening, id: 1)
        _ = supervisor.handle(.opened(opening.draft, incident), now: S.base)
        _ = supervisor.handle(
            .rolledBack(service: Self.backend, from: Self.v2.id, to: Self.v1.id, automatic: true, at: S.t(10)),
            now: S.t(10))
        var closed = incident
        closed.status = .completed
        closed.closedAt = S.t(30)
        _ = supervisor.handle(.incidentClosed(closed), now: S.t(30))
        #expect(supervisor.book.live(Self.backend)?.id == Self.v1.id)
        #expect(supervisor.book.automaticRollbacks(of: Self.backend) == [S.t(10)])

        // v3 goes live and fails five minutes later: inside the 15-minute cooldown.
        let v3 = Deployment(service: Self.backend, id: "backend-v3", version: "v3", deployedAt: S.t(60))
        let reported = supervisor.handle(.deploymentReported(v3, RequestID(1)), now: S.t(60))
        var v3Live = v3
        v3Live.wasLive = true
        #expect(reported == [.record([.deployment(v3Live, makeLive: true)], because: .reported, reply: RequestID(1))])
        #expect(
            supervisor.handle(.recorded([.deployment(v3, makeLive: true)]), now: S.t(60)) == [
                .resetTriggers(Self.backend, generation: 1)
            ])
        let cooled = try #require(
            Self.opening(supervisor.handle(.violation(Self.critical(at: S.t(300))), now: S.t(300))))
        guard case .escalation(.cooldown, _) = cooled.kind else {
            Issue.record("expected a cooldown escalation, got \(cooled.kind)")
            return
        }
        #expect(cooled.ledger == [.trust(service: Self.backend, deploymentID: v3.id, .bad, at: S.t(300))])
    }

    @Test("the storm cap: three automatic rollbacks in the last hour, the fourth escalates")
    func stormCap() throws {
        let rollbacks = [S.minutes(-59), S.minutes(-45), S.minutes(-20)]
        var supervisor = Self.supervisor(book: Self.book(rollbacks: rollbacks))
        let opening = try #require(Self.opening(supervisor.handle(.violation(Self.critical()), now: S.base)))
        guard case .escalation(let reason, _) = opening.kind else {
            Issue.record("expected an escalation, got \(opening.kind)")
            return
        }
        #expect(reason == .stormCap)
    }

    @Test("observe mode: the plan is opened (it is recorded as observed by its runner), with no escalation timers")
    func observeMode() throws {
        var supervisor = Self.supervisor(policy: Self.policy(mode: .observe))
        let opening = try #require(Self.opening(supervisor.handle(.violation(Self.critical()), now: S.base)))
        #expect(opening.incident.mode == .observe)
        #expect(opening.escalations.isEmpty)
    }

    // MARK: - Recording failures

    @Test(
        "an incident the store refuses is retried with backoff, pages directly after 3 tries, and stops once the trigger recovers"
    )
    func openingFailedRetries() throws {
        var supervisor = Self.supervisor()
        var now = S.base
        var opening = try #require(Self.opening(supervisor.handle(.violation(Self.critical()), now: now)))
        var waits: [Duration] = []
        for attempt in 1...4 {
            let failed = supervisor.handle(.openingFailed(opening.draft, reason: "database is locked"), now: now)
            let retryAt = try #require(supervisor.nextRetryAt)
            waits.append(retryAt - now)
            #expect(
                failed.contains(
                    .note(
                        .recordRetry(Self.critical(), attempt: attempt, retryAt: retryAt, reason: "database is locked"))
                ))
            #expect(
                failed.contains(.unrecorded(Self.critical(), attempts: 3, reason: "database is locked"))
                    == (attempt == 3))
            // Nothing is held while the violation waits: not the service, not the bad mark.
            #expect(!supervisor.isInIncident(Self.backend))
            #expect(supervisor.book.live(Self.backend)?.trust == .suspect)
            #expect(supervisor.handle(.tick, now: retryAt - .milliseconds(1)).isEmpty)
            now = retryAt
            opening = try #require(Self.opening(supervisor.handle(.tick, now: now)))
        }
        #expect(waits == [.seconds(1), .seconds(2), .seconds(4), .seconds(8)])
        _ = supervisor.handle(.openingFailed(opening.draft, reason: "database is locked"), now: now)
        _ = supervisor.handle(.recovered(Self.backend, TriggerSource(.check, "health")), now: now)
        #expect(supervisor.nextRetryAt == nil)
        #expect(supervisor.handle(.tick, now: now + .seconds(60)).isEmpty)
    }

    // MARK: - Alerts

    @Test("alerts: a firing alert decides once, repeats are notes, a repeat after its incident closed fires again")
    func alerts() throws {
        var supervisor = Self.supervisor()
        let alert = ExternalAlert(
            origin: .alertmanager, service: Self.backend, category: .security, severity: .critical, name: "Breach",
            firing: true,
            at: S.base, fingerprint: "f1")
        let first = supervisor.handle(.alert(alert), now: S.base)
        let opening = try #require(Self.opening(first))
        #expect(opening.incident.trigger == .security)
        #expect(opening.escalations == [.rollbackStarted(.security, .critical), .securityTrigger])
        #expect(supervisor.isFiring(Self.backend, TriggerSource(.alert, "f1")))
        let incident = Self.stored(opening, id: 4)
        _ = supervisor.handle(.opened(opening.draft, incident), now: S.base)
        #expect(supervisor.handle(.alert(alert), now: S.t(30)) == [.note(.alert(alert, .repeated))])

        var closed = incident
        closed.status = .completed
        closed.closedAt = S.t(60)
        _ = supervisor.handle(.incidentClosed(closed), now: S.t(60))
        #expect(!supervisor.isFiring(Self.backend, TriggerSource(.alert, "f1")))
        let again = supervisor.handle(.alert(alert), now: S.t(90))
        #expect(again.contains { if case .note(.alert(_, .fired)) = $0 { true } else { false } })

        var unknown = alert
        unknown.service = "nowhere"
        #expect(supervisor.handle(.alert(unknown), now: S.t(91)) == [.note(.unknownService(unknown))])
    }

    // MARK: - Manual rollbacks

    @Test("manual rollbacks: refused for an unknown service or no target; otherwise opened with the request's reply")
    func manual() throws {
        var supervisor = Self.supervisor(
            book: DeploymentBook(pages: [Self.backend: .init(deployments: [Self.v2], liveID: Self.v2.id)]))
        let unknown = supervisor.handle(
            .manualRollback(ManualRollbackRequest(service: "nowhere", to: nil, reason: "x"), RequestID(1)), now: S.base)
        #expect(
            unknown == [
                .reply(
                    RequestID(1),
                    .refused(
                        code: "unknown_service", message: "nowhere is not a watched service (known: backend, worker)"))
            ])
        let noTarget = supervisor.handle(
            .manualRollback(ManualRollbackRequest(service: Self.backend, to: nil, reason: "x"), RequestID(2)),
            now: S.base)
        guard case .reply(RequestID(2), .refused(code: "no_target", _)) = noTarget.first else {
            Issue.record("expected no_target, got \(noTarget)")
            return
        }

        var book = Self.supervisor()
        let actions = book.handle(
            .manualRollback(
                ManualRollbackRequest(service: Self.backend, to: Self.v1.id, reason: "bad migration", force: true),
                RequestID(3)),
            now: S.base)
        let opening = try #require(Self.opening(actions))
        #expect(opening.reply == RequestID(3))
        #expect(opening.incident.trigger == .manual && opening.incident.reason == "bad migration")
        #expect(opening.escalations.isEmpty)
        guard case .rollback(let plan, _, _, _, let forced) = opening.kind else { return }
        #expect(forced && !plan.verify)
    }

    // MARK: - Deployments

    @Test("a reported deployment is recorded live; once stored its triggers restart, and firing checks are forgotten")
    func reportedDeployment() {
        var supervisor = Self.supervisor()
        _ = supervisor.handle(.violation(Self.critical()), now: S.base)
        let v3 = Deployment(service: Self.backend, id: "backend-v3", version: "v3", deployedAt: S.t(10))
        #expect(supervisor.generation(of: Self.backend) == 0)
        _ = supervisor.handle(.recorded([.deployment(v3, makeLive: true)]), now: S.t(10))
        #expect(supervisor.generation(of: Self.backend) == 1)
        #expect(!supervisor.isFiring(Self.backend, TriggerSource(.check, "health")))
        #expect(supervisor.book.live(Self.backend) == v3)
    }

    @Test(
        "tracking: unknown deployments are learnt, a restoring deployment counts as the one it restores, stale readings are not applied"
    )
    func tracking() {
        var supervisor = Self.supervisor()
        let v3 = PlatformDeployment(id: "backend-v3", version: "v3", createdAt: S.t(-60))
        let report = TrackingReport(
            service: Self.backend, platform: "railway",
            listed: [v3, PlatformDeployment(id: "r-9", restores: Self.v1.id)],
            live: PlatformDeployment(id: "r-9", restores: Self.v1.id), readAt: S.base, generation: 0)
        let learnt = supervisor.handle(.tracked(report), now: S.t(1))
        // Learnt from the listing: listed. Made live by the platform's reading: was live.
        let v3Deployment = Deployment(
            service: Self.backend, id: "backend-v3", version: "v3", deployedAt: S.t(-60), listed: true)
        var v1Live = Self.v1
        v1Live.wasLive = true
        #expect(
            learnt == [
                .record(
                    [.deployment(v3Deployment, makeLive: false), .deployment(v1Live, makeLive: true)],
                    because: .learnt(
                        platform: "railway", newDeployments: ["backend-v3"], live: Self.v1.id, restoredBy: "r-9"),
                    reply: nil)
            ])

        // A reading from before a live change made through the supervisor is stale.
        _ = supervisor.handle(.recorded([.deployment(v3Deployment, makeLive: true)]), now: S.t(2))
        let stale = TrackingReport(
            service: Self.backend, platform: "railway", listed: [], live: PlatformDeployment(id: Self.v2.id),
            readAt: S.t(1), generation: 0)
        #expect(
            supervisor.handle(.tracked(stale), now: S.t(3)) == [
                .note(.staleReading(Self.backend, deploymentID: Self.v2.id))
            ])
        // So is one taken before an incident of the service closed.
        var closed = Incident(
            id: 9, openedAt: S.t(3), services: [Self.backend], trigger: .manual, severity: .high, strategy: .fast,
            status: .completed,
            summary: "")
        closed.closedAt = S.t(20)
        _ = supervisor.handle(.incidentClosed(closed), now: S.t(20))
        let beforeClose = TrackingReport(
            service: Self.backend, platform: "railway", listed: [], live: PlatformDeployment(id: Self.v2.id),
            readAt: S.t(15), generation: 1)
        #expect(
            supervisor.handle(.tracked(beforeClose), now: S.t(21)) == [
                .note(.staleReading(Self.backend, deploymentID: Self.v2.id))
            ])
    }

    // MARK: - Time

    @Test(
        "bake: a suspect live deployment becomes known good after the bake period, unless a trigger of its service fires"
    )
    func bake() {
        var supervisor = Self.supervisor()
        // v2 went live 30 minutes ago; the bake is an hour.
        #expect(supervisor.handle(.tick, now: S.t(29 * 60)).isEmpty)
        let due = S.v2BakedAt
        #expect(
            supervisor.handle(.tick, now: due) == [
                .record(
                    [.trust(service: Self.backend, deploymentID: Self.v2.id, .knownGood, at: due)], because: .baked,
                    reply: nil)
            ])

        var firing = Self.supervisor()
        _ = firing.handle(.violation(Self.critical()), now: S.base)
        #expect(!firing.handle(.tick, now: due).contains { if case .record(_, .baked, _) = $0 { true } else { false } })
    }

    @Test("bake counts from going live: an old deployment the platform makes live bakes an hour later, not at once")
    func bakeFromGoingLive() {
        var supervisor = Self.supervisor(book: Self.book(backendLive: Self.v1))
        // The platform serves v2 again (built 30 minutes before `base`, never known good): a person's rollback.
        let report = TrackingReport(
            service: Self.backend, platform: "vercel", listed: [], live: PlatformDeployment(id: Self.v2.id),
            readAt: S.t(7200), generation: 0)
        let learnt = supervisor.handle(.tracked(report), now: S.t(7200))
        guard case .record(let changes, _, _) = learnt.first else {
            Issue.record("expected a record, got \(learnt)")
            return
        }
        _ = supervisor.handle(.recorded(changes), now: S.t(7200))
        #expect(supervisor.book.live(Self.backend)?.id == Self.v2.id)
        #expect(supervisor.book.liveSince(Self.backend) == S.t(7200))
        // Created 2.5 hours ago, live for a minute: not known good.
        #expect(supervisor.handle(.tick, now: S.t(7260)).isEmpty)
        let baked = supervisor.handle(.tick, now: S.t(7200 + 3600))
        #expect(
            baked == [
                .record(
                    [.trust(service: Self.backend, deploymentID: Self.v2.id, .knownGood, at: S.t(10_800))],
                    because: .baked, reply: nil)
            ])
    }

    @Test(
        "a deployment replaced after a clean bake is known good when it is replaced; one replaced early stays suspect")
    func bakedOnReplacement() {
        // v2 went live 30 minutes before `base`.
        var supervisor = Self.supervisor()
        var v3 = Deployment(service: Self.backend, id: "backend-v3", version: "v3", deployedAt: S.minutes(40))
        v3.wasLive = true  // as the supervisor records a reported deployment
        // Replaced 70 minutes after it went live, between two bake ticks: judged on its live interval.
        let reported = supervisor.handle(.deploymentReported(v3, RequestID(1)), now: S.minutes(40))
        #expect(
            reported == [
                .record(
                    [
                        .trust(service: Self.backend, deploymentID: Self.v2.id, .knownGood, at: S.minutes(40)),
                        .deployment(v3, makeLive: true),
                    ],
                    because: .reported, reply: RequestID(1))
            ])
        guard case .record(let changes, _, _) = reported.first else { return }
        _ = supervisor.handle(.recorded(changes), now: S.minutes(40))
        #expect(supervisor.book.deployment(Self.backend, id: Self.v2.id)?.trust == .knownGood)

        // v3 replaced after 10 minutes: still suspect; v4 rolls back to v2, the newest known good.
        var v4 = Deployment(service: Self.backend, id: "backend-v4", version: "v4", deployedAt: S.minutes(50))
        v4.wasLive = true
        let early = supervisor.handle(.deploymentReported(v4, RequestID(2)), now: S.minutes(50))
        #expect(early == [.record([.deployment(v4, makeLive: true)], because: .reported, reply: RequestID(2))])

        // A service with a firing trigger never bakes on replacement either.
        var firing = Self.supervisor()
        _ = firing.handle(.recovered(Self.worker, TriggerSource(.check, "health")), now: S.base)
        _ = firing.handle(.violation(Self.critical()), now: S.base)
        let whileFiring = firing.handle(.deploymentReported(v3, RequestID(3)), now: S.minutes(40))
        #expect(
            !whileFiring.contains {
                if case .record(let changes, _, _) = $0 {
                    changes.contains { if case .trust(_, _, .knownGood, _) = $0 { true } else { false } }
                } else {
                    false
                }
            })
    }

    @Test("a deployment that goes live during a freeze: recorded, then people told (notify) or rolled back (rollback)")
    func deployedDuringFreeze() throws {
        let freeze = Freeze(until: S.t(3600), reason: "release review", setAt: S.base)
        let v3 = Deployment(service: Self.backend, id: "backend-v3", version: "v3", deployedAt: S.t(60))
        for enforcement in FreezeEnforcement.allCases {
            var policy = Self.policy()
            policy.freezeEnforcement = enforcement
            // backend runs known-good v1.
            var supervisor = Self.supervisor(policy: policy, book: Self.book(backendLive: Self.v1))
            _ = supervisor.handle(.recorded([.freeze(freeze)]), now: S.base)
            _ = supervisor.handle(.deploymentReported(v3, RequestID(1)), now: S.t(60))
            let after = supervisor.handle(.recorded([.deployment(v3, makeLive: true)]), now: S.t(60))
            let opening = try #require(Self.opening(after), "\(enforcement)")
            #expect(opening.incident.trigger == .deployedDuringFreeze)
            #expect(opening.incident.violation?.rule.contains("release review") == true)
            switch enforcement {
            case .notify:
                #expect(
                    opening.kind
                        == .escalation(
                            .deployedDuringFreeze,
                            detail:
                                "v3 (backend-v3) went live on backend while deployments are frozen until \(S.t(3600)) (release review); freeze.enforce is notify, so it stays"
                        ))
                #expect(opening.ledger.isEmpty, "notify never marks the deployment bad")
            case .rollback:
                guard case .rollback(let plan, let choices, _, _, _) = opening.kind else {
                    Issue.record("expected a rollback, got \(opening.kind)")
                    continue
                }
                #expect(plan.strategy == .fast && choices.map(\.to.id) == [Self.v1.id])
            }
        }
        // Without a freeze (or after it ends) nothing happens.
        var unfrozen = Self.supervisor(book: Self.book(backendLive: Self.v1))
        _ = unfrozen.handle(.recorded([.freeze(freeze)]), now: S.base)
        _ = unfrozen.handle(.deploymentReported(v3, RequestID(2)), now: S.t(3601))
        #expect(Self.opening(unfrozen.handle(.recorded([.deployment(v3, makeLive: true)]), now: S.t(3601))) == nil)
    }

    // MARK: - Monitoring

    @Test(
        "monitoring: a source failing for failure_after opens one monitoring-failure incident; its recovery is noted on it"
    )
    func monitoring() throws {
        var supervisor = Self.supervisor()
        #expect(
            supervisor.handle(
                .monitoring(source: "prometheus", ok: false, at: S.base, detail: "refused", services: [Self.backend]),
                now: S.base
            ).isEmpty)
        let actions = supervisor.handle(
            .monitoring(source: "prometheus", ok: false, at: S.t(120), detail: "refused", services: [Self.backend]),
            now: S.t(120))
        let opening = try #require(Self.opening(actions))
        #expect(opening.kind == .monitoringFailure(source: "prometheus", since: S.base, detail: "refused"))
        #expect(opening.incident.services == [Self.backend])
        _ = supervisor.handle(.opened(opening.draft, Self.stored(opening, id: 12)), now: S.t(120))
        #expect(
            supervisor.handle(
                .monitoring(source: "prometheus", ok: false, at: S.t(150), detail: "refused", services: [Self.backend]),
                now: S.t(150)
            ).isEmpty)
        #expect(
            supervisor.handle(
                .monitoring(source: "prometheus", ok: true, at: S.t(180), detail: "", services: [Self.backend]),
                now: S.t(180))
                == [.monitoringRecovered(incidentID: 12, source: "prometheus", after: .seconds(180))])
    }

    // MARK: - Restoring

    @Test("restore: open incidents with a plan resume and hold their services; one without a plan is abandoned")
    func restore() {
        var supervisor = Self.supervisor()
        let plan = Plan(strategy: .fast, steps: [S.step(Self.backend)], freeze: nil)
        let open = Incident(
            id: 2, openedAt: S.base, services: [Self.backend], trigger: .healthCritical, severity: .critical,
            strategy: .fast,
            status: .open, summary: "", plan: plan)
        var planless = open
        planless.id = 3
        planless.plan = nil
        #expect(supervisor.restore(openIncidents: [open, planless]) == [.run(open, resume: true), .abandon(planless)])
        #expect(supervisor.isInIncident(Self.backend))
        #expect(supervisor.incidents == [2: [Self.backend]])
    }

    @Test("the same events give the same decisions: the machine holds nothing but what the events brought")
    func deterministic() {
        let events: [(SupervisorEvent, Timestamp)] = [
            (.violation(Self.critical()), S.base), (.tick, S.t(1)),
            (.recovered(Self.backend, TriggerSource(.check, "health")), S.t(2)),
        ]
        var first = Self.supervisor()
        var second = Self.supervisor()
        for (event, now) in events {
            #expect(first.handle(event, now: now) == second.handle(event, now: now))
        }
        #expect(first == second)
    }
}

extension Fixture {
    /// When the fixtures' suspect v2 (live since 30 minutes before `base`) has baked for an hour.
    static var v2BakedAt: Timestamp { minutes(30) }
}
