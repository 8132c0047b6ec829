import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// Argo CD's API server, the three calls Rewind makes (server/application/application.proto,
/// docs/developer-guide/api-docs):
///
/// - `GET /api/v1/applications/{name}[?appNamespace=…]` → the `Application`.
/// - `PATCH /api/v1/applications/{name}` with `ApplicationPatchRequest` `{"name", "patch", "patchType": "merge",
///   "appNamespace"}` → the `Application`; the patch `{"spec":{"syncPolicy":{"automated":null}}}` turns automated
///   sync off (what `argocd app set NAME --sync-policy none` does).
/// - `POST /api/v1/applications/{name}/rollback` with `ApplicationRollbackRequest` `{"name", "id", "dryRun",
///   "prune", "appNamespace"}` → the `Application`. Refused with 400 (gRPC FailedPrecondition) while automated sync
///   is on: "rollback cannot be initiated when auto-sync is enabled".
///
/// Errors are grpc-gateway's `{"error", "code", "message"}`. Every request carries `Authorization: Bearer <token>`
/// (401 without a valid one, 403 when its RBAC lacks `applications, get|update|sync`). Reads are retried within
/// ``readAttempts`` on a transient failure (a 5xx, a timeout, a dropped connection), waiting on the injected clock;
/// writes are not: the engine decides, after re-reading the Application.
struct ArgoCDAPI: Sendable {
    /// Attempts of one read, the first included.
    static let readAttempts = 3
    /// The wait before the second attempt of a read; doubled before each next one.
    static let readRetryDelay: Duration = .milliseconds(500)

    let spec: ArgoCDSpec
    let transport: VendorTransport
    let clock: any RewindClock
    let service: ServiceName

    init(spec: ArgoCDSpec, client: HTTPClient, redactor: Redactor, service: ServiceName, clock: any RewindClock) {
        self.spec = spec
        self.service = service
        self.clock = clock
        transport = VendorTransport(
            vendor: "Argo CD", client: client, timeout: spec.timeout,
            redactor: Redactor(secrets: redactor.secrets + [spec.token.value]))
    }

    func application(purpose: String) async throws -> ArgoCDApplication {
        let request = VendorRequest(.GET, url(""), headers: headers)
        var attempt = 1
        var delay = Self.readRetryDelay
        while true {
            do {
                return try await decode(try await send(request, purpose: purpose), request, purpose)
            } catch let error as ProviderError where error.isTransient && attempt < Self.readAttempts {
                try await clock.sleep(for: max(delay, error.retryAfter ?? .zero))
                attempt += 1
                delay = delay * 2
            }
        }
    }

    /// Turns automated sync off: `spec.syncPolicy.automated` set to null by a JSON merge patch.
    func pauseAutoSync(purpose: String) async throws -> ArgoCDApplication {
        var body: [String: String] = [
            "name": spec.application, "patchType": "merge",
            "patch": #"{"spec":{"syncPolicy":{"automated":null}}}"#,
        ]
        body["appNamespace"] = spec.appNamespace
        let request = VendorRequest(.PATCH, url(""), headers: headers + json, body: VendorRequest.encode(body))
        return try await decode(try await send(request, purpose: purpose), request, purpose)
    }

    func rollback(to historyID: Int64, purpose: String) async throws -> ArgoCDApplication {
        let body = RollbackRequest(
            name: spec.application, id: historyID, dryRun: false, prune: spec.prune, appNamespace: spec.appNamespace)
        let request = VendorRequest(.POST, url("/rollback"), headers: headers + json, body: VendorRequest.encode(body))
        return try await decode(try await send(request, purpose: purpose), request, purpose)
    }

    // MARK: - Plumbing

    private struct RollbackRequest: Encodable {
        var name: String
        var id: Int64
        var dryRun: Bool
        var prune: Bool
        var appNamespace: String?
    }

    private var headers: [(name: String, value: String)] {
        [("Authorization", "Bearer \(spec.token.value)"), ("Accept", "application/json"), ("User-Agent", "rewind")]
    }

    private var json: [(name: String, value: String)] { [("Content-Type", "application/json")] }

    private func url(_ suffix: String) -> String {
        let query = spec.appNamespace.map { "?appNamespace=\(VendorRequest.segment($0))" } ?? ""
        return "\(spec.url)/api/v1/applications/\(VendorRequest.segment(spec.application))\(suffix)\(query)"
    }

    private func send(_ request: VendorRequest, purpose: String) async throws -> VendorAnswer {
        let fullPurpose = "\(purpose) for \(service)"
        let answer = try await transport.send(request, purpose: fullPurpose)
        guard answer.isSuccess else {
            let said = answer.decode(GatewayError.self).flatMap { $0.message ?? $0.error }
            throw transport.refusal(
                answer, request: request, purpose: fullPurpose, said: said, hints: hints,
                retryAfter: RetryAfter.parse(answer.header("Retry-After")),
                advice: Self.advice(said))
        }
        return answer
    }

    private func decode(_ answer: VendorAnswer, _ request: VendorRequest, _ purpose: String) throws -> ArgoCDApplication
    {
        guard let application = answer.decode(ArgoCDApplication.self) else {
            throw transport.unreadable(
                answer, request: request, purpose: "\(purpose) for \(service)", expected: "an Argo CD Application")
        }
        return application
    }

    private var hints: VendorRefusalHints {
        VendorRefusalHints(
            unauthorized: "\(spec.tokenSource) holds a valid, unexpired Argo CD token",
            forbidden:
                "the account or project role of \(spec.tokenSource) may get, update and sync applications "
                + "(p, ROLE, applications, get|update|sync, PROJECT/\(spec.application), allow)",
            notFound: "Argo CD has no Application \(spec.application); check application: under gitops:")
    }

    private static func advice(_ said: String?) -> String? {
        guard let said, said.lowercased().contains("auto-sync") else { return nil }
        return "automated sync is still on; turn it off with `argocd app set NAME --sync-policy none` and retry"
    }

    /// grpc-gateway's error body.
    private struct GatewayError: Decodable {
        var error: String?
        var message: String?
        var code: Int?
    }
}
