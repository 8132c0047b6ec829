import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// The daemon's pruning pass (`retention:`), on the engine's clock.
@Suite("Engine: retention", .timeLimit(.minutes(3)))
struct RetentionTests {
    static func closedIncident(closedAt: Timestamp) -> Incident {
        Incident(
            id: 0, openedAt: closedAt - .seconds(60), closedAt: closedAt, services: [Fixture.backend],
            trigger: .healthCritical,
            severity: .critical, strategy: .immediate, status: .completed, summary: "backend was down")
    }

    @Test("the engine prunes at start and then every interval; open incidents and the live deployments stay")
    func prunesOnSchedule() async throws {
        try await Harness.with { h in
            let seeded = try await h.seedKnownGood()
            let old = try await h.sqlite.createIncident(Self.closedIncident(closedAt: h.clock.now - .seconds(3 * 3600)))
            let recent = try await h.sqlite.createIncident(Self.closedIncident(closedAt: h.clock.now - .seconds(7000)))
            // Older history of backend, all of it before the live v1.
            for index in 1...5 {
                try await h.sqlite.recordDeployment(
                    Deployment(
                        service: Fixture.backend, id: "backend-old\(index)", version: "old\(index)",
                        deployedAt: seeded.backend.deployedAt - .seconds(Int64(100 * index))),
                    makeLive: false)
            }
            var policy = Fixture.policy()
            policy.retention = RetentionPolicy(
                closedIncidents: .seconds(7200), deploymentsPerService: 2, interval: .seconds(600))
            try await h.run(policy: policy) { run in
                try await run.advance(by: .seconds(1))
                #expect(try await h.sqlite.incident(id: old.id) == nil)
                #expect(try await h.sqlite.incident(id: recent.id) != nil)
                // v1 (live, known good) and the newest older one (the previous one not marked bad).
                #expect(
                    try await h.sqlite.deployments(of: Fixture.backend).map(\.id) == ["backend-old1", "backend-v1"])

                // The recent one passes the two hours 200 s later; the next pass, one interval after the first, removes it.
                try await run.advance(by: .seconds(600))
                #expect(try await h.sqlite.incident(id: recent.id) == nil)
                #expect(try await h.sqlite.liveDeployment(of: Fixture.backend)?.id == seeded.backend.id)
                #expect(try await h.sqlite.liveDeployment(of: Fixture.worker)?.id == seeded.worker.id)
            }
        }
    }
}
