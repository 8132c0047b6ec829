import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindCore
import RewindPorts

/// What a platform answered.
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    /// The body as JSON, or nil when it is not JSON.
    func json() -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: body)
    }
}

/// Sends one rendered request with a deadline and turns every failure into a ``ProviderError``
/// whose message names the service and the URL (without its query) and never a header value.
struct HTTPExchange: Sendable {
    static let maxBodyBytes = 1024 * 1024

    let client: HTTPClient
    let redactor: Redactor
    let timeout: Duration

    /// - Parameters:
    ///   - purpose: what the call is for, as in "could not <purpose> for <service>".
    ///   - accepts: the statuses that count as success.
    func send(
        _ request: RenderedRequest, purpose: String, service: ServiceName, accepts: (Int) -> Bool
    ) async throws -> HTTPAnswer {
        let context = failure(request, purpose: purpose, service: service)
        let answer: HTTPAnswer
        do {
            answer = try await Self.execute(request, client: client, timeout: timeout)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw context.transportError(error, timeout: timeout)
        }
        guard accepts(answer.status) else { throw context.statusError(answer) }
        return answer
    }

    /// How to word a failure of this request.
    func failure(_ request: RenderedRequest, purpose: String, service: ServiceName) -> FailureContext {
        FailureContext(
            purpose: purpose, service: service, method: request.method, safeURL: request.safeURL,
            credentialHeader: request.credentialHeader, redactor: redactor
        )
    }

    private static func execute(
        _ rendered: RenderedRequest, client: HTTPClient, timeout: Duration
    ) async throws
        -> HTTPAnswer
    {
        var request = HTTPClientRequest(url: rendered.url)
        request.method = HTTPMethod(rawValue: rendered.method)
        for header in rendered.headers { request.headers.add(name: header.name, value: header.value) }
        if let body = rendered.body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let started = ContinuousClock.now
        // AsyncHTTPClient's deadline covers connecting and the response head; it reports the
        // underlying connection error when connecting failed until then. The body gets what is left.
        let response = try await client.execute(request, timeout: .milliseconds(timeout.milliseconds))
        let remaining = timeout - (ContinuousClock.now - started)
        let bytes = try await withDeadline(remaining, clock: SystemClock()) {
            try await response.body.collect(upTo: maxBodyBytes)
        }
        let body = Data(bytes.readableBytesView)
        return HTTPAnswer(status: Int(response.status.code), headers: response.headers, body: body)
    }
}

/// Builds the messages of failed calls.
struct FailureContext: Sendable {
    var purpose: String
    var service: ServiceName
    var method: String
    var safeURL: String
    var credentialHeader: String?
    var redactor: Redactor

    private var call: String { "\(method) \(safeURL)" }

    func error(_ kind: ProviderError.Kind, _ reason: String, retryAfter: Duration? = nil) -> ProviderError {
        ProviderError(
            kind, redactor.redact("could not \(purpose) for \(service): \(reason) (\(call))"), retryAfter: retryAfter
        )
    }

    /// A refusal Rewind made itself, from what it read, before sending the call: the message says
    /// nothing was sent instead of naming the call as if it had been made.
    func refusal(_ kind: ProviderError.Kind, _ reason: String) -> ProviderError {
        ProviderError(kind, redactor.redact("could not \(purpose) for \(service): \(reason) (nothing was sent)"))
    }

    func transportError(_ error: any Error, timeout: Duration) -> ProviderError {
        if error is DeadlineExceeded || (error as? HTTPClientError).map(HTTPClientError.timeouts.contains) == true {
            return self.error(.timeout, "the platform did not answer within \(timeout.rewindDescription)")
        }
        if error is NIOTooManyBytesError {
            return self.error(.badResponse, "the response is larger than \(HTTPExchange.maxBodyBytes / 1024) KiB")
        }
        return self.error(.connection, "the connection failed (\(Self.describe(error)))")
    }

    func statusError(_ answer: HTTPAnswer) -> ProviderError {
        let status = answer.status
        let said = platformMessage(answer).map { "; the platform said: \($0)" } ?? ""
        switch status {
        case 429:
            let retryAfter = RetryAfter.parse(answer.headers.first(name: "Retry-After"))
            let wait = retryAfter.map { ", retry after \($0.rewindDescription)" } ?? ""
            return error(.rateLimited, "the platform is rate limiting (429)\(wait)", retryAfter: retryAfter)
        case 401, 403:
            let check = credentialHeader.map { "check the \($0) header's token" } ?? "check the platform token"
            return error(.auth, "the platform refused the credentials (\(status)): \(check)\(said)")
        case 404:
            return error(.notFound, "the platform does not know it (404)\(said)")
        case 500...599:
            return error(.server, "the platform failed (\(status))\(said)")
        case 400...499:
            return error(.rejected, "the platform rejected the request (\(status))\(said)")
        default:
            return error(.badResponse, "unexpected status \(status)\(said)")
        }
    }

    /// The platform's own error text (`error`, `message`, `error.message`), short.
    private func platformMessage(_ answer: HTTPAnswer) -> String? {
        guard let json = answer.json() else { return nil }
        let text = ["error.message", "error", "message"].lazy.compactMap { json.value(at: $0)?.stringValue }.first
        return text.map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError, error == .remoteConnectionClosed {
            return "the platform closed the connection"
        }
        let text = String(describing: error)
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

extension HTTPClientError {
    static let timeouts: [HTTPClientError] = [
        .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .getConnectionFromPoolTimeout,
        .tlsHandshakeTimeout,
    ]
}
