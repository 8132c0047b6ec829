import RewindCore
import Testing

/// `Supervisor.reconfigure`: a reloaded policy (`rewind serve` on SIGHUP) in the middle of the machine's life.
@Suite("Supervisor: a reloaded policy")
struct SupervisorReconfigureTests {
    typealias T = SupervisorTests
    typealias S = Fixture
    static let frontend: ServiceName = "frontend"

    @Test(
        "keeps the book, open incidents and firing alerts; adds the new service's page; forgets checks that fired; decides by the new policy"
    )
    func reconfigure() throws {
        var supervisor = T.supervisor()
        // An incident on backend is open, a check of worker and an alert on worker are firing.
        let opening = try #require(T.opening(supervisor.handle(.violation(T.critical()), now: S.base)))
        _ = supervisor.handle(.opened(opening.draft, T.stored(opening, id: 7)), now: S.base)
        var workerCheck = T.critical(T.worker)
        workerCheck.trigger = .healthNonCritical
        _ = supervisor.handle(.violation(workerCheck), now: S.t(1))
        let alert = ExternalAlert(
            origin: .alertmanager, service: T.worker, category: .security, severity: .low, name: "Scan",
            firing: true, at: S.t(2), fingerprint: "w1")
        _ = supervisor.handle(.alert(alert), now: S.t(2))
        #expect(supervisor.isFiring(T.worker, workerCheck.source))
        #expect(supervisor.isFiring(T.worker, TriggerSource(.alert, "w1")))

        var policy = T.policy(mode: .observe)
        policy.services.removeAll { $0.name == T.backend }
        policy.services.append(
            ServicePolicy(
                name: Self.frontend,
                checks: [HealthCheckPolicy(name: "home", url: "http://frontend/", severity: .critical)]))
        let f1 = S.deployment(Self.frontend, "v1", at: S.minutes(-150), .knownGood)
        let pages: [ServiceName: DeploymentBook.Page] = [
            Self.frontend: .init(deployments: [f1], liveID: f1.id),
            // A page for a service the book already has is not taken: the book's is newer.
            T.worker: .init(deployments: [], liveID: nil),
        ]
        supervisor.reconfigure(policy: policy, trafficControlled: [], pages: pages)

        #expect(supervisor.policy.mode == .observe)
        #expect(supervisor.book.live(Self.frontend) == f1)
        #expect(supervisor.book.live(T.worker) == T.w1)
        #expect(supervisor.book.live(T.backend)?.id == T.v2.id, "a dropped service keeps its page")
        #expect(supervisor.incidents[7] == [T.backend], "the open incident stays")
        #expect(supervisor.isInIncident(T.backend))
        #expect(!supervisor.isFiring(T.worker, workerCheck.source), "watchers start afresh")
        #expect(supervisor.isFiring(T.worker, TriggerSource(.alert, "w1")))
        #expect(supervisor.snapshots().map(\.name) == [T.worker, Self.frontend])

        // Decisions follow the new policy: backend is no longer watched, frontend is.
        let refused = supervisor.handle(
            .manualRollback(ManualRollbackRequest(service: T.backend, to: nil, reason: "r"), RequestID(1)), now: S.t(3))
        #expect(
            refused.contains { if case .reply(_, .refused(code: "unknown_service", _)) = $0 { true } else { false } })
        let known = supervisor.handle(
            .manualRollback(ManualRollbackRequest(service: Self.frontend, to: nil, reason: "r"), RequestID(2)),
            now: S.t(4))
        #expect(
            !known.contains { if case .reply(_, .refused(code: "unknown_service", _)) = $0 { true } else { false } })

        // The incident opened under the old policy still closes normally.
        var closed = T.stored(opening, id: 7)
        closed.status = .completed
        closed.closedAt = S.t(5)
        _ = supervisor.handle(.incidentClosed(closed), now: S.t(5))
        #expect(!supervisor.isInIncident(T.backend))
    }
}
