import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindCore
import RewindPorts

/// One request to a vendor's JSON API (Cloudflare, Unleash, LaunchDarkly, a generic flag service).
struct VendorRequest: Sendable {
    var method: HTTPMethod
    var url: String
    var headers: [(name: String, value: String)]
    var body: Data?

    init(_ method: HTTPMethod, _ url: String, headers: [(name: String, value: String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The URL without query string or user info: what messages may show.
    var safeURL: String { Redactor.safeURL(url) }
    var call: String { "\(method.rawValue) \(safeURL)" }

    /// `value` as one URL path segment (ids and flag keys taken from the configuration).
    static func segment(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )

    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own request values cannot fail (no floats that are not finite, no custom encoders).
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}

/// What a vendor answered.
struct VendorAnswer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    var isSuccess: Bool { (200...299).contains(status) }

    func decode<T: Decodable>(_ type: T.Type) -> T? {
        try? JSONDecoder().decode(type, from: body)
    }

    func json() -> JSONValue? { decode(JSONValue.self) }

    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// What to tell the user when a vendor refuses a call: which token to check for 401 and 403, and what a 404
/// means for this call. Never a token value.
struct VendorRefusalHints: Sendable {
    /// Completes "check that …" after a 401, e.g. "CLOUDFLARE_API_TOKEN holds a valid, unexpired API token".
    var unauthorized: String
    /// Completes "check that …" after a 403, e.g. "CLOUDFLARE_API_TOKEN has Load Balancing: … Write on account 1".
    var forbidden: String
    /// What a 404 means, e.g. "pool 9f8e7d does not exist in account 0123abcd".
    var notFound: String
}

/// Sends vendor requests with a deadline and words every failure as a ``ProviderError``:
/// "could not <purpose>: <what happened> (<METHOD url without query>)", with secrets redacted.
struct VendorTransport: Sendable {
    static let maxBodyBytes = 1024 * 1024

    let vendor: String
    let client: HTTPClient
    let timeout: Duration
    let redactor: Redactor

    /// Sends `request`; any status comes back as an answer. Transport failures throw: a missed deadline is
    /// `.timeout`, a refused or dropped connection `.connection`, an oversized body `.badResponse`.
    func send(_ request: VendorRequest, purpose: String) async throws -> VendorAnswer {
        do {
            return try await execute(request)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw transportError(error, request: request, purpose: purpose)
        }
    }

    func error(
        _ kind: ProviderError.Kind, _ reason: String, request: VendorRequest, purpose: String,
        retryAfter: Duration? = nil
    ) -> ProviderError {
        ProviderError(
            kind, redactor.redact("could not \(purpose): \(reason) (\(request.call))"), retryAfter: retryAfter)
    }

    /// Classifies a status the call does not accept. `said` is the vendor's own error text (shortened);
    /// `advice`, when given, is added to a rejected request's message as the next step.
    func refusal(
        _ answer: VendorAnswer, request: VendorRequest, purpose: String, said: String?, hints: VendorRefusalHints,
        retryAfter: Duration?, advice: String? = nil
    ) -> ProviderError {
        let status = answer.status
        let detail = said.map { " (\(Self.short($0)))" } ?? ""
        let answered = "\(vendor) answered \(status)"
        switch status {
        case 429:
            let wait = retryAfter.map { "; retry after \($0.rewindDescription)" } ?? ""
            return error(
                .rateLimited, "\(answered) too many requests\(detail)\(wait)", request: request, purpose: purpose,
                retryAfter: retryAfter
            )
        case 401:
            return error(
                .auth, "\(answered) unauthorized\(detail): check that \(hints.unauthorized)", request: request,
                purpose: purpose
            )
        case 403:
            return error(
                .auth, "\(answered) forbidden\(detail): check that \(hints.forbidden)", request: request,
                purpose: purpose
            )
        case 404:
            return error(
                .notFound, "\(answered) not found\(detail): \(hints.notFound)", request: request, purpose: purpose)
        case 500...599:
            return error(.server, "\(answered), a server error\(detail)", request: request, purpose: purpose)
        case 400...499:
            let next = advice.map { ": \($0)" } ?? ""
            return error(
                .rejected, "\(answered), the request was rejected\(detail)\(next)", request: request, purpose: purpose
            )
        default:
            return error(
                .badResponse, "\(answered), which was not expected\(detail)", request: request, purpose: purpose)
        }
    }

    /// A successful answer whose body is not what the contract says.
    func unreadable(_ answer: VendorAnswer, request: VendorRequest, purpose: String, expected: String) -> ProviderError
    {
        error(
            .badResponse, "\(vendor) answered \(answer.status) with a body that is not \(expected)", request: request,
            purpose: purpose
        )
    }

    static func short(_ text: String) -> String {
        let oneLine = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return oneLine.count > 200 ? String(oneLine.prefix(200)) + "…" : oneLine
    }

    // MARK: - Transport

    private func execute(_ vendorRequest: VendorRequest) async throws -> VendorAnswer {
        var request = HTTPClientRequest(url: vendorRequest.url)
        request.method = vendorRequest.method
        for header in vendorRequest.headers {
            request.headers.add(name: header.name, value: HTTPHeaderValue.withoutLineBreaks(header.value))
        }
        if let body = vendorRequest.body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let started = ContinuousClock.now
        // The client's deadline covers connecting and the response head; the body gets what is left.
        let response = try await client.execute(request, timeout: .milliseconds(timeout.milliseconds))
        let remaining = timeout - (ContinuousClock.now - started)
        let bytes = try await withDeadline(remaining, clock: SystemClock()) {
            try await response.body.collect(upTo: Self.maxBodyBytes)
        }
        return VendorAnswer(
            status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }

    private func transportError(_ error: any Error, request: VendorRequest, purpose: String) -> ProviderError {
        if error is DeadlineExceeded || (error as? HTTPClientError).map(HTTPClientError.timeouts.contains) == true {
            return self.error(
                .timeout, "\(vendor) did not answer within \(timeout.rewindDescription)", request: request,
                purpose: purpose
            )
        }
        if error is NIOTooManyBytesError {
            return self.error(
                .badResponse, "the answer is larger than \(Self.maxBodyBytes / 1024) KiB", request: request,
                purpose: purpose
            )
        }
        let described =
            (error as? HTTPClientError) == .remoteConnectionClosed
            ? "\(vendor) closed the connection" : Self.short(String(describing: error))
        return self.error(.connection, "the connection failed (\(described))", request: request, purpose: purpose)
    }
}
