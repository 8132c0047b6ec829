import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindCore
import RewindPorts

/// A client of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`), for metric triggers,
/// `rewind status` and `providers check`.
///
/// Contract:
/// - A query is a `GET` with its parameters in the URL; when they would make the URL longer than
///   ``maxGETParametersLength`` it is a `POST` with the same parameters form-encoded, as the API allows.
/// - Every call has one deadline, `timeout`, over connecting, the response head and reading the body (at
///   most ``maxResponseBytes``); the same timeout goes to Prometheus as `timeout=` so that it stops working
///   on a query nobody waits for.
/// - Errors are ``PrometheusError``, classified by the envelope's `errorType`, then by the HTTP status.
///   Messages name the host and the query (truncated), never a configured header; header values are also
///   redacted from anything Prometheus echoes.
/// - A pooled keep-alive connection that the server closed as it was reused is retried once on a fresh
///   connection within the same deadline (queries are read-only).
/// - Cancelling the calling task throws `CancellationError`.
///
/// The caller owns `client` and shuts it down. Pass one that does not retry connection establishment (such as
/// ``HTTPHealthProber/makeHTTPClient()``): with AsyncHTTPClient's default retries, a refused connection is
/// retried until the deadline and reported as a timeout instead of `unavailable`.
public struct PrometheusClient: Sendable {
    /// Beyond this many bytes of encoded parameters, a query goes as a form-encoded `POST`.
    public static let maxGETParametersLength = 2048
    /// The largest response body read; a larger one is a `badResponse`.
    public static let maxResponseBytes = 32 << 20
    /// Prometheus rejects range queries with more points per series than this (`web/api/v1/api.go`).
    public static let maxPointsPerSeries: Int64 = 11_000

    /// The base URL as configured, e.g. `http://127.0.0.1:9090` or `https://proxy.example/prometheus`.
    public let baseURL: String
    public let timeout: Duration
    private let client: HTTPClient
    private let headers: [String: ConfigText]
    private let clock: any RewindClock
    private let text: PrometheusMessages

    /// The base URL safe for messages (no user info, no query string).
    var host: String { text.host }
    /// Removes configured header values from text that Prometheus echoes.
    var redactor: Redactor { text.redactor }

    /// - Parameters:
    ///   - headers: sent with every request (e.g. `Authorization` for a proxy); treated as secrets.
    ///   - timeout: the deadline of each call.
    ///   - clock: bounds each call by `timeout`; ``SystemClock`` in production.
    public init(
        baseURL: String,
        client: HTTPClient,
        headers: [String: ConfigText] = [:],
        timeout: Duration = .seconds(10),
        clock: any RewindClock = SystemClock()
    ) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.client = client
        self.headers = headers
        self.timeout = timeout
        self.clock = clock
        self.text = PrometheusMessages(
            host: Redactor.safeURL(base),
            redactor: Self.redactor(for: headers)
        )
    }

    /// Every header value, and its last word alone (the credential of `Bearer <token>`), as secrets.
    private static func redactor(for headers: [String: ConfigText]) -> Redactor {
        let values = headers.values.map(\.value)
        let credentials = values.compactMap { $0.split(separator: " ").last.map(String.init) }.filter { $0.count >= 8 }
        return Redactor(secrets: values + credentials)
    }

    // MARK: Queries

    /// `GET /api/v1/query` (`POST` form-encoded when the query is long). `at` nil = the server's now.
    public func instant(_ query: String, at: Timestamp? = nil) async throws -> PrometheusResult {
        try await instantResponse(query, at: at).result
    }

    /// ``instant(_:at:)`` with the warnings and infos Prometheus sent beside the result.
    public func instantResponse(_ query: String, at: Timestamp? = nil) async throws -> PrometheusResponse {
        var parameters = [("query", query)]
        if let at { parameters.append(("time", PrometheusWire.seconds(at))) }
        parameters.append(("timeout", PrometheusWire.seconds(timeout)))
        return try await send("/api/v1/query", parameters, query: query)
    }

    /// `GET /api/v1/query_range` (`POST` when long); `start` and `end` are inclusive.
    public func range(
        _ query: String,
        start: Timestamp,
        end: Timestamp,
        step: Duration
    ) async throws -> PrometheusResult {
        try await rangeResponse(query, start: start, end: end, step: step).result
    }

    /// ``range(_:start:end:step:)`` with the warnings and infos Prometheus sent beside the result.
    /// Throws `badQuery` without a request for what Prometheus would reject: `end < start`, `step <= 0`, more
    /// than ``maxPointsPerSeries`` points.
    public func rangeResponse(
        _ query: String,
        start: Timestamp,
        end: Timestamp,
        step: Duration
    ) async throws -> PrometheusResponse {
        if let problem = Self.rangeProblem(start: start, end: end, step: step) {
            throw text.failure(.badQuery, query: query, detail: problem)
        }
        let parameters = [
            ("query", query), ("start", PrometheusWire.seconds(start)), ("end", PrometheusWire.seconds(end)),
            ("step", PrometheusWire.seconds(step)), ("timeout", PrometheusWire.seconds(timeout)),
        ]
        return try await send("/api/v1/query_range", parameters, query: query)
    }

    // MARK: Health

    /// Whether Prometheus is up and ready: `GET /-/ready` answers 2xx. When that path is not there (a proxy
    /// exposing only the API answers 404), `GET /api/v1/status/buildinfo` answering 2xx counts. Never throws.
    public func ready() async -> Bool {
        for path in ["/-/ready", "/api/v1/status/buildinfo"] {
            guard let answer = try? await exchange(request(path, parameters: [])) else {
                return false
            }
            if (200..<300).contains(answer.status) { return true }
            if answer.status != 404 { return false }
        }
        return false
    }

    // MARK: Exchange

    private func send(
        _ path: String,
        _ parameters: [(String, String)],
        query: String
    ) async throws -> PrometheusResponse {
        let request = request(path, parameters: parameters)
        let answer: RawAnswer
        do {
            answer = try await exchange(request)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw text.failure(for: error, query: query, timeout: timeout)
        }
        return try interpret(answer, query: query)
    }

    private func exchange(_ request: HTTPClientRequest) async throws -> RawAnswer {
        let exchange = PrometheusExchange(
            client: client,
            request: request,
            deadline: .now() + .milliseconds(timeout.milliseconds)
        )
        return try await withDeadline(timeout, clock: clock) {
            try await exchange.runRetryingStaleConnection()
        }
    }

    private func request(_ path: String, parameters: [(String, String)]) -> HTTPClientRequest {
        let form = FormEncoding.encode(parameters)
        let usePOST = form.utf8.count > Self.maxGETParametersLength
        var request = HTTPClientRequest(url: baseURL + path + (usePOST || form.isEmpty ? "" : "?" + form))
        request.headers.add(name: "User-Agent", value: "rewind")
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            request.headers.replaceOrAdd(name: name, value: value.value)
        }
        if usePOST {
            request.method = .POST
            request.headers.replaceOrAdd(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        } else {
            request.method = .GET
        }
        return request
    }

    private func interpret(_ answer: RawAnswer, query: String) throws -> PrometheusResponse {
        let succeeded = (200..<300).contains(answer.status)
        switch PrometheusEnvelope.decode(answer.body) {
        case .success(let envelope) where envelope.status == "success" && succeeded:
            guard let result = envelope.result else {
                throw text.failure(.badResponse, query: query, detail: "a success without data", status: answer.status)
            }
            return PrometheusResponse(result: result, warnings: envelope.warnings, infos: envelope.infos)
        case .success(let envelope):
            let kind =
                envelope.errorType.flatMap(PrometheusError.Kind.init(errorType:))
                ?? PrometheusError.Kind(httpStatus: answer.status)
            throw text.failure(
                kind,
                query: query,
                detail: envelope.error,
                errorType: envelope.errorType,
                status: answer.status
            )
        case .failure(let problem) where succeeded:
            throw text.failure(.badResponse, query: query, detail: problem.reason, status: answer.status)
        case .failure:
            throw text.failure(PrometheusError.Kind(httpStatus: answer.status), query: query, status: answer.status)
        }
    }

    private static func rangeProblem(start: Timestamp, end: Timestamp, step: Duration) -> String? {
        let stepMs = step.milliseconds
        if stepMs <= 0 { return "the step must be positive, not \(step.rewindDescription)" }
        if end < start { return "the end (\(end)) is before the start (\(start))" }
        let points = (end.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / stepMs
        if points > maxPointsPerSeries {
            return "\(points) points per series is more than Prometheus's \(maxPointsPerSeries); use a longer step"
        }
        return nil
    }
}

/// What came back: a status and a (bounded) body.
struct RawAnswer: Sendable {
    var status: Int
    var body: Data
}

/// One request, read to the end.
private struct PrometheusExchange: Sendable {
    let client: HTTPClient
    let request: HTTPClientRequest
    let deadline: NIODeadline

    func runRetryingStaleConnection() async throws -> RawAnswer {
        do {
            return try await run()
        } catch  where ProbeFailureClassifier.isClosedConnection(error) && NIODeadline.now() < deadline {
            return try await run()
        }
    }

    private func run() async throws -> RawAnswer {
        let response = try await client.execute(request, deadline: deadline)
        let body = try await response.body.collect(upTo: PrometheusClient.maxResponseBytes)
        return RawAnswer(status: Int(response.status.code), body: Data(body.readableBytesView))
    }
}

/// `application/x-www-form-urlencoded` (also valid as a URL query): every byte but the unreserved ones is
/// percent-encoded, so `+`, `&`, `=`, `#` and spaces in PromQL survive both ways.
enum FormEncoding {
    static func encode(_ parameters: [(String, String)]) -> String {
        parameters.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                output += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return output
    }
}
