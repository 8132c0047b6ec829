import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// One call to the Vercel REST API: the bearer token, `teamId=` on every call, the request deadline,
/// and every failure classified into a ``ProviderError`` whose message says what to fix (naming the
/// variable that holds the token, never its value).
struct VercelAPI: Sendable {
    let spec: VercelProviderSpec
    let exchange: HTTPExchange
    let clock: any RewindClock

    init(spec: VercelProviderSpec, client: HTTPClient, redactor: Redactor, clock: any RewindClock) {
        self.spec = spec
        self.clock = clock
        exchange = HTTPExchange(client: client, redactor: redactor, timeout: spec.timeout)
    }

    /// What a call is for, used in its messages.
    struct Purpose: Sendable {
        /// As in "could not <action> for <service>".
        var action: String
        var service: ServiceName
        /// What a 404 means here, e.g. "Vercel does not know deployment dpl_1".
        var notFound: String
        /// What a 403 means here, when not "the token cannot access the team or project".
        var forbidden: String?
    }

    /// A request path: the segments are percent-encoded; `teamId` is added to the query unless the call
    /// is not about the team's resources (the token's user, a team itself).
    func request(
        _ method: String,
        _ segments: [String],
        query: [(String, String)] = [],
        jsonBody: Bool = false,
        teamScoped: Bool = true
    ) throws -> RenderedRequest {
        let path = segments.map(RenderedRequest.percentEncode).joined(separator: "/")
        var items = query
        if teamScoped, let team = spec.teamID { items.append(("teamId", team)) }
        let queryString = items.map { "\(RenderedRequest.percentEncode($0.0))=\(RenderedRequest.percentEncode($0.1))" }
            .joined(separator: "&")
        let url = "\(spec.apiURL)/\(path)" + (queryString.isEmpty ? "" : "?\(queryString)")
        let headers: [String: ConfigText] = [
            "Authorization": ConfigText("Bearer \(spec.token.value)", isSecret: true),
            "Accept": ConfigText("application/json"),
        ]
        let spec = HTTPRequestSpec(method: method, url: url, headers: headers, body: jsonBody ? .object([:]) : nil)
        do {
            return try RenderedRequest(spec, values: [:])
        } catch {
            throw ProviderError(.rejected, "the request to \(Redactor.safeURL(url)) cannot be encoded")
        }
    }

    /// Sends `request`; any status outside 2xx becomes a classified ``ProviderError``.
    func send(_ request: RenderedRequest, _ purpose: Purpose) async throws -> HTTPAnswer {
        let answer = try await sendAnyStatus(request, purpose)
        guard (200...299).contains(answer.status) else { throw statusError(answer, request, purpose) }
        return answer
    }

    /// Sends `request` with its deadline; only transport failures throw, whatever the status.
    func sendAnyStatus(_ request: RenderedRequest, _ purpose: Purpose) async throws -> HTTPAnswer {
        try await exchange.send(request, purpose: purpose.action, service: purpose.service) { _ in true }
    }

    /// Sends `request` and decodes a 2xx answer.
    func fetch<Value: Decodable>(
        _ type: Value.Type,
        _ request: RenderedRequest,
        _ purpose: Purpose
    ) async throws
        -> Value
    {
        let answer = try await send(request, purpose)
        return try decode(type, answer, request, purpose)
    }

    func decode<Value: Decodable>(
        _ type: Value.Type,
        _ answer: HTTPAnswer,
        _ request: RenderedRequest,
        _ purpose: Purpose
    ) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: answer.body)
        } catch {
            let what = answer.json() == nil ? "something that is not JSON" : "JSON without the expected fields"
            throw failure(request, purpose).error(.badResponse, "Vercel answered \(answer.status) with \(what)")
        }
    }

    func failure(_ request: RenderedRequest, _ purpose: Purpose) -> FailureContext {
        exchange.failure(request, purpose: purpose.action, service: purpose.service)
    }

    // MARK: - Errors

    /// The classification every Vercel call shares (platform-apis.md 1.7).
    func statusError(_ answer: HTTPAnswer, _ request: RenderedRequest, _ purpose: Purpose) -> ProviderError {
        let envelope = VercelErrorEnvelope(answer)
        let context = failure(request, purpose)
        let status = answer.status
        let said = "Vercel answered \(status)\(envelope.code.map { " \($0)" } ?? "")"
        let detail = envelope.message.map { " (\($0))" } ?? ""
        switch status {
        case 429:
            let retryAfter =
                RetryAfter.parse(answer.headers.first(name: "Retry-After")) ?? envelope.retryAfter(now: clock.now)
            let wait = retryAfter.map { "; retry after \($0.rewindDescription)" } ?? ""
            return context.error(
                .rateLimited,
                "\(said): Vercel is rate limiting\(wait)\(detail)",
                retryAfter: retryAfter
            )
        case 401:
            return context.error(.auth, "\(said): \(invalidTokenHint)\(detail)")
        case 403:
            return context.error(.auth, "\(said): \(purpose.forbidden ?? scopeHint)\(detail)")
        case 404:
            return context.error(.notFound, "\(said): \(purpose.notFound)\(detail)")
        case 409:
            return context.error(
                .rejected,
                "\(said): another rollback or promote is already running for project \(spec.project)\(detail)"
            )
        case 500...599:
            return context.error(.server, "\(said): Vercel failed\(detail)")
        case 400...499:
            return context.error(.rejected, "\(said): Vercel refused the request\(detail)")
        default:
            return context.error(.badResponse, "\(said): an unexpected status\(detail)")
        }
    }

    /// What to check when Vercel does not accept the token at all.
    var invalidTokenHint: String {
        "check that \(spec.tokenSource) holds a valid, unexpired Vercel access token"
    }

    /// What to check when the token is valid but not allowed here.
    var scopeHint: String {
        if let team = spec.teamID { return "check that \(spec.tokenSource) can access team \(team)" }
        return "check that \(spec.tokenSource) can access project \(spec.project) "
            + "(a project owned by a team also needs team_id)"
    }

    /// Where the project is looked up, for "does not know" messages.
    var scope: String {
        spec.teamID.map { "team \($0)" } ?? "the token's personal account (set team_id for a team project)"
    }
}

/// Vercel's error body: `{"error":{"code","message"}}`, some endpoints `{"err":…}`, else the raw text.
struct VercelErrorEnvelope: Sendable {
    var code: String?
    var message: String?
    /// `error.limit.resetMs` (or `reset`, in seconds) of a rate-limited answer.
    var resetMs: Int64?

    init(_ answer: HTTPAnswer) {
        guard let json = answer.json() else {
            let text = String(decoding: answer.body.prefix(200), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            message = text.isEmpty ? nil : text
            return
        }
        let error = json.value(at: "error") ?? json.value(at: "err")
        if case .object = error {
            code = error?.value(at: "code")?.stringValue
            message = error?.value(at: "message")?.stringValue
            if let ms = error?.value(at: "limit.resetMs").flatMap(Self.integer) {
                resetMs = ms
            } else if let seconds = error?.value(at: "limit.reset").flatMap(Self.integer) {
                resetMs = Saturating.multiply(seconds, 1000)
            }
        } else {
            message = error?.stringValue ?? json.value(at: "message")?.stringValue
        }
        if let text = message, text.count > 200 { message = String(text.prefix(200)) + "…" }
    }

    /// How long until the rate limit resets, when the body says (capped like any wait).
    func retryAfter(now: Timestamp) -> Duration? {
        resetMs.map { RetryAfter.until(epochMilliseconds: $0, now: now) }
    }

    /// A JSON number or numeric string as Int64, saturating (a reset time comes from outside).
    private static func integer(_ value: JSONValue) -> Int64? {
        switch value {
        case .number(let number): Saturating.integer(number)
        case .string(let text): Saturating.integer(text)
        default: nil
        }
    }
}
