import AsyncHTTPClient
import Foundation
import MetricsTestKit
import RewindCore
import RewindEngine
import RewindPorts
import RewindReplay
import RewindSignals
import RewindTestSupport
import Synchronization
import Testing

/// Early warnings, live and replayed: the worker's p95 latency (recorded in `Fixtures/replay/worker-latency.json`,
/// with the same hour of the week before as its baseline) leaves its usual 0.2 s when v2 goes live and crosses
/// the 1 s threshold 40 s later. The engine and replay read the baseline through the same real client and
/// `PrometheusBaselineReader` from the loopback emulator, and must warn alike.
extension ReplayAgreementTests {
    static let latencyQuery =
        #"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}"}[1m])))"#

    /// The worker alone, with its health check and a latency signal every 10 s (> 1 s twice in a row fires), early warnings on as shipped, and a
    /// `collector` channel that subscribes to `early_warning`. Deployments bake in 5 minutes.
    static func earlyWarningPolicy() -> Policy {
        var policy = Fixture.policy(bake: .seconds(300))
        policy.services.removeFirst()  // the worker alone
        var signal = Fixture.signal(.latencyP95, name: "latency_p95")
        signal.source = .prometheus(query: latencyQuery)
        policy.services[0].signals = [signal]
        policy.notifications.routes[.earlyWarning] = ["collector"]
        policy.verification.performance.duration = .seconds(30)
        return policy
    }

    static func recordedLatency() throws -> [PrometheusEmulator.Point] {
        try recordedPoints("worker-latency.json")
    }

    @Test("an early warning comes 40 s before the threshold fires: the engine and replay warn alike")
    func replayWarnsAsTheEngineDoes() async throws {
        let points = try Self.recordedLatency()
        let emulator = PrometheusEmulator()
        emulator.setRange(
            PromQLTemplate.render(Self.latencyQuery, ["service": Fixture.worker.rawValue]),
            [.init([:], points: points)])
        let server = PrometheusEmulatorServer(emulator: emulator)
        try await withLoopbackServices([server], client: HTTPHealthProber.makeHTTPClient()) { http in
            let base = await server.endpoint()
            let client = PrometheusClient(baseURL: base, client: http, timeout: .seconds(10))
            try await Harness.with { h in
                let policy = Self.earlyWarningPolicy()
                var dependencies = h.makeDependencies(
                    policy: policy, metricSource: RecordedPrometheus(client: client, points: points))
                let start = h.clock.now
                // The engine's baseline is read through the real client before the run, for v2's go-live at
                // +90 s, and served from memory: a scenario on the manual clock waits for no network.
                let signal = try #require(policy.services.first { $0.name == Fixture.worker }?.signals.first)
                let baselines = RecordedBaselines()
                baselines.record(
                    await PrometheusBaselineReader(client: client, redactor: Redactor()).baseline(
                        of: signal, service: Fixture.worker, liveAt: start + .seconds(90)),
                    service: Fixture.worker, signal: signal.name)
                dependencies.baselineSource = baselines
                let engine = RewindEngine(dependencies)
                // worker v1: deployed two hours ago, known good for an hour.
                let v1 = Deployment(
                    service: Fixture.worker, id: Fixture.id(Fixture.worker, "v1"), version: "v1",
                    deployedAt: start - .seconds(7200), trust: .knownGood, knownGoodAt: start - .seconds(3600))
                try await h.sqlite.recordDeployment(v1, makeLive: true)
                h.world.deploy(v1, health: .healthy)
                var deployed = [
                    ReplayDeployment(service: Fixture.worker, id: v1.id, version: "v1", at: v1.deployedAt)
                ]
                try await h.run(engine, policy: policy) { run in
                    func deploy(_ version: String) async throws {
                        let deployment = try await run.deploy(Fixture.worker, version, health: .healthy)
                        deployed.append(
                            ReplayDeployment(
                                service: Fixture.worker, id: deployment.id, version: version,
                                at: deployment.deployedAt))
                    }
                    await run.settle()
                    try await run.advance(by: .seconds(90))
                    try await deploy("v2")
                    // +150 s: warned at +140 s, not yet rolled back — the signal's status carries the warning.
                    try await run.advance(by: .seconds(60))
                    let shown = engine.signalStatuses.first { $0.signal == "latency_p95" }?.earlyWarning
                    #expect(shown?.at == start + .seconds(140))
                    #expect(shown?.deploymentID == Fixture.id(Fixture.worker, "v2"))
                    try await run.advance(by: .seconds(180))
                    // v1 (known good) is live again: nothing to warn about on it.
                    #expect(engine.signalStatuses.allSatisfy { $0.earlyWarning == nil })
                }
                let end = h.clock.now
                let liveWarnings = h.events.all.compactMap { event -> EarlyWarning? in
                    if case .earlyWarning(let warning) = event { return warning }
                    return nil
                }
                // Live: one warning on v2 at +140 s (three evaluations beyond 3.5 robust z), before the rollback.
                let warning = try #require(liveWarnings.first)
                #expect(liveWarnings.count == 1)
                #expect(warning.deploymentID == Fixture.id(Fixture.worker, "v2"))
                #expect(warning.at == start + .seconds(140))
                #expect(warning.baselineOrigin == "past_weeks")
                #expect(warning.median == 0.2)
                #expect(abs(warning.mad - 0.005) < 1e-12)
                #expect(warning.baselineSamples == 360)
                #expect(abs(warning.z - (0.5 - 0.2) / (1.4826 * 0.005)) < 1e-6)  // 40.5
                #expect(h.events.violations.map(\.at) == [start + .seconds(180)])
                #expect(h.world.rollbackCalls.map(\.target) == [Fixture.id(Fixture.worker, "v1")])
                // A notice to the subscribing channel, about no incident; counted by service and signal.
                let notices = h.notifier.notices.filter { $0.kind == .earlyWarning }
                #expect(notices.count == 1)
                #expect(notices.first?.incidentID == Notice.noIncidentID)
                #expect(notices.first?.evidence.first?.contains("latency_p95") == true)
                #expect(
                    h.metrics.counterTotal(
                        label: "rewind_early_warnings_total",
                        dimensions: [("service", "worker"), ("signal", "latency_p95")]) == 1)
                // The baseline is read once for v2 (v1 is known good: never watched), not every evaluation.
                #expect(baselines.reads == 1)

                // Replay: the same history and baselines through the real client.
                let history = try await ReplayHistory.assemble(
                    policy: policy, deployments: deployed, probes: [], prometheus: SignalHistory(client: client),
                    from: start, to: end)
                let replayed = Replay.run(policy: policy, history: history, from: start, to: end)
                #expect(replayed.earlyWarnings == liveWarnings)
                #expect(replayed.decisions.map(\.violation) == h.events.violations)
                let v2 = try #require(replayed.deployments.first { $0.deployment.id == warning.deploymentID })
                #expect(v2.outcome == .rolledBack)
                #expect(v2.warnedAt == start + .seconds(140))
                #expect(v2.warningLead == .seconds(40))
            }
            try await http.shutdown()
        }
    }
}
