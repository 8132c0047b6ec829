import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSignals
import RewindTestSupport
import Testing

@Suite("PrometheusClient: results")
struct PrometheusClientResultTests {
    @Test func decodesAnInstantVectorWithLabelsAndMillisecondTimes() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant(
                "histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m])))",
                [
                    .init(["service": "checkout"], 0.412, at: 1_767_265_200.123),
                    .init(["service": "search", "__name__": "p95"], 12, at: 1_767_265_200),
                ]
            )
            let result = try await prometheus.client().instant(
                "histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m])))"
            )
            #expect(
                result
                    == .vector([
                        PrometheusSample(
                            labels: ["service": "checkout"],
                            point: PrometheusPoint(at: promTime(1_767_265_200_123), value: 0.412)
                        ),
                        PrometheusSample(
                            labels: ["service": "search", "__name__": "p95"],
                            point: PrometheusPoint(at: promTime(1_767_265_200_000), value: 12)
                        ),
                    ])
            )
        }
    }

    @Test func decodesNaNAndInfinitiesAndExponentForms() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant(
                "values",
                [
                    .init(["v": "nan"], .nan), .init(["v": "+inf"], .infinity), .init(["v": "-inf"], -.infinity),
                    .init(["v": "tiny"], 1e-7), .init(["v": "huge"], 1e21), .init(["v": "negative"], -0.25),
                ]
            )
            let result = try await prometheus.client().instant("values", at: promTime(1_767_265_200_000))
            guard case .vector(let samples) = result else {
                Issue.record("expected a vector, got \(result)")
                return
            }
            let values = Dictionary(uniqueKeysWithValues: samples.map { ($0.labels["v"] ?? "", $0.point.value) })
            #expect(values["nan"]?.isNaN == true)
            #expect(values["+inf"] == .infinity)
            #expect(values["-inf"] == -.infinity)
            #expect(values["tiny"] == 1e-7)
            #expect(values["huge"] == 1e21)
            #expect(values["negative"] == -0.25)
            #expect(samples.allSatisfy { $0.point.at == promTime(1_767_265_200_000) })
        }
    }

    @Test func theEmulatorWritesValuesAndTimesAsPrometheusDoes() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant(
                "values",
                [
                    .init([:], .nan), .init([:], .infinity), .init([:], -.infinity), .init([:], 1e-7),
                    .init([:], 1), .init([:], 0.25), .init([:], 1e21),
                ]
            )
            let response = try await prometheus.http.execute(
                HTTPClientRequest(url: prometheus.base + "/api/v1/query?query=values&time=1767265200.123"),
                timeout: .seconds(5)
            )
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(response.status.code == 200)
            #expect(body.hasPrefix(#"{"status":"success","data":{"resultType":"vector","result":["#))
            for value in [#""NaN""#, #""+Inf""#, #""-Inf""#, #""1e-07""#, #""1""#, #""0.25""#, #""1e+21""#] {
                #expect(body.contains("[1767265200.123,\(value)]"), "missing \(value) in \(body)")
            }
        }
    }

    @Test func decodesAScalarAndAString() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant("scalar(1)", answer: .scalar(-.infinity))
            prometheus.emulator.setInstant("\"hello\"", answer: .string("hello \"world\""))
            let client = prometheus.client()
            let time = promTime(1_767_265_200_500)

            let scalar = try await client.instant("scalar(1)", at: time)
            let string = try await client.instant("\"hello\"", at: time)

            #expect(scalar == .scalar(PrometheusPoint(at: time, value: -.infinity)))
            #expect(string == .string(at: time, "hello \"world\""))
        }
    }

    @Test func decodesARangeQueryAndSendsItsParameters() async throws {
        try await withPrometheus { prometheus in
            let query = "sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))"
            prometheus.emulator.setRange(
                query,
                [
                    .constant(["service": "checkout"], 0.02),
                    .init(["service": "search"], points: [.init(at: 1_767_265_200, value: .nan)]),
                ]
            )
            let start = promTime(1_767_265_200_000)
            let end = promTime(1_767_265_260_000)
            let result = try await prometheus.client(timeout: .milliseconds(12_500))
                .range(query, start: start, end: end, step: .seconds(15))

            let expectedPoints = stride(from: Int64(0), through: 60_000, by: 15_000).map {
                PrometheusPoint(at: start + .milliseconds($0), value: 0.02)
            }
            #expect(
                result
                    == .matrix([
                        PrometheusSeries(labels: ["service": "checkout"], points: expectedPoints),
                        PrometheusSeries(
                            labels: ["service": "search"],
                            points: [PrometheusPoint(at: start, value: .nan)]
                        ),
                    ])
            )
            let request = try #require(prometheus.emulator.queryRequests.last)
            #expect(request.method == "GET")
            #expect(request.path == "/api/v1/query_range")
            #expect(request.query == query)
            #expect(request.parameters["start"] == "1767265200")
            #expect(request.parameters["end"] == "1767265260")
            #expect(request.parameters["step"] == "15")
            #expect(request.parameters["timeout"] == "12.5")
        }
    }

    @Test func keepsWarningsAndInfos() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant("up", [.init(["job": "api"], 1)], warnings: ["partial response"])
            let response = try await prometheus.client().instantResponse("up")
            #expect(response.warnings == ["partial response"])
            #expect(response.infos == [])
            guard case .vector(let samples) = response.result else {
                Issue.record("expected a vector")
                return
            }
            #expect(samples.map(\.point.value) == [1])
        }
    }

    @Test func anUnknownMetricIsAnEmptyVector() async throws {
        try await withPrometheus { prometheus in
            let result = try await prometheus.client().instant("nobody_exports_this")
            #expect(result == .vector([]))
        }
    }
}

@Suite("PrometheusClient: requests")
struct PrometheusClientRequestTests {
    @Test func sendsTheQueryTimeAndTimeoutAsURLParameters() async throws {
        try await withPrometheus { prometheus in
            let query = #"sum(rate(a{b="x+y&z #1 é"}[5m])) + 1"#
            prometheus.emulator.setInstant(query, [.init([:], 3)])
            let time = promTime(1_767_265_200_250)

            let result = try await prometheus.client(timeout: .seconds(10)).instant(query, at: time)

            #expect(result == .vector([PrometheusSample(labels: [:], point: PrometheusPoint(at: time, value: 3))]))
            let request = try #require(prometheus.emulator.queryRequests.last)
            #expect(request.method == "GET")
            #expect(request.path == "/api/v1/query")
            #expect(request.query == query)
            #expect(request.parameters["time"] == "1767265200.25")
            #expect(request.parameters["timeout"] == "10")
        }
    }

    @Test func leavesTheTimeToPrometheusWhenNoneIsGiven() async throws {
        try await withPrometheus { prometheus in
            _ = try await prometheus.client().instant("up")
            let request = try #require(prometheus.emulator.queryRequests.last)
            #expect(request.parameters["time"] == nil)
        }
    }

    @Test func aLongQueryGoesAsAFormEncodedPOST() async throws {
        try await withPrometheus { prometheus in
            let services = (0..<200).map { "service-\($0)" }.joined(separator: "|")
            let query = #"sum(rate(http_requests_total{service=~"\#(services)", code=~"5.."}[5m]))"#
            #expect(query.utf8.count > PrometheusClient.maxGETParametersLength)
            prometheus.emulator.setInstant(query, [.init([:], 0.5)])

            let result = try await prometheus.client().instant(query, at: promTime(1_767_265_200_000))

            #expect(
                result
                    == .vector([
                        PrometheusSample(
                            labels: [:],
                            point: PrometheusPoint(at: promTime(1_767_265_200_000), value: 0.5)
                        )
                    ])
            )
            let request = try #require(prometheus.emulator.queryRequests.last)
            #expect(request.method == "POST")
            #expect(request.contentType == "application/x-www-form-urlencoded")
            #expect(request.query == query)
            #expect(request.parameters["time"] == "1767265200")
        }
    }

    @Test func sendsTheConfiguredHeaders() async throws {
        try await withPrometheus { prometheus in
            let headers = ["Authorization": ConfigText("Bearer s3cret-proxy-token", isSecret: true)]
            _ = try await prometheus.client(headers: headers).instant("up")
            let request = try #require(prometheus.emulator.queryRequests.last)
            #expect(request.headers["authorization"] == "Bearer s3cret-proxy-token")
            #expect(request.headers["accept"] == "application/json")
        }
    }

    @Test func rejectsAnImpossibleRangeWithoutAsking() async throws {
        try await withPrometheus { prometheus in
            let client = prometheus.client()
            let start = promTime(1_767_265_200_000)
            for (end, step) in [
                (start - .seconds(60), Duration.seconds(15)), (start + .seconds(60), .zero),
                (start + .seconds(86_400 * 7), .seconds(1)),
            ] {
                let error = await #expect(throws: PrometheusError.self) {
                    _ = try await client.range("up", start: start, end: end, step: step)
                }
                #expect(error?.kind == .badQuery)
                #expect(error?.isTransient == false)
            }
            #expect(prometheus.emulator.queryRequests.isEmpty)
        }
    }

    @Test func aTrailingSlashInTheBaseURLIsFine() async throws {
        try await withPrometheus { prometheus in
            let client = PrometheusClient(baseURL: prometheus.base + "/", client: prometheus.http)
            let result = try await client.instant("up")
            #expect(result == .vector([]))
            #expect(prometheus.emulator.queryRequests.last?.path == "/api/v1/query")
        }
    }
}

@Suite("PrometheusClient: errors")
struct PrometheusClientErrorTests {
    @Test func aSyntaxErrorIsABadQuery() async throws {
        try await withPrometheus { prometheus in
            let error = await #expect(throws: PrometheusError.self) {
                _ = try await prometheus.client().instant("rate(x[5m] syntax error")
            }
            #expect(error?.kind == .badQuery)
            #expect(error?.errorType == "bad_data")
            #expect(error?.httpStatus == 400)
            #expect(error?.isTransient == false)
            #expect(error?.code == "prometheus_bad_query")
            #expect(error?.message.contains("parse error") == true)
            #expect(error?.message.contains("rate(x[5m] syntax error") == true)
            #expect(error?.message.contains(prometheus.base) == true)
        }
    }

    @Test func anExecutionErrorIsItsOwnKind() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant(
                "count({__name__=~\".+\"})",
                answer: .error(type: "execution", message: "query processing would load too many samples into memory")
            )
            let error = await #expect(throws: PrometheusError.self) {
                _ = try await prometheus.client().instant("count({__name__=~\".+\"})")
            }
            #expect(error?.kind == .execution)
            #expect(error?.errorType == "execution")
            #expect(error?.httpStatus == 422)
            #expect(error?.isTransient == false)
            #expect(error?.message.contains("too many samples") == true)
        }
    }

    @Test func anUnavailablePrometheusIsTransient() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setUnavailable(true)
            let error = await #expect(throws: PrometheusError.self) { _ = try await prometheus.client().instant("up") }
            #expect(error?.kind == .unavailable)
            #expect(error?.httpStatus == 503)
            #expect(error?.isTransient == true)
            #expect(error?.message.contains("HTTP 503") == true)
            #expect(error?.message.contains("Service Unavailable") == false)
        }
    }

    @Test func aQueryTimeoutReportedByPrometheusIsATimeout() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant(
                "heavy",
                answer: .error(type: "timeout", message: "query timed out in expression evaluation")
            )
            let error = await #expect(throws: PrometheusError.self) {
                _ = try await prometheus.client().instant("heavy")
            }
            #expect(error?.kind == .timeout)
            #expect(error?.httpStatus == 503)
            #expect(error?.isTransient == true)
        }
    }

    @Test func theDeadlineFiresAgainstASlowPrometheus() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant("up", [.init([:], 1)])
            prometheus.emulator.respondSlowly()
            let clock = ManualClock()
            let client = prometheus.client(timeout: .seconds(2), clock: clock)

            async let failure = #expect(throws: PrometheusError.self) { _ = try await client.instant("up") }
            await clock.waitForSleepers(1)
            await prometheus.emulator.waitForRequests(1)
            clock.advance(by: .seconds(2))
            let error = await failure

            #expect(error?.kind == .timeout)
            #expect(error?.isTransient == true)
            #expect(error?.message.contains("within 2s") == true)
            #expect(prometheus.emulator.queryRequests.first?.parameters["timeout"] == "2")
        }
    }

    @Test func aRefusedConnectionIsUnavailable() async throws {
        let refusing = try RefusingPort()
        let port = refusing.port
        let http = HTTPHealthProber.makeHTTPClient()
        let client = PrometheusClient(baseURL: "http://127.0.0.1:\(port)", client: http, timeout: .seconds(5))
        let error = await #expect(throws: PrometheusError.self) { _ = try await client.instant("up") }
        let ready = await client.ready()
        try await http.shutdown()

        #expect(error?.kind == .unavailable)
        #expect(error?.isTransient == true)
        #expect(error?.message.contains("connection refused") == true)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
        #expect(ready == false)
        withExtendedLifetime(refusing) {}
    }

    @Test func malformedJSONIsABadResponse() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant("cut", answer: .raw(status: 200, body: #"{"status":"success","data":{"re"#))
            prometheus.emulator.setInstant(
                "shape",
                answer: .raw(status: 200, body: #"{"status":"success","data":{"resultType":"vector","result":{}}}"#)
            )
            prometheus.emulator.setInstant(
                "type",
                answer: .raw(status: 200, body: #"{"status":"success","data":{"resultType":"table","result":[]}}"#)
            )
            prometheus.emulator.setInstant(
                "value",
                answer: .raw(
                    status: 200,
                    body: #"{"status":"success","data":{"resultType":"scalar","result":[1767265200,"lots"]}}"#
                )
            )
            for query in ["cut", "shape", "type", "value"] {
                let error = await #expect(throws: PrometheusError.self) {
                    _ = try await prometheus.client().instant(query)
                }
                #expect(error?.kind == .badResponse, "\(query)")
                #expect(error?.isTransient == false)
                #expect(error?.message.contains("`\(query)`") == true)
            }
        }
    }

    @Test func aProxyPageIsClassifiedByItsStatus() async throws {
        try await withPrometheus { prometheus in
            prometheus.emulator.setInstant(
                "bad-gateway",
                answer: .raw(status: 502, body: "<html>bad gateway</html>", contentType: "text/html")
            )
            prometheus.emulator.setInstant(
                "denied",
                answer: .raw(status: 401, body: "<html>log in</html>", contentType: "text/html")
            )

            let gateway = await #expect(throws: PrometheusError.self) {
                _ = try await prometheus.client().instant("bad-gateway")
            }
            #expect(gateway?.kind == .unavailable)
            #expect(gateway?.isTransient == true)

            let denied = await #expect(throws: PrometheusError.self) {
                _ = try await prometheus.client().instant("denied")
            }
            #expect(denied?.kind == .badResponse)
            #expect(denied?.httpStatus == 401)
            #expect(denied?.message.contains("headers") == true)
            #expect(denied?.message.contains("log in") == false)
        }
    }

    @Test func headersNeverAppearInMessages() async throws {
        try await withPrometheus { prometheus in
            let secret = "s3cret-proxy-token"
            prometheus.emulator.setInstant(
                "echo",
                answer: .error(type: "bad_data", message: "header Authorization: Bearer \(secret) is not allowed")
            )
            let client = prometheus.client(headers: ["Authorization": ConfigText("Bearer \(secret)", isSecret: true)])
            let error = await #expect(throws: PrometheusError.self) { _ = try await client.instant("echo") }
            #expect(error?.kind == .badQuery)
            #expect(error?.message.contains(secret) == false)
            #expect(error?.message.contains("<redacted>") == true)
        }
    }

    @Test func aLongQueryIsTruncatedInMessages() async throws {
        try await withPrometheus { prometheus in
            let query = "sum(" + String(repeating: "a", count: 500) + ") syntax error"
            let error = await #expect(throws: PrometheusError.self) { _ = try await prometheus.client().instant(query) }
            #expect(error?.kind == .badQuery)
            #expect(error?.message.contains(query) == false)
            #expect(error?.message.contains("sum(aaaa") == true)
            #expect(error?.message.contains("…`") == true)
        }
    }
}

@Suite("PrometheusClient: ready")
struct PrometheusClientReadyTests {
    @Test func followsTheReadinessEndpoint() async throws {
        try await withPrometheus { prometheus in
            let client = prometheus.client()
            #expect(await client.ready())

            prometheus.emulator.isReady = false
            #expect(await client.ready() == false)

            prometheus.emulator.isReady = true
            prometheus.emulator.setUnavailable(true)
            #expect(await client.ready() == false)

            prometheus.emulator.setUnavailable(false)
            #expect(await client.ready())
            #expect(prometheus.emulator.requests.contains { $0.path == "/-/ready" })
        }
    }
}
