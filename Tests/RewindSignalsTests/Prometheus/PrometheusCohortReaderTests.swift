import RewindCore
import RewindPorts
import RewindSignals
import RewindTestSupport
import Testing

/// The canary judge's cohorts from the Prometheus emulator on loopback (`/api/v1/query_range`).
@Suite("PrometheusCohortReader")
struct PrometheusCohortReaderTests {
    static let template = #"p95{service="{{service}}", track="{{track}}"}"#
    static let signal = CanarySignalPolicy(
        name: "latency_p95", measure: .latencyP95, category: .performance, unit: .seconds,
        cohorts: CohortQueries(template: template), judge: CanaryJudgePolicy(direction: .increase),
        window: .seconds(60), step: .seconds(10))

    static func reader(_ prometheus: PrometheusHarness) -> PrometheusCohortReader {
        PrometheusCohortReader(client: prometheus.client(), redactor: Redactor())
    }

    @Test("each track's query runs over the window at the step, aligned to it; NaN points are left out")
    func readsBothTracks() async throws {
        try await withPrometheus { prometheus in
            let canary = #"p95{service="web", track="canary"}"#
            let stable = #"p95{service="web", track="stable"}"#
            prometheus.emulator.setRange(
                canary, [.init(points: [.init(at: 1_800_000_010, value: 0.12), .init(at: 1_800_000_020, value: .nan)])])
            prometheus.emulator.setRange(stable, [.init(points: [.init(at: 1_800_000_010, value: 0.10)])])
            let now = promTime(1_800_000_065_500)
            let reading = await Self.reader(prometheus).read(Self.signal, service: "web", at: now)
            #expect(reading.queries == CohortQueries(canary: canary, stable: stable))
            #expect(
                reading.outcome
                    == .samples(
                        canary: [CohortSample(at: promTime(1_800_000_010_000), value: 0.12)],
                        stable: [CohortSample(at: promTime(1_800_000_010_000), value: 0.10)]))
            let requests = prometheus.emulator.queryRequests
            #expect(Set(requests.compactMap(\.query)) == [canary, stable])
            for request in requests {
                #expect(request.path == "/api/v1/query_range")
                // now − 60 s = …005.5 → the first step after it, …010; to now; every 10 s.
                #expect(request.parameters["start"] == "1800000010")
                #expect(request.parameters["end"] == "1800000065.5")
                #expect(request.parameters["step"] == "10")
            }
        }
    }

    @Test("a service name with a quote cannot change the query: it is escaped inside the label value")
    func escapesTheService() async throws {
        try await withPrometheus { prometheus in
            _ = await Self.reader(prometheus).read(Self.signal, service: #"web"} or vector(1) #"#, at: promTime(1_000))
            let queries = prometheus.emulator.queryRequests.compactMap(\.query)
            #expect(queries.contains(#"p95{service="web\"} or vector(1) #", track="canary"}"#))
        }
    }

    @Test("no series is an empty cohort; several series or a failed query is an error naming the cohort")
    func failures() async throws {
        try await withPrometheus { prometheus in
            let reader = Self.reader(prometheus)
            let empty = await reader.read(Self.signal, service: "web", at: promTime(1_800_000_000_000))
            #expect(empty.outcome == .samples(canary: [], stable: []))

            prometheus.emulator.setRange(
                #"p95{service="web", track="canary"}"#,
                [.constant(["pod": "a"], 1), .constant(["pod": "b"], 2)])
            let several = await reader.read(Self.signal, service: "web", at: promTime(1_800_000_000_000))
            guard case .error(let reason) = several.outcome else {
                Issue.record("expected an error, got \(several.outcome)")
                return
            }
            #expect(reason.hasPrefix("canary: the query returned 2 series for one track; aggregate it"))

            prometheus.emulator.setRange(
                #"p95{service="web", track="stable"}"#, answer: .error(type: "bad_data", message: "parse error"))
            prometheus.emulator.remove(#"p95{service="web", track="canary"}"#)
            let failed = await reader.read(Self.signal, service: "web", at: promTime(1_800_000_000_000))
            guard case .error(let message) = failed.outcome else {
                Issue.record("expected an error, got \(failed.outcome)")
                return
            }
            #expect(message.hasPrefix("stable: "))
            #expect(message.contains("parse error"))
        }
    }
}
