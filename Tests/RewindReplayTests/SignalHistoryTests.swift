import AsyncHTTPClient
import RewindCore
import RewindReplay
import RewindSignals
import RewindTestSupport
import Testing

/// Fetching metric history with Prometheus' query_range, from the loopback emulator through Rewind's real client.
@Suite("Replay: metric history from Prometheus")
struct SignalHistoryTests {
    static let t0 = 1_762_041_600.0

    static func signal(
        interval: Duration, baseline: BaselinePolicy = .rolling(.seconds(3600))
    ) -> MetricSignalPolicy {
        var signal = MetricSignalPolicy.guideDefaults(
            name: "latency_p95", measure: .latencyP95, source: .prometheus(query: #"p95{service="{{service}}"}"#),
            serviceClass: .backend)!
        signal.interval = interval
        signal.baseline = baseline
        return signal
    }

    static func policy(_ signal: MetricSignalPolicy) -> Policy {
        Policy(services: [ServicePolicy(name: "backend", signals: [signal])])
    }

    static let query = #"p95{service="backend"}"#

    func withEmulator(_ body: @Sendable (PrometheusEmulator, SignalHistory) async throws -> Void) async throws {
        let emulator = PrometheusEmulator()
        let server = PrometheusEmulatorServer(emulator: emulator)
        try await withLoopbackServices([server], client: HTTPHealthProber.makeHTTPClient()) { http in
            let base = await server.endpoint()
            try await body(emulator, SignalHistory(client: PrometheusClient(baseURL: base, client: http)))
            try await http.shutdown()
        }
    }

    @Test("one evaluation per interval from from + interval; gaps and NaN are no data, values are values")
    func evaluationsFollowTheDaemonsRules() async throws {
        try await withEmulator { emulator, history in
            emulator.setRange(
                Self.query,
                [
                    .init(
                        [:],
                        points: [
                            .init(at: Self.t0 + 30, value: 0.4), .init(at: Self.t0 + 60, value: .nan),
                            .init(at: Self.t0 + 120, value: 1.5),
                        ])
                ])
            let from = Timestamp(secondsSinceEpoch: Self.t0)
            let evaluations = try await history.evaluations(
                policy: Self.policy(Self.signal(interval: .seconds(30))), from: from, to: from + .seconds(150))
            #expect(evaluations.map(\.at) == [30, 60, 90, 120].map { from + .seconds($0) })
            #expect(evaluations[0].outcome == .value(0.4, samples: 1))
            #expect(evaluations[1].outcome == .noData("the query returned NaN (no observations in its window?)"))
            #expect(evaluations[2].outcome == .noData("the query returned no series"))
            #expect(evaluations[3].outcome == .value(1.5, samples: 1))
            #expect(evaluations.allSatisfy { $0.query == Self.query })
            let request = try #require(emulator.requests.first { $0.path == "/api/v1/query_range" })
            #expect(request.parameters["step"] == "30")
        }
    }

    @Test("a long period at a 1 s step is fetched in chunks below Prometheus' 11,000 points")
    func chunks() async throws {
        try await withEmulator { emulator, history in
            emulator.setRange(Self.query, [.constant([:], 0.2)])
            let from = Timestamp(secondsSinceEpoch: Self.t0)
            let evaluations = try await history.evaluations(
                policy: Self.policy(Self.signal(interval: .seconds(1))), from: from, to: from + .seconds(25_000))
            #expect(evaluations.count == 24_999)
            #expect(evaluations.last?.at == from + .seconds(24_999))
            #expect(emulator.requests.filter { $0.path == "/api/v1/query_range" }.count == 3)
        }
    }

    @Test("last_week baselines come from the same query a week earlier")
    func lastWeekBaseline() async throws {
        try await withEmulator { emulator, history in
            let week = 7 * 86_400.0
            emulator.setRange(
                Self.query,
                [.init([:], points: [.init(at: Self.t0 - week + 30, value: 0.3), .init(at: Self.t0 + 30, value: 0.9)])])
            let from = Timestamp(secondsSinceEpoch: Self.t0)
            let evaluations = try await history.evaluations(
                policy: Self.policy(Self.signal(interval: .seconds(30), baseline: .sameHourLastWeek)), from: from,
                to: from + .seconds(31))
            #expect(evaluations.map(\.externalBaseline) == [0.3])
            #expect(evaluations.map(\.outcome) == [.value(0.9, samples: 1)])
        }
    }

    @Test("several series at one step is the daemon's error; a point off the requested steps is refused")
    func refusesBadAnswers() async throws {
        try await withEmulator { emulator, history in
            let from = Timestamp(secondsSinceEpoch: Self.t0)
            emulator.setRange(
                Self.query,
                [.init(["pod": "a"], points: [.init(at: Self.t0 + 30, value: 1)]), .constant(["pod": "b"], 2)])
            let evaluations = try await history.evaluations(
                policy: Self.policy(Self.signal(interval: .seconds(30))), from: from, to: from + .seconds(60))
            guard case .error(let reason) = evaluations.first?.outcome else {
                Issue.record("expected an error, got \(String(describing: evaluations.first?.outcome))")
                return
            }
            #expect(reason.contains("2 series"))

            emulator.setRange(Self.query, [.init([:], points: [.init(at: Self.t0 + 45, value: 1)])])
            await #expect(throws: SignalHistory.FetchError.self) {
                try await history.evaluations(
                    policy: Self.policy(Self.signal(interval: .seconds(30))), from: from, to: from + .seconds(90))
            }
        }
    }
}
