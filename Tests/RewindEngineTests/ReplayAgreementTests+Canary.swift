import AsyncHTTPClient
import Foundation
import RewindCore
import RewindEngine
import RewindPorts
import RewindReplay
import RewindSignals
import RewindTestSupport
import Testing

/// The canary judge, live and replayed: the backend's p95 latency per track (recorded in
/// `Fixtures/replay/backend-cohorts-*.json`) — canary v2 30 % slower than stable, then canary v3 like stable.
/// The engine reads the cohorts from memory (pre-read through the real client: a scenario on the manual clock
/// waits for no network); replay fetches them through the same client from the loopback emulator and slices
/// them per look. Both must judge alike, violation for violation.
extension ReplayAgreementTests {
    static let cohortQuery =
        #"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}", track="{{track}}"}[1m])))"#

    static let canarySignal = CanarySignalPolicy(
        name: "latency_p95", measure: .latencyP95, category: .performance, unit: .seconds,
        cohorts: CohortQueries(template: cohortQuery),
        judge: CanaryJudgePolicy(direction: .increase, minEffect: 0.05, alpha: 0.05, maxLooks: 10, minSamples: 10))

    /// The backend alone (its health check healthy throughout: no probe is replayed) and its canary judge looking
    /// every minute; deployments bake in 20 minutes (v3 stays suspect to the end, so every one of its looks is judged).
    static func canaryPolicy() -> Policy {
        var policy = Fixture.policy(bake: .seconds(1200))
        policy.services.removeLast()  // the backend alone
        policy.services[0].canarySignals = [canarySignal]
        policy.verification.performance.duration = .seconds(30)
        return policy
    }

    static func cohortQuery(_ track: CanaryTrack) -> String {
        PromQLTemplate.render(cohortQuery, ["service": Fixture.backend.rawValue, "track": track.rawValue])
    }

    @Test("a slower canary is failed and rolled back, a canary like stable is kept: the engine and replay judge alike")
    func replayJudgesCanariesAsTheEngineDoes() async throws {
        let emulator = PrometheusEmulator()
        for track in CanaryTrack.allCases {
            emulator.setRange(
                Self.cohortQuery(track),
                [.init([:], points: try Self.recordedPoints("backend-cohorts-\(track.rawValue).json"))])
        }
        let server = PrometheusEmulatorServer(emulator: emulator)
        try await withLoopbackServices([server], client: HTTPHealthProber.makeHTTPClient()) { http in
            let base = await server.endpoint()
            let client = PrometheusClient(baseURL: base, client: http, timeout: .seconds(10))
            try await Harness.with { h in
                let policy = Self.canaryPolicy()
                let start = h.clock.now
                // The engine's cohorts: read through the real client before the run, served from memory.
                let cohorts = RecordedCohorts()
                for track in CanaryTrack.allCases {
                    let answer = try await client.range(
                        Self.cohortQuery(track), start: start - .seconds(600), end: start + .seconds(900),
                        step: Self.canarySignal.step)
                    let samples = try PrometheusCohortReader.samples(answer).get()
                    #expect(samples.count > 30)
                    cohorts.record(samples, service: Fixture.backend, signal: Self.canarySignal.name, track: track)
                }
                var dependencies = h.makeDependencies(policy: policy)
                dependencies.cohortSource = RenderedCohortQueries(recorded: cohorts)
                let engine = RewindEngine(dependencies)
                // backend v1: went live two hours ago and baked 20 minutes later, as replay replays it.
                let v1 = Deployment(
                    service: Fixture.backend, id: Fixture.id(Fixture.backend, "v1"), version: "v1",
                    deployedAt: start - .seconds(7200), trust: .knownGood,
                    knownGoodAt: start - .seconds(7200) + policy.bake, wasLive: true)
                try await h.sqlite.recordDeployment(v1, makeLive: true)
                h.world.deploy(v1, health: .healthy)
                var deployed = [
                    ReplayDeployment(service: Fixture.backend, id: v1.id, version: "v1", at: v1.deployedAt)
                ]
                try await h.run(engine, policy: policy) { run in
                    func deploy(_ version: String) async throws {
                        let deployment = try await run.deploy(Fixture.backend, version, health: .healthy)
                        deployed.append(
                            ReplayDeployment(
                                service: Fixture.backend, id: deployment.id, version: version,
                                at: deployment.deployedAt, canaryShare: 0.1, track: "canary"))
                    }
                    await run.settle()
                    try await run.advance(by: .seconds(90))
                    try await deploy("v2")  // 30 % slower than stable
                    try await run.advance(by: .seconds(360))
                    try await deploy("v3")  // like stable
                    try await run.advance(by: .seconds(420))
                    // v3's looks were judged, and passed.
                    let status = try #require(run.engine.signalStatuses.first { $0.signal == "latency_p95" })
                    #expect(status.lastValue?.contains(": pass") == true, "\(status.lastValue ?? "")")
                }
                let end = h.clock.now
                let liveViolations = h.events.violations
                let liveDecisions = h.events.all.compactMap { event -> Decision? in
                    if case .decision(_, let decision) = event { return decision }
                    return nil
                }
                // Live: v2 failed by the judge at a look a minute after going live (looks at +60 s, +120 s, …;
                // +120 s has 4 values per cohort: inconclusive), v2 rolled back to v1, v3 never failed.
                let violation = try #require(liveViolations.first)
                #expect(liveViolations.count == 1)
                #expect(liveDecisions.count == 1, "\(liveDecisions)")
                #expect(violation.signal?.name == CanaryJudgeState.sourceName)
                #expect(violation.rule.hasPrefix("canary judge: score 0 < 75 (latency_p95 worse than stable"))
                #expect(violation.at >= start + .seconds(180) && violation.at <= start + .seconds(420))
                #expect((violation.at - start).milliseconds % 60_000 == 0)
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])

                // Replay: the deployments, and the cohorts through the real client.
                let history = try await ReplayHistory.assemble(
                    policy: policy, deployments: deployed, probes: [], prometheus: SignalHistory(client: client),
                    from: start, to: end)
                #expect(history.notReplayed.isEmpty)
                let replayed = Replay.run(policy: policy, history: history, from: start, to: end)
                #expect(replayed.decisions.map(\.violation) == liveViolations)
                #expect(replayed.decisions.map(\.decision) == liveDecisions)
                #expect(
                    replayed.deployments.map { "\($0.deployment.id) \($0.outcome.rawValue)" } == [
                        "backend-v2 rolled_back", "backend-v3 kept",
                    ])
                // Each track was fetched once over the period (the union of the looks' ranges), not once per look.
                let ranges = emulator.requests.filter {
                    $0.path == "/api/v1/query_range"
                        && Double($0.parameters["start"] ?? "") ?? 0 >= Double(start.millisecondsSinceEpoch) / 1000
                }
                #expect(ranges.count == 2)
            }
            try await http.shutdown()
        }
    }
}

/// ``RecordedCohorts`` answering with the queries as ``PrometheusCohortReader`` runs them (`{{service}}` and
/// `{{track}}` filled in): the evidence of a failed canary names the queries that ran.
struct RenderedCohortQueries: CohortSource {
    let recorded: RecordedCohorts

    func read(_ signal: CanarySignalPolicy, service: ServiceName, at now: Timestamp) async -> CohortReading {
        var reading = await recorded.read(signal, service: service, at: now)
        reading.queries = PrometheusCohortReader.queries(of: signal, service: service)
        return reading
    }
}
