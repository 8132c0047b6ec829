import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindCore
import RewindPorts

/// What a vendor answered.
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func decode<T: Decodable>(_ type: T.Type) -> T? {
        try? JSONDecoder().decode(type, from: body)
    }

    var retryAfter: Duration? { RetryAfter.parse(headers.first(name: "Retry-After")) }
}

/// Posts one JSON payload for a channel, with a deadline, and turns every transport failure into a
/// ``ProviderError``. Deciding whether an answer is a success is the channel's business.
struct HTTPDelivery: Sendable {
    static let maxAnswerBytes = 256 * 1024

    let client: HTTPClient
    let timeout: Duration
    let target: DeliveryTarget

    /// - Parameter url: the full URL, secrets included; it never appears in an error.
    func post(
        _ url: String,
        headers: [(name: String, value: String)] = [],
        json body: Data
    ) async throws
        -> HTTPAnswer
    {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            ["http", "https"].contains(scheme),
            parsed.host != nil
        else {
            throw target.error(.rejected, "the channel's URL is not a valid http(s) URL")
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "Rewind")
        for header in headers {
            request.headers.replaceOrAdd(name: header.name, value: HTTPHeaderValue.withoutLineBreaks(header.value))
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            return try await Self.execute(request, client: client, timeout: timeout)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw target.transportError(error, timeout: timeout)
        }
    }

    private static func execute(
        _ request: HTTPClientRequest,
        client: HTTPClient,
        timeout: Duration
    ) async throws
        -> HTTPAnswer
    {
        let started = ContinuousClock.now
        // AsyncHTTPClient's deadline covers connecting and the response head; the body gets what is left.
        let response = try await client.execute(request, timeout: .milliseconds(timeout.milliseconds))
        let remaining = timeout - (ContinuousClock.now - started)
        let bytes = try await withDeadline(remaining, clock: SystemClock()) {
            try await response.body.collect(upTo: maxAnswerBytes)
        }
        return HTTPAnswer(
            status: Int(response.status.code),
            headers: response.headers,
            body: Data(bytes.readableBytesView)
        )
    }
}

/// A channel as named in error messages: its name, the vendor and the host it posts to — never the
/// path, query or credentials. Every message also goes through the redactor, which knows the
/// channel's own secrets (token, key, webhook URL and path) besides the configuration's.
struct DeliveryTarget: Sendable {
    var channel: String
    var vendor: String
    var host: String
    var redactor: Redactor
    /// Where the credential is configured, for "check …" (see ``ChannelCredential``).
    var credential: String

    /// - Parameters:
    ///   - url: the URL posted to; only its host is kept.
    ///   - secrets: the channel's credentials, redacted from every message (see ``secrets(ofURL:)``).
    ///   - credential: where the credential is configured, named when the vendor refuses it.
    init(channel: String, vendor: String, url: String, secrets: [String], credential: String, redactor: Redactor) {
        self.channel = channel
        self.vendor = vendor
        self.host = URL(string: url)?.host ?? "an invalid URL"
        self.credential = credential
        self.redactor = Redactor(secrets: redactor.secrets + secrets.filter { !$0.isEmpty })
    }

    /// The parts of a URL that is itself the credential (Slack and Teams webhooks): all of it, its
    /// path and its query.
    static func secrets(ofURL url: String) -> [String] {
        var secrets = [url]
        if let components = URLComponents(string: url) {
            if components.path.count > 1 { secrets.append(components.path) }
            if let query = components.query { secrets.append(query) }
        }
        return secrets
    }

    func error(_ kind: ProviderError.Kind, _ reason: String, retryAfter: Duration? = nil) -> ProviderError {
        ProviderError(
            kind,
            redactor.redact("could not notify channel \(channel) (\(vendor) at \(host)): \(reason)"),
            retryAfter: retryAfter
        )
    }

    func transportError(_ error: any Error, timeout: Duration) -> ProviderError {
        if error is DeadlineExceeded || (error as? HTTPClientError).map(HTTPClientError.timeouts.contains) == true {
            return self.error(.timeout, "\(vendor) did not answer within \(timeout.rewindDescription)")
        }
        if error is NIOTooManyBytesError {
            return self.error(.badResponse, "the answer is larger than \(HTTPDelivery.maxAnswerBytes / 1024) KiB")
        }
        if let error = error as? HTTPClientError, error == .remoteConnectionClosed {
            return self.error(.connection, "\(vendor) closed the connection")
        }
        return self.error(
            .connection,
            "the connection failed (\(String(describing: error).quotedForMessage(limit: 200)))"
        )
    }

    /// The usual meaning of an HTTP status that is not a success.
    ///
    /// 429 → rate limited (with `Retry-After`); 401/403 → auth; 408 → timeout; other 4xx → rejected;
    /// 5xx → server; anything else → bad response. `said` is the vendor's own error text, if any.
    func statusError(_ answer: HTTPAnswer, said: String?) -> ProviderError {
        let status = answer.status
        let detail = said.map { ": \($0.quotedForMessage())" } ?? ""
        switch status {
        case 429:
            let retryAfter = answer.retryAfter
            let wait = retryAfter.map { ", retry after \($0.rewindDescription)" } ?? ""
            return error(.rateLimited, "\(vendor) is rate limiting (429)\(wait)\(detail)", retryAfter: retryAfter)
        case 401, 403:
            return error(
                .auth,
                "\(vendor) refused the credentials (\(status))\(detail); check \(credential)"
            )
        case 408:
            return error(.timeout, "\(vendor) timed out the request (408)\(detail)")
        case 400...499:
            return error(.rejected, "\(vendor) rejected the message (\(status))\(detail)")
        case 500...599:
            return error(.server, "\(vendor) failed (\(status))\(detail)")
        default:
            return error(.badResponse, "unexpected status \(status)\(detail)")
        }
    }
}

extension HTTPClientError {
    static let timeouts: [HTTPClientError] = [
        .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .getConnectionFromPoolTimeout,
        .tlsHandshakeTimeout,
    ]
}

/// The JSON encoder of every channel payload: stable key order, `/` unescaped.
enum PayloadEncoder {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
