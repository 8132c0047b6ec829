import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindSandbox
import RewindTestSupport
import Testing

extension MonitoringTests {
    /// The sandbox's metrics and its server on their own (no Prometheus needed): names, labels, buckets and the
    /// synthetic traffic a real Prometheus scrapes.
    @Suite(.timeLimit(.minutes(1)))
    struct SandboxMetricsServing {
        @Test("requests land in the latency histogram and the request counter, by service and code")
        func requestsAreExposed() {
            let metrics = SandboxMetrics()
            metrics.recordRequest(service: "frontend", latencySeconds: 0.12, status: 200)
            metrics.recordRequest(service: "frontend", latencySeconds: 3.2, status: 503)
            let text = exposition(metrics)

            #expect(text.contains("# TYPE http_request_duration_seconds histogram"))
            #expect(text.contains("# TYPE http_requests_total counter"))
            #expect(value(text, #"http_request_duration_seconds_bucket{service="frontend",le="0.1"}"#) == 0)
            #expect(value(text, #"http_request_duration_seconds_bucket{service="frontend",le="0.25"}"#) == 1)
            #expect(value(text, #"http_request_duration_seconds_bucket{service="frontend",le="3.0"}"#) == 1)
            #expect(value(text, #"http_request_duration_seconds_bucket{service="frontend",le="5.0"}"#) == 2)
            #expect(value(text, #"http_request_duration_seconds_bucket{service="frontend",le="+Inf"}"#) == 2)
            #expect(value(text, #"http_request_duration_seconds_count{service="frontend"}"#) == 2)
            #expect(value(text, #"http_requests_total{service="frontend",code="200"}"#) == 1)
            #expect(value(text, #"http_requests_total{service="frontend",code="503"}"#) == 1)
            let bounds = text.split(separator: "\n")
                .filter { $0.hasPrefix("http_request_duration_seconds_bucket") }
                .compactMap(bucketBound)
            #expect(bounds == ["0.05", "0.1", "0.25", "0.5", "1.0", "2.0", "2.5", "3.0", "5.0", "10.0", "+Inf"])
        }

        @Test("infrastructure gauges per service")
        func gauges() {
            let metrics = SandboxMetrics()
            metrics.setCPURatio(0.95, service: "worker")
            metrics.setMemoryRatio(0.4, service: "worker")
            metrics.setMemoryRatio(0.9, service: "worker")
            let text = exposition(metrics)
            #expect(value(text, #"process_cpu_ratio{service="worker"}"#) == 0.95)
            #expect(value(text, #"memory_usage_ratio{service="worker"}"#) == 0.9)
            #expect(!text.contains("http_requests_total{"), "no request series without requests")
        }

        @Test("a traffic profile emits its rate, with its errors spread evenly and fractions carried over")
        func trafficProfile() {
            let metrics = SandboxMetrics()
            let traffic = SandboxTraffic(metrics: metrics)
            traffic.set(.failing("backend", errorRatio: 0.2, requestsPerSecond: 20))
            traffic.advance(bySeconds: 1)
            var text = exposition(metrics)
            #expect(value(text, #"http_requests_total{service="backend",code="200"}"#) == 16)
            #expect(value(text, #"http_requests_total{service="backend",code="500"}"#) == 4)
            // Fast: 100 ms ± 20 ms, all within 0.25 s.
            #expect(value(text, #"http_request_duration_seconds_bucket{service="backend",le="0.25"}"#) == 20)

            traffic.advance(bySeconds: 0.03)  // 0.6 of a request: nothing yet
            traffic.advance(bySeconds: 0.03)  // 1.2: one
            text = exposition(metrics)
            #expect(value(text, #"http_request_duration_seconds_count{service="backend"}"#) == 21)

            traffic.set(.slow("backend", requestsPerSecond: 10))
            traffic.advance(bySeconds: 1)
            text = exposition(metrics)
            #expect(value(text, #"http_request_duration_seconds_count{service="backend"}"#) == 31)
            // Slow: 2.5 s ± 0.25 s, all above 1 s.
            #expect(value(text, #"http_request_duration_seconds_bucket{service="backend",le="1.0"}"#) == 21)
            #expect(traffic.profiles == [.slow("backend", requestsPerSecond: 10)])

            traffic.stop(service: "backend")
            traffic.advance(bySeconds: 1)
            #expect(value(exposition(metrics), #"http_request_duration_seconds_count{service="backend"}"#) == 31)
            #expect(traffic.profiles.isEmpty)
        }

        @Test("the same seed draws the same latencies")
        func seededLatencies() {
            func sums(seed: UInt64) -> Double? {
                let metrics = SandboxMetrics()
                let traffic = SandboxTraffic(metrics: metrics, seed: seed)
                traffic.set(.healthy("frontend", requestsPerSecond: 50))
                traffic.advance(bySeconds: 1)
                return value(exposition(metrics), #"http_request_duration_seconds_sum{service="frontend"}"#)
            }
            #expect(sums(seed: 7) == sums(seed: 7))
            #expect(sums(seed: 7) != sums(seed: 8))
            let mean = (sums(seed: 7) ?? 0) / 50
            #expect(mean > 0.09 && mean < 0.11, "mean latency \(mean) s")
        }

        @Test("the server serves /metrics, records and streams traffic, sets gauges, and signals each scrape")
        func serverRoutes() async throws {
            let server = SandboxMetricsServer()
            try await withLoopbackServices([server]) { client in
                let base = await server.endpoint()
                try #require(base.hasPrefix("http://127.0.0.1:"))

                let recorded = try await call(
                    client,
                    .POST,
                    base + "/traffic",
                    #"{"service":"api","latency_seconds":2.7,"status":502,"count":3}"#
                )
                #expect(recorded.status == 200)
                let streaming = try await call(
                    client,
                    .PUT,
                    // Another service: a request it streams before the DELETE must not land in api's series.
                    base + "/traffic/web",
                    #"{"requests_per_second":5,"latency":"slow","error_ratio":0.5}"#
                )
                #expect(streaming.status == 200)
                #expect(
                    server.traffic.profiles == [
                        TrafficProfile(service: "web", requestsPerSecond: 5, latency: .slow, errorRatio: 0.5)
                    ]
                )
                let stopped = try await call(client, .DELETE, base + "/traffic/web")
                #expect(stopped.status == 200)
                #expect(server.traffic.profiles.isEmpty)
                let gauges = try await call(client, .PUT, base + "/infrastructure/api", #"{"cpu_ratio":0.97}"#)
                #expect(gauges.status == 200)

                async let scraped = server.nextScrape()
                let metrics = try await call(client, .GET, base + "/metrics")
                #expect(await scraped == 1)
                #expect(metrics.status == 200)
                #expect(metrics.contentType?.hasPrefix("text/plain; version=0.0.4") == true)
                #expect(value(metrics.body, #"http_requests_total{service="api",code="502"}"#) == 3)
                #expect(value(metrics.body, #"http_request_duration_seconds_bucket{service="api",le="3.0"}"#) == 3)
                #expect(value(metrics.body, #"process_cpu_ratio{service="api"}"#) == 0.97)
                #expect(server.scrapeCount == 1)
            }
        }

        @Test(
            "the server refuses what would not make a sensible series",
            arguments: [
                ("/traffic", #"{"service":"a b","latency_seconds":0.1}"#),
                ("/traffic", #"{"service":"api","latency_seconds":-1}"#),
                ("/traffic", #"{"service":"api","latency_seconds":0.1,"status":42}"#),
                ("/traffic", #"{"service":"api"}"#),
                ("/traffic/api", #"{"error_ratio":1.5}"#),
                ("/traffic/api", #"{"latency":"glacial"}"#),
                ("/infrastructure/api", #"{"memory_ratio":2}"#),
            ]
        )
        func rejectsNonsense(path: String, body: String) async throws {
            let server = SandboxMetricsServer()
            try await withLoopbackServices([server]) { client in
                let base = await server.endpoint()
                let method: HTTPMethod = path == "/traffic" ? .POST : .PUT
                let answer = try await call(client, method, base + path, body)
                #expect(answer.status == 400, "\(answer.body)")
                #expect(server.traffic.profiles.isEmpty)
                #expect(server.metrics.exposition().isEmpty)
            }
        }

        @Test("a fixed port that is taken: run throws and the endpoint is empty")
        func portTaken() async throws {
            let first = SandboxMetricsServer()
            try await withLoopbackServices([first]) { _ in
                let base = await first.endpoint()
                let port = try #require(Int(base.split(separator: ":").last ?? ""))
                let second = SandboxMetricsServer(port: port)
                await #expect(throws: (any Error).self) { try await second.run() }
                #expect(await second.endpoint() == "")
            }
        }
    }
}

private func exposition(_ metrics: SandboxMetrics) -> String {
    String(decoding: metrics.exposition(), as: UTF8.self)
}

/// The `le` label of a bucket line.
private func bucketBound(_ line: Substring) -> String? {
    guard let label = line.firstRange(of: #"le=""#) else { return nil }
    return String(line[label.upperBound...].prefix { $0 != "\"" })
}

/// The value of the series named exactly `series` (name and labels as exposed) in a text exposition.
private func value(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

private func call(
    _ client: HTTPClient, _ method: HTTPMethod, _ url: String, _ json: String? = nil
) async throws
    -> (status: Int, body: String, contentType: String?)
{
    var request = HTTPClientRequest(url: url)
    request.method = method
    if let json {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
    }
    let response = try await client.execute(request, timeout: .seconds(5))
    let body = try await response.body.collect(upTo: 1 << 20)
    return (Int(response.status.code), String(buffer: body), response.headers.first(name: "Content-Type"))
}
