import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindTestSupport
import Testing

/// The emulator's own contract, spoken to in raw HTTP: what a real Prometheus rejects, it rejects.
@Suite("PrometheusEmulator")
struct PrometheusEmulatorTests {
    private func get(_ prometheus: PrometheusHarness, _ pathAndQuery: String) async throws -> (Int, String) {
        let response = try await prometheus.http.execute(
            HTTPClientRequest(url: prometheus.base + pathAndQuery),
            timeout: .seconds(5)
        )
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    @Test(arguments: [
        ("/api/v1/query_range?query=up&start=20&end=10&step=1", "end timestamp must not be before start time"),
        ("/api/v1/query_range?query=up&start=10&end=20&step=0", "zero or negative query resolution step"),
        ("/api/v1/query_range?query=up&start=0&end=86400&step=1", "exceeded maximum resolution of 11,000 points"),
        ("/api/v1/query_range?query=up&start=soon&end=20&step=1", #"invalid parameter \"start\""#),
        ("/api/v1/query?query=up&time=later", #"invalid parameter \"time\""#),
        ("/api/v1/query?query=up&timeout=ages", #"invalid parameter \"timeout\""#),
        ("/api/v1/query?query=", "no expression found"),
    ])
    func rejectsWhatPrometheusRejects(pathAndQuery: String, error: String) async throws {
        try await withPrometheus { prometheus in
            let (status, body) = try await get(prometheus, pathAndQuery)
            #expect(status == 400)
            #expect(body.hasPrefix(#"{"status":"error","errorType":"bad_data","error":"#))
            #expect(body.contains(error), "\(body)")
        }
    }

    @Test func acceptsPrometheusDurationsAndRFC3339Times() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setRange("up", [.constant([:], 1)])
            let (status, body) = try await get(
                prometheus,
                "/api/v1/query_range?query=up&start=2026-01-01T12:00:00Z&end=2026-01-01T12:01:00Z"
                    + "&step=30s&timeout=1m30s"
            )
            #expect(status == 200)
            #expect(body.contains(#"[[1767268800,"1"],[1767268830,"1"],[1767268860,"1"]]"#), "\(body)")
        }
    }

    @Test func answersReadinessAndErrorTypesWithPrometheusStatuses() async throws {
        try await withPrometheus { prometheus in
            #expect(try await get(prometheus, "/-/ready").0 == 200)
            prometheus.emulator.isReady = false
            #expect(try await get(prometheus, "/-/ready").0 == 503)

            for (type, status) in [("execution", 422), ("timeout", 503), ("internal", 500), ("canceled", 499)] {
                prometheus.emulator.setInstant(type, answer: .error(type: type, message: "boom"))
                let (answered, body) = try await get(prometheus, "/api/v1/query?query=\(type)")
                #expect(answered == status, "\(type)")
                #expect(body == #"{"status":"error","errorType":"\#(type)","error":"boom"}"#)
            }
        }
    }

    @Test func aHeldAnswerIsReleasedByRespondPromptly() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant("up", [.init([:], 1, at: 10)])
            prometheus.emulator.respondSlowly()
            async let answer = get(prometheus, "/api/v1/query?query=up")
            await prometheus.emulator.waitForRequests(1)
            prometheus.emulator.respondPromptly()
            let (status, body) = try await answer
            #expect(status == 200)
            #expect(body.contains(#"[10,"1"]"#))
        }
    }
}
