import AsyncHTTPClient
import RewindCore
import RewindPorts
import RewindReplay
import RewindSignals
import RewindTestSupport
import Testing

/// The canary judge in replay: cohorts fetched once and sliced per look as the live reader reads them, and judged
/// by the daemon's own ``CanaryJudgeState`` on the live watcher's schedule.
@Suite("Replay: the canary judge")
struct ReplayCanaryTests {
    static let signal = CanarySignalPolicy(
        name: "latency_p95", measure: .latencyP95, category: .performance, unit: .seconds,
        cohorts: CohortQueries(template: #"p95{service="{{service}}", track="{{track}}"}"#),
        judge: CanaryJudgePolicy(direction: .increase, minEffect: 0.05, alpha: 0.05, maxLooks: 30, minSamples: 10))

    /// The backend alone with its canary judge (a look a minute); deployments bake in an hour.
    static func policy() -> Policy {
        var service = ServicePolicy(name: World.backend)
        service.canarySignals = [signal]
        return Policy(services: [service], bake: .seconds(3600))
    }

    /// v1 known good long before t0, v2 the canary at +700 s.
    static let deployments = [
        ReplayDeployment(service: World.backend, id: "backend-v1", version: "v1", at: World.t0 - .seconds(86_400)),
        ReplayDeployment(
            service: World.backend, id: "backend-v2", version: "v2", at: World.at(700), canaryShare: 0.1,
            track: "canary"),
    ]

    /// A value every 10 s over [from, to) seconds: around 100 ms (90–110 ms in a repeating pattern, shifted by
    /// `phase`) × `scale`.
    static func cohort(from: Int, to: Int, scale: Double, phase: Int = 0) -> [PrometheusSeries] {
        let points = stride(from: from, to: to, by: 10).enumerated().map { index, second in
            PrometheusPoint(at: World.at(Double(second)), value: (0.090 + 0.004 * Double((index + phase) % 6)) * scale)
        }
        return [PrometheusSeries(labels: [:], points: points)]
    }

    static func history(canary: [PrometheusSeries], stable: [PrometheusSeries]) -> ReplayHistory {
        ReplayHistory(
            deployments: deployments, probes: [], evaluations: [],
            cohorts: CohortHistory(series: [
                .init(service: World.backend, signal: signal.name, track: .canary): canary,
                .init(service: World.backend, signal: signal.name, track: .stable): stable,
            ]))
    }

    /// 45 minutes from t0: v2's canary gets 33 looks (the judge's 30 planned ones and more).
    static let end = World.at(2700)

    @Test("an A/A canary is never failed over its looks; the same history with a canary 30 % slower is rolled back")
    func aaCanaryIsKept() throws {
        let stable = Self.cohort(from: 0, to: 2700, scale: 1)
        let same = Replay.run(
            policy: Self.policy(),
            history: Self.history(canary: Self.cohort(from: 700, to: 2700, scale: 1, phase: 3), stable: stable),
            from: World.t0, to: Self.end)
        #expect(same.decisions.isEmpty)
        #expect(same.deployments.map(\.outcome) == [.kept])
        #expect(same.deployments.first?.detectedAt == nil)

        let slower = Replay.run(
            policy: Self.policy(),
            history: Self.history(canary: Self.cohort(from: 700, to: 2700, scale: 1.3, phase: 3), stable: stable),
            from: World.t0, to: Self.end)
        let decision = try #require(slower.decisions.first)
        #expect(slower.decisions.count == 1)
        #expect(decision.wouldRollBack)
        #expect(decision.violation.signal?.name == CanaryJudgeState.sourceName)
        #expect(decision.violation.trigger == .performance)
        // Looks fall on t0 plus whole minutes; the first with 10 values per cohort is +840 s (+780 s has 9).
        #expect(decision.at > World.at(780) && decision.at <= World.at(1500))
        #expect((decision.at - World.t0).milliseconds % 60_000 == 0)
        let evidence = try #require(decision.violation.evidence.first)
        #expect(evidence.check == "latency_p95")
        #expect(evidence.result.contains("×1.3"), "\(evidence.result)")
        #expect(slower.deployments.map(\.outcome) == [.rolledBack])

        // A sweep replays the same fetched cohorts under each policy.
        var longBake = Self.policy()
        longBake.bake = .seconds(7200)
        let rows = Sweep.run(
            [(["bake=1h"], Self.policy()), (["bake=2h"], longBake)],
            history: Self.history(canary: Self.cohort(from: 700, to: 2700, scale: 1.3, phase: 3), stable: stable),
            labels: [], from: World.t0, to: Self.end)
        #expect(rows.map(\.rollbacks) == [1, 1])
    }

    @Test("a canary with fewer values than min_samples is inconclusive: no decision however slow it is")
    func tooFewSamplesIsInconclusive() throws {
        let stable = Self.cohort(from: 0, to: 2700, scale: 1)
        // 9 values of a canary twice as slow (700…780 s), then no traffic on the canary track.
        let sparse = Replay.run(
            policy: Self.policy(),
            history: Self.history(canary: Self.cohort(from: 700, to: 790, scale: 2), stable: stable),
            from: World.t0, to: Self.end)
        #expect(sparse.decisions.isEmpty)
        #expect(sparse.deployments.map(\.outcome) == [.kept])

        // One value more (10, the minimum) and it is judged — and failed.
        let enough = Replay.run(
            policy: Self.policy(),
            history: Self.history(canary: Self.cohort(from: 700, to: 800, scale: 2), stable: stable),
            from: World.t0, to: Self.end)
        #expect(enough.decisions.count == 1)
        #expect(enough.deployments.map(\.outcome) == [.rolledBack])
    }

    @Test("without Prometheus a canary signal is listed as not replayed")
    func noPrometheusNoCohorts() async throws {
        let history = try await ReplayHistory.assemble(
            policy: Self.policy(), deployments: Self.deployments, probes: [], prometheus: nil, from: World.t0,
            to: Self.end)
        #expect(
            history.notReplayed == [
                "backend/latency_p95: no Prometheus to fetch its cohorts from (--prometheus or monitoring.prometheus)"
            ])
        #expect(history.cohorts.isEmpty)
    }

    @Test(
        "the cohorts are fetched once in chunks and each look's slice is what the live reader answers at that look"
    )
    func slicesEqualTheLiveReader() async throws {
        // A 1 s step over three hours: more than one query_range's 10,000 points per track.
        let signal = {
            var signal = Self.signal
            signal.step = .seconds(1)
            signal.window = .seconds(90)
            signal.interval = .seconds(60)
            return signal
        }()
        let policy = {
            var policy = Self.policy()
            policy.services[0].canarySignals = [signal]
            return policy
        }()
        let from = World.t0
        let to = World.at(3 * 3600 + 30)
        func points(_ seconds: StrideTo<Int>, _ value: (Int) -> Double) -> [PrometheusEmulator.Point] {
            seconds.map { .init(at: Double(from.millisecondsSinceEpoch) / 1000 + Double($0), value: value($0)) }
        }
        let emulator = PrometheusEmulator()
        let queries = PrometheusCohortReader.queries(of: signal, service: World.backend)
        // Canary: traffic from +1000 s, a NaN every 7 s, a gap from +5000 to +5100 s.
        emulator.setRange(
            queries.canary,
            [
                .init(
                    [:],
                    points: points(stride(from: 1000, to: 11_000, by: 1)) {
                        $0 % 7 == 0 ? .nan : 0.1 + Double($0 % 13) / 1000
                    }
                    .filter { !(5000..<5100).contains(Int($0.at - Double(from.millisecondsSinceEpoch) / 1000)) })
            ])
        // Stable: one series, and a second one (a relabelled target) for a few minutes: several series is an error
        // at exactly the looks whose range holds both.
        emulator.setRange(
            queries.stable,
            [
                .init(
                    ["pod": "a"], points: points(stride(from: 0, to: 11_000, by: 1)) { 0.1 + Double($0 % 11) / 1000 }),
                .init(["pod": "b"], points: points(stride(from: 7000, to: 7200, by: 1)) { _ in 0.2 }),
            ])
        let server = PrometheusEmulatorServer(emulator: emulator)
        try await withLoopbackServices([server], client: HTTPHealthProber.makeHTTPClient()) { http in
            let base = await server.endpoint()
            let client = PrometheusClient(baseURL: base, client: http)
            let cohorts = try await SignalHistory(client: client).cohorts(policy: policy, from: from, to: to)
            // Two tracks, two chunks each.
            #expect(emulator.requests.filter { $0.path == "/api/v1/query_range" }.count == 4)
            let live = PrometheusCohortReader(client: client, redactor: Redactor())
            // Every fourth look, and every look around the second stable series (each a live read over loopback).
            var looks = 0
            var errors = 0
            for minute in 1...180 {
                let at = from + .seconds(Int64(60 * minute))
                guard minute % 4 == 0 || (115...125).contains(minute) else { continue }
                let replayed = cohorts.reading(of: signal, service: World.backend, at: at)
                let read = await live.read(signal, service: World.backend, at: at)
                #expect(replayed == read, "at +\(60 * minute) s")
                if case .error = read.outcome { errors += 1 }
                looks += 1
            }
            #expect(looks == 53)
            // The looks whose 90 s range overlaps +7000…+7199 s see both stable series: +7020 s to +7260 s.
            #expect(errors == 5)
            try await http.shutdown()
        }
    }
}
