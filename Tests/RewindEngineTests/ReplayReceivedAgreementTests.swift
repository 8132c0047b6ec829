import AsyncHTTPClient
import RewindCore
import RewindEngine
import RewindPorts
import RewindReplay
import RewindSignals
import RewindStoreSQLite
import Testing

/// `rewind replay` decides on what the daemon received as the daemon did: the engine runs on the manual clock with
/// the daemon's own metric source (``CompositeMetricSource``, whose `pushed:` windows need no network), is sent
/// pushed values and Alertmanager alerts, and keeps them in its state; replay then reads that state and must take
/// exactly the engine's decisions.
@Suite("Replay agrees with the live engine on received alerts and pushed values", .timeLimit(.minutes(2)))
struct ReplayReceivedAgreementTests {
    /// backend and worker, each with a health check that stays healthy (the live verification needs one; replay is
    /// given no probes, and healthy probes decide nothing); backend watches a pushed queue backlog (above 1000, two
    /// evaluations in a row, every 10 s over 60 s). Deployments bake in 60 s.
    static func policy() -> Policy {
        var policy = Fixture.policy(bake: .seconds(60))
        var queue = Fixture.signal(.queueBacklog, name: "queue")
        queue.source = .pushed(signal: "queue")
        policy.services[0].signals = [queue]
        policy.verification.performance.duration = .seconds(30)
        return policy
    }

    @Test("a backlog pushed above its threshold rolls backend back, a critical alert rolls worker back: same decisions")
    func replayTakesTheEnginesDecisions() async throws {
        let policy = Self.policy()
        try await Harness.with { h in
            let source = CompositeMetricSource(policy: policy, client: HTTPClient.shared, redactor: Redactor())
            let engine = RewindEngine(h.makeDependencies(policy: policy, metricSource: source))
            let start = h.clock.now
            var deployed: [ReplayDeployment] = []
            try await h.run(engine, policy: policy) { run in
                func deploy(_ service: ServiceName, _ version: String) async throws {
                    let deployment = try await run.deploy(service, version, health: .healthy)
                    deployed.append(
                        ReplayDeployment(
                            service: service, id: deployment.id, version: version, at: deployment.deployedAt))
                }
                /// Pushed between two evaluations (every 10 s from the start), as an application pushes.
                func push(_ values: [Double]) {
                    #expect((h.clock.now - start).milliseconds % 10_000 != 0)
                    run.engine.receive(
                        pushed: values.map {
                            PushedValue(service: Fixture.backend, signal: "queue", value: $0, at: h.clock.now)
                        })
                }
                await run.settle()
                try await deploy(Fixture.backend, "v1")
                try await deploy(Fixture.worker, "v1")
                try await run.advance(by: .seconds(90))
                // Backend v2: its backlog is pushed above 1000 twice, then it drains (the mean falls back under).
                try await deploy(Fixture.backend, "v2")
                try await run.advance(by: .milliseconds(500))
                push([5000])
                try await run.advance(by: .seconds(10))
                push([4000, 6000])
                try await run.advance(by: .seconds(10))
                push(Array(repeating: 0, count: 200))
                try await run.advance(by: .seconds(120))
                // Worker v2: Alertmanager sends a critical latency alert, and a warning that triggers nothing.
                try await deploy(Fixture.worker, "v2")
                try await run.advance(by: .milliseconds(1500))
                run.engine.receive(alerts: [
                    ExternalAlert(
                        origin: .alertmanager, service: Fixture.worker, category: .performance, severity: .critical,
                        name: "WorkerLatencyHigh", firing: true, at: h.clock.now - .seconds(30),
                        fingerprint: "4f1c2b", summary: "p95 above 3s"),
                    ExternalAlert(
                        origin: .alertmanager, service: Fixture.backend, category: .performance, severity: .low,
                        name: "BackendSlightlySlow", firing: true, at: h.clock.now, fingerprint: "77aa01"),
                ])
                try await run.advance(by: .seconds(120))
                try await run.advance(until: "what was received is kept") {
                    try await h.sqlite.receivedEvents(from: start, to: h.clock.now).count == 205
                }
            }
            let end = h.clock.now
            let liveViolations = h.events.violations
            let liveDecisions = h.events.all.compactMap { event -> Decision? in
                if case .decision(_, let decision) = event { return decision }
                return nil
            }
            #expect(liveViolations.map(\.service) == [Fixture.backend, Fixture.worker])
            #expect(liveViolations.map(\.trigger) == [.throughput, .performance])
            #expect(liveDecisions.count == 2)
            #expect(
                h.world.rollbackCalls.map(\.target) == [
                    Fixture.id(Fixture.backend, "v1"), Fixture.id(Fixture.worker, "v1"),
                ])

            // Replay: the deployments, and what the state kept (from one window before the period, as the command reads).
            let received = try await h.sqlite.receivedEvents(
                from: start - PushedValueHistory.longestWindow(of: policy), to: end)
            #expect(received.alerts.map(\.alert.name) == ["WorkerLatencyHigh", "BackendSlightlySlow"])
            let history = try await ReplayHistory.assemble(
                policy: policy, deployments: deployed, probes: nil, prometheus: nil, received: received, from: start,
                to: end)
            #expect(!history.notReplayed.contains { $0.contains("queue") })
            let replayed = Replay.run(policy: policy, history: history, from: start, to: end)
            #expect(replayed.decisions.map(\.violation) == liveViolations)
            #expect(replayed.decisions.map(\.decision) == liveDecisions)
            #expect(
                replayed.deployments.map { "\($0.deployment.id) \($0.outcome.rawValue)" } == [
                    "backend-v1 kept", "worker-v1 kept", "backend-v2 rolled_back", "worker-v2 rolled_back",
                ])

            // Without what the state kept (--deployments), the pushed signal is listed as not replayed and nothing fires.
            let without = try await ReplayHistory.assemble(
                policy: policy, deployments: deployed, probes: nil, prometheus: nil, from: start, to: end)
            #expect(without.notReplayed.contains { $0.hasPrefix("backend/queue:") })
            #expect(Replay.run(policy: policy, history: without, from: start, to: end).decisions.isEmpty)
        }
    }
}
