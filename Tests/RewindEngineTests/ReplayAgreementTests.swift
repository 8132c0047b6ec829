import AsyncHTTPClient
import Foundation
import RewindCore
import RewindEngine
import RewindPorts
import RewindReplay
import RewindSignals
import RewindTestSupport
import Synchronization
import Testing

/// `rewind replay` and the live engine decide alike: the engine runs a scenario on the manual clock, recording its
/// probes as `health.record` does and reading its metric from a recorded Prometheus history; replay then reads
/// that probe record (through the CSV), the deployments, and the same history through Rewind's real Prometheus
/// client from a loopback emulator — and must take exactly the engine's decisions, violation for violation.
@Suite("Replay agrees with the live engine", .timeLimit(.minutes(2)))
struct ReplayAgreementTests {
    static let query = #"sum(rate(http_errors_total{service="{{service}}"}[1m]))"#

    /// backend and worker, each with a critical check under the shipped rules (3 failures lasting 2 s); worker also
    /// has an error-rate signal evaluated every 10 s. Deployments bake in 60 s.
    static func policy() -> Policy {
        var policy = Fixture.policy(bake: .seconds(60))
        policy.services[1].checks = [Fixture.check(Fixture.worker, .critical)]
        var signal = Fixture.signal(.errorRate, name: "error_rate")
        signal.source = .prometheus(query: query)
        policy.services[1].signals = [signal]
        policy.verification.performance.duration = .seconds(30)
        return policy
    }

    /// The recorded history: the worker's error rate, as Prometheus' query_range answered it.
    static func recordedErrorRate() throws -> [PrometheusEmulator.Point] {
        try recordedPoints("worker-error-rate.json")
    }

    /// A recorded `query_range` answer in `Fixtures/replay/` as emulator points.
    static func recordedPoints(_ file: String) throws -> [PrometheusEmulator.Point] {
        struct Answer: Decodable {
            struct Data: Decodable {
                struct Series: Decodable { var values: [[JSONValue]] }
                var result: [Series]
            }
            var data: Data
        }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/replay/\(file)")
        let answer = try JSONDecoder().decode(Answer.self, from: Data(contentsOf: url))
        return try #require(answer.data.result.first).values.map { pair in
            guard case .number(let at) = pair[0], case .string(let value) = pair[1], let number = Double(value) else {
                throw FixtureError()
            }
            return PrometheusEmulator.Point(at: at, value: number)
        }
    }

    struct FixtureError: Error {}

    /// A probe read back from the CSV is the one recorded, except for the reason of a failure without an HTTP
    /// answer, which the record does not keep.
    static func sameProbe(_ replayed: Observation, _ live: Observation) -> Bool {
        guard replayed.at == live.at, replayed.service == live.service, replayed.check == live.check,
            replayed.latencyMs == live.latencyMs
        else { return false }
        if case .failure(.connection) = live.result { return !replayed.result.isSuccess }
        return replayed.result == live.result
    }

    @Test(
        "a bad metric rolls the worker back, a drain blip does not fire, a hard down rolls backend back: same decisions"
    )
    func replayTakesTheEnginesDecisions() async throws {
        let points = try Self.recordedErrorRate()
        let emulator = PrometheusEmulator()
        emulator.setRange(
            PromQLTemplate.render(Self.query, ["service": Fixture.worker.rawValue]), [.init([:], points: points)])
        let server = PrometheusEmulatorServer(emulator: emulator)
        try await withLoopbackServices([server], client: HTTPHealthProber.makeHTTPClient()) { http in
            let base = await server.endpoint()
            let client = PrometheusClient(baseURL: base, client: http, timeout: .seconds(10))
            try await Harness.with { h in
                // 1. Live: the engine on the manual clock.
                let probes = CollectingProbeLog()
                let recorded = RecordedPrometheus(client: client, points: points)
                var dependencies = h.makeDependencies(policy: Self.policy(), metricSource: recorded)
                dependencies.probeLog = probes
                dependencies.baselineSource = PrometheusBaselineReader(client: client, redactor: Redactor())
                let engine = RewindEngine(dependencies)
                let start = h.clock.now
                var deployed: [ReplayDeployment] = []
                try await h.run(engine, policy: Self.policy()) { run in
                    func deploy(_ service: ServiceName, _ version: String, _ health: HealthBehaviour) async throws {
                        let deployment = try await run.deploy(service, version, health: health)
                        deployed.append(
                            ReplayDeployment(
                                service: service, id: deployment.id, version: version, at: deployment.deployedAt))
                    }
                    await run.settle()
                    try await deploy(Fixture.backend, "v1", .healthy)
                    try await deploy(Fixture.worker, "v1", .healthy)
                    try await run.advance(by: .seconds(90))
                    // Worker v2: its error rate rises (the recorded history) until it is rolled back.
                    try await deploy(Fixture.worker, "v2", .healthy)
                    try await run.advance(by: .seconds(110))
                    // Backend v2: one instance drains — 503 for 1.2 s — then it is healthy.
                    try await deploy(Fixture.backend, "v2", .failing(status: 503))
                    try await run.advance(by: .milliseconds(1200))
                    h.world.setHealth(Fixture.id(Fixture.backend, "v2"), .healthy)
                    try await run.advance(by: .milliseconds(98_800))
                    // Backend v3: a hard down.
                    try await deploy(Fixture.backend, "v3", .failing(status: 503))
                    try await run.advance(by: .seconds(120))
                }
                let end = h.clock.now
                let liveViolations = h.events.violations
                let liveDecisions = h.events.all.compactMap { event -> Decision? in
                    if case .decision(_, let decision) = event { return decision }
                    return nil
                }
                // The scenario is what it says: the worker and backend v3 rolled back, the blip silent.
                #expect(liveDecisions.count == 2)
                #expect(liveViolations.map(\.service) == [Fixture.worker, Fixture.backend])
                #expect(liveViolations.map(\.trigger) == [.throughput, .healthCritical])
                #expect(
                    h.world.rollbackCalls.map(\.target) == [
                        Fixture.id(Fixture.worker, "v1"), Fixture.id(Fixture.backend, "v2"),
                    ])

                // 2. Replay: the probe record as health.record writes it, the deployments, and Prometheus.
                let csv = ([ProbeCSV.header] + probes.all.map(ProbeCSV.line)).joined(separator: "\n") + "\n"
                let checks: [ServiceName: [String]] = [
                    Fixture.backend: ["backend-health"], Fixture.worker: ["worker-health"],
                ]
                let read = try ProbeRecordReader.parse(csv, file: "probes.csv", checks: checks)
                // Every probe comes back; those with an HTTP answer exactly (a probe without one keeps no reason).
                #expect(read.probes.count == probes.all.count)
                let mismatched = zip(read.probes, probes.all).filter { replayed, live in
                    !Self.sameProbe(replayed, live)
                }
                #expect(mismatched.isEmpty)
                let history = try await ReplayHistory.assemble(
                    policy: Self.policy(), deployments: deployed, probes: read.probes,
                    prometheus: SignalHistory(client: client), from: start, to: end)
                let replayed = Replay.run(policy: Self.policy(), history: history, from: start, to: end)

                #expect(replayed.decisions.map(\.violation) == liveViolations)
                #expect(replayed.decisions.map(\.decision) == liveDecisions)
                #expect(
                    replayed.deployments.map { "\($0.deployment.id) \($0.outcome.rawValue)" } == [
                        "backend-v1 kept", "worker-v1 kept", "worker-v2 rolled_back", "backend-v2 kept",
                        "backend-v3 rolled_back",
                    ])
                // The emulator was asked for the period's range in one chunk (the other ranges are early-warning
                // baselines, before each deployment went live: too few values here, so nothing warns).
                #expect(
                    emulator.requests.filter {
                        $0.path == "/api/v1/query_range"
                            && Double($0.parameters["start"] ?? "") ?? 0 >= Double(start.millisecondsSinceEpoch) / 1000
                    }.count == 1)
                #expect(replayed.earlyWarnings.isEmpty)
                #expect(!h.events.all.contains { if case .earlyWarning = $0 { true } else { false } })
            }
            try await http.shutdown()
        }
    }
}

/// `health.record` in memory: every probe the watchers took, in order.
final class CollectingProbeLog: ProbeLog {
    private let probes = Mutex<[Observation]>([])
    func record(_ observation: Observation) { probes.withLock { $0.append(observation) } }
    var all: [Observation] { probes.withLock { $0 } }
}

/// The engine's Prometheus signals over a recorded history: each evaluation reads the recorded point at its time
/// and is judged by the daemon's own reader (no series or NaN is no data), as ``CompositeMetricSource`` judges an
/// instant query's answer.
final class RecordedPrometheus: MetricSource {
    let reader: PrometheusSignalReader
    let points: [Int64: Double]

    init(client: PrometheusClient, points: [PrometheusEmulator.Point]) {
        reader = PrometheusSignalReader(client: client)
        self.points = Dictionary(
            points.map { (Int64(($0.at * 1000).rounded()), $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    func evaluate(_ signal: MetricSignalPolicy, service: ServiceName, at now: Timestamp) async -> MetricEvaluation {
        guard case .prometheus(let template) = signal.source else {
            return MetricEvaluation(
                service: service, signal: signal.name, at: now, outcome: .error("not recorded"), query: "")
        }
        let query = PromQLTemplate.render(template, ["service": service.rawValue])
        let samples = points[now.millisecondsSinceEpoch].map {
            [PrometheusSample(labels: [:], point: PrometheusPoint(at: now, value: $0))]
        }
        let reading = reader.reading(of: .vector(samples ?? []), query: query)
        return MetricEvaluation(
            service: service, signal: signal.name, at: now,
            outcome: CompositeMetricSource.outcome(reading, redactor: Redactor(secrets: [])), query: query)
    }

    func recordProbe(_ observation: Observation) {}
    func recordPushed(_ metric: PushedValue) {}
    func monitoringSource(of signal: MetricSignalPolicy) -> String? { "prometheus" }
}
