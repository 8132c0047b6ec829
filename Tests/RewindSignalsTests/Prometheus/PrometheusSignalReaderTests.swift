import RewindCore
import RewindSandbox
import RewindSignals
import RewindTestSupport
import Testing

@Suite("PrometheusSignalReader")
struct PrometheusSignalReaderTests {
    @Test func oneSeriesIsItsValue() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant("p95", [.init(["service": "checkout"], 0.412)])
            #expect(await prometheus.reader().read(query: "p95", at: nil) == .value(0.412, series: 1))
        }
    }

    @Test func aScalarIsItsValue() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant("scalar(x)", answer: .scalar(3))
            #expect(await prometheus.reader().read(query: "scalar(x)", at: nil) == .value(3, series: 1))
        }
    }

    @Test func noSeriesIsNoData() async throws {
        try await withPrometheus { prometheus in
            let reading = await prometheus.reader().read(query: "sum(rate(no_traffic_total[5m]))", at: nil)
            guard case .noData(let reason) = reading else {
                Issue.record("expected no data, got \(reading)")
                return
            }
            #expect(reason.contains("no series"))
        }
    }

    @Test func nanIsNoData() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant("quantile", [.init(["service": "search"], .nan)])
            prometheus.emulator.setInstant("ratio", answer: .scalar(.nan))
            for query in ["quantile", "ratio"] {
                let reading = await prometheus.reader().read(query: query, at: nil)
                guard case .noData(let reason) = reading else {
                    Issue.record("expected no data, got \(reading)")
                    continue
                }
                #expect(reason.contains("NaN"))
            }
        }
    }

    /// +Inf (a quantile above the highest bucket, a division by zero) is no data too: a value
    /// Rewind cannot judge, and one JSON cannot carry into the evidence.
    @Test func infinitiesAreNoData() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant("quantile", [.init(["service": "search"], .infinity)])
            prometheus.emulator.setInstant("ratio", answer: .scalar(-.infinity))
            for (query, shown) in [("quantile", "+Inf"), ("ratio", "-Inf")] {
                let reading = await prometheus.reader().read(query: query, at: nil)
                guard case .noData(let reason) = reading else {
                    Issue.record("expected no data, got \(reading)")
                    continue
                }
                #expect(reason.contains(shown))
            }
        }
    }

    @Test func severalSeriesAreAnErrorThatSaysHowToAggregate() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant(
                "by_service",
                [.init(["service": "a"], 1), .init(["service": "b"], 2), .init(["service": "c"], 3)]
            )
            let reading = await prometheus.reader().read(query: "by_service", at: nil)
            guard case .error(let error) = reading else {
                Issue.record("expected an error, got \(reading)")
                return
            }
            #expect(error.kind == .badQuery)
            #expect(error.isTransient == false)
            #expect(
                error.message.contains(
                    "the query returned 3 series; aggregate it (e.g. sum by () or max) so that it returns one"
                )
            )
            #expect(error.message.contains("`by_service`"))
        }
    }

    @Test func aRangeVectorIsAnError() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant("errors[5m]", answer: .matrix([.constant(["service": "a"], 1)]))
            let reading = await prometheus.reader().read(query: "errors[5m]", at: nil)
            guard case .error(let error) = reading else {
                Issue.record("expected an error, got \(reading)")
                return
            }
            #expect(error.kind == .badQuery)
            #expect(error.message.contains("range vector"))
        }
    }

    @Test func aFailedQueryIsAnErrorReading() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setUnavailable(true)
            let reading = await prometheus.reader().read(query: "up", at: promTime(1_767_265_200_000))
            guard case .error(let error) = reading else {
                Issue.record("expected an error, got \(reading)")
                return
            }
            #expect(error.kind == .unavailable)
            #expect(error.isTransient)
        }
    }

    @Test func readsAtTheGivenTime() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant("up", [.init([:], 1)])
            _ = await prometheus.reader().read(query: "up", at: promTime(1_767_265_200_000))
            #expect(prometheus.emulator.queryRequests.last?.parameters["time"] == "1767265200")
        }
    }
}
