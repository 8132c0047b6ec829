import Foundation
import RewindSandbox
import RewindSignals
import Testing

extension MonitoringTests {
    /// A real Prometheus (started by `scripts/monitoring/start`) scraping a ``SandboxMetricsServer`` every second,
    /// read with Rewind's ``PrometheusClient``: the queries of the guide's performance triggers answer what the
    /// synthetic traffic says.
    @Suite(
        .enabled(
            if: MonitoringEnvironment.prometheusIsConfigured || MonitoringEnvironment.isRequired,
            "start Prometheus with scripts/monitoring/start (scripts/test does)"
        ),
        .timeLimit(.minutes(3))
    )
    struct PrometheusScrape {
        @Test("P95 of fast traffic is in the 0.1–0.25 s bucket, and above 2 s once the traffic turns slow")
        func p95FollowsTheTraffic() async throws {
            try await withScrapedSandbox { sandbox in
                sandbox.server.traffic.set(.healthy("frontend", requestsPerSecond: 20))
                let fast = try await sandbox.waitForReading(SandboxQueries.p95("frontend"), "a fast P95") {
                    guard let p95 = $0.number else { return false }
                    return p95 > 0.1 && p95 <= 0.25
                }
                #expect(fast.number.map { $0 < 2 } == true)

                sandbox.server.traffic.set(.slow("frontend", requestsPerSecond: 20))
                let slow = try await sandbox.waitForReading(SandboxQueries.p95("frontend"), "a P95 above 2 s") {
                    ($0.number ?? 0) > 2
                }
                let p95 = try #require(slow.number)
                // 2.5 s ± 0.25 s: the 95th percentile is in the (2.5, 3] bucket, or (2, 2.5] while fast samples
                // are still in the 30 s window.
                #expect(p95 > 2 && p95 <= 3, "P95 \(p95) s")
            }
        }

        @Test("request rate and error ratio of a service answering every fifth request with a 500")
        func requestRateAndErrorRatio() async throws {
            try await withScrapedSandbox { sandbox in
                sandbox.server.traffic.set(.failing("backend", errorRatio: 0.2, requestsPerSecond: 20))
                let perSecond = SandboxQueries.requestRate("backend", over: "5s")
                let rate = try await sandbox.waitForReading(perSecond, "20 requests/s") {
                    guard let rate = $0.number else { return false }
                    return rate >= 16 && rate <= 24
                }
                #expect(rate.number.map { (16...24).contains($0) } == true)

                let ratio = try await sandbox.waitForReading(SandboxQueries.errorRatio("backend"), "a 20 % error ratio")
                {
                    guard let ratio = $0.number else { return false }
                    return ratio >= 0.15 && ratio <= 0.25
                }
                #expect(ratio.number.map { (0.15...0.25).contains($0) } == true)

                // The same Prometheus evaluates the HighErrorRate rule (> 5 % of requests answered 5xx).
                let alert = #"ALERTS{alertname="HighErrorRate",service="backend",alertstate="firing"}"#
                let firing = try await sandbox.waitForReading(alert, "HighErrorRate firing for backend") {
                    $0.number == 1
                }
                #expect(firing == .value(1, series: 1))
            }
        }

        @Test("a service without traffic reads no data, while its infrastructure gauges read their values")
        func serviceWithoutTrafficReadsNoData() async throws {
            try await withScrapedSandbox { sandbox in
                // No test sends requests for the worker: it only has gauges.
                sandbox.server.metrics.setCPURatio(0.95, service: "worker")
                sandbox.server.metrics.setMemoryRatio(0.5, service: "worker")
                let cpu = try await sandbox.waitForReading(#"max(process_cpu_ratio{service="worker"})"#, "worker CPU") {
                    $0.number == 0.95
                }
                #expect(cpu == .value(0.95, series: 1))
                let memory = await sandbox.reader.read(query: #"max(memory_usage_ratio{service="worker"})"#, at: nil)
                #expect(memory == .value(0.5, series: 1))

                let p95 = await sandbox.reader.read(query: SandboxQueries.p95("worker"), at: nil)
                #expect(p95.isNoData, "\(p95)")
                let rate = await sandbox.reader.read(query: SandboxQueries.requestRate("worker"), at: nil)
                #expect(rate.isNoData, "\(rate)")
                #expect(try await sandbox.prometheus.instant(SandboxQueries.p95("worker")) == .vector([]))
            }
        }
    }
}
