import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import RewindCore
import RewindPorts

/// One call to the API server, with the words its failure messages need.
struct KubernetesCall: Sendable {
    var method: HTTPMethod
    var path: String
    var query: [(name: String, value: String)] = []
    var body: Data?
    var contentType: String?
    /// The RBAC verb and resource the call needs (`patch`, `deployments/scale`), for 403 messages.
    var verb: String
    var resource: String
    /// What the call is for, as in "could not <purpose> for <service>".
    var purpose: String
    /// A guarded write: 409 Conflict and 422 (a failed `test` op) mean the object changed meanwhile, which is
    /// transient (the engine retries, and the provider re-reads and recomputes).
    var guardedWrite = false

    static func get(
        _ path: String, query: [(name: String, value: String)] = [], verb: String = "get",
        resource: String, purpose: String
    ) -> KubernetesCall {
        KubernetesCall(method: .GET, path: path, query: query, verb: verb, resource: resource, purpose: purpose)
    }
}

/// Where the API server is and who Rewind is there, resolved for one call: the in-cluster environment and the
/// token and CA files are read each time, so rotated ServiceAccount tokens are picked up.
struct KubernetesConnection: Sendable {
    var baseURL: String
    var token: String
    /// Nil: the client's default (system roots), or plain http.
    var tls: TLSConfiguration?

    static func resolve(
        _ cluster: KubernetesClusterSpec, environment: [String: String]
    ) throws(KubernetesSetupError)
        -> KubernetesConnection
    {
        let baseURL = try serverURL(cluster.server, environment: environment)
        let token = try bearerToken(cluster)
        let tls = baseURL.lowercased().hasPrefix("https://") ? try tlsConfiguration(cluster.authority) : nil
        return KubernetesConnection(baseURL: baseURL, token: token, tls: tls)
    }

    private static func serverURL(
        _ server: KubernetesClusterSpec.Server, environment: [String: String]
    )
        throws(KubernetesSetupError) -> String
    {
        switch server {
        case .url(let url):
            return url
        case .inCluster:
            guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
                let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
            else {
                throw KubernetesSetupError(
                    .connection,
                    "in_cluster is set but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not: Rewind does "
                        + "not run in a pod; use kubeconfig: or api_url: instead"
                )
            }
            return "https://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        }
    }

    private static func bearerToken(_ cluster: KubernetesClusterSpec) throws(KubernetesSetupError) -> String {
        switch cluster.credential {
        case .token(let token):
            return token.value
        case .tokenFile(let path):
            guard let data = FileManager.default.contents(atPath: path),
                let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                !text.isEmpty
            else {
                throw KubernetesSetupError(
                    .auth,
                    "cannot read \(cluster.credentialName); check that the pod mounts its ServiceAccount token "
                        + "(automountServiceAccountToken) or that the file exists"
                )
            }
            return text
        }
    }

    private static func tlsConfiguration(
        _ authority: KubernetesClusterSpec.Authority
    ) throws(KubernetesSetupError)
        -> TLSConfiguration?
    {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch authority {
        case .systemRoots:
            return nil
        case .insecureSkipVerify:
            tls.certificateVerification = .none
        case .pem(let text):
            tls.trustRoots = .certificates(try certificates(Array(text.utf8), source: "the kubeconfig's CA data"))
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KubernetesSetupError(.rejected, "cannot read the cluster CA \(path)")
            }
            tls.trustRoots = .certificates(try certificates(Array(data), source: "the cluster CA \(path)"))
        }
        return tls
    }

    private static func certificates(
        _ pem: [UInt8], source: String
    ) throws(KubernetesSetupError)
        -> [NIOSSLCertificate]
    {
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(pem), !certificates.isEmpty else {
            throw KubernetesSetupError(.rejected, "\(source) holds no PEM certificate")
        }
        return certificates
    }
}

/// A connection that cannot be set up (no in-cluster environment, no token file, a bad CA).
struct KubernetesSetupError: Error {
    var kind: ProviderError.Kind
    var reason: String

    init(_ kind: ProviderError.Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }
}

/// Sends calls to the API server with a deadline and turns every failure into a ``ProviderError`` that names the
/// service, the call (method and URL without its query) and, for 401/403, the credential to check — never a token.
struct KubernetesAPI: Sendable {
    static let maxBodyBytes = 4 * 1024 * 1024

    let cluster: KubernetesClusterSpec
    let namespace: String
    let timeout: Duration
    let client: HTTPClient
    let redactor: Redactor
    let environment: [String: String]

    /// `/apis/apps/v1/namespaces/{namespace}/…`
    func appsPath(_ rest: String) -> String {
        "/apis/apps/v1/namespaces/\(Self.segment(namespace))/\(rest)"
    }

    /// A percent-encoded path segment.
    static func segment(_ name: String) -> String {
        RenderedRequest.percentEncode(name)
    }

    /// Sends `call`; a status other than 2xx is thrown as a classified ``ProviderError``.
    func send(_ call: KubernetesCall, service: ServiceName) async throws -> HTTPAnswer {
        let connection: KubernetesConnection
        do {
            connection = try KubernetesConnection.resolve(cluster, environment: environment)
        } catch {
            throw ProviderError(
                error.kind, redactor.redact("could not \(call.purpose) for \(service): \(error.reason)"))
        }
        let url = connection.baseURL + call.path + Self.queryString(call.query)
        let context = KubernetesFailure(
            call: call, service: service, safeURL: connection.baseURL + call.path, cluster: cluster,
            namespace: namespace, redactor: Redactor(secrets: redactor.secrets + [connection.token])
        )
        let answer: HTTPAnswer
        do {
            answer = try await Self.execute(call, url: url, connection: connection, client: client, timeout: timeout)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw context.transportError(error, timeout: timeout)
        }
        guard (200...299).contains(answer.status) else { throw context.statusError(answer) }
        return answer
    }

    /// Sends `call` and decodes the object it answers.
    func object<T: Decodable>(_ type: T.Type, _ call: KubernetesCall, service: ServiceName) async throws -> T {
        let answer = try await send(call, service: service)
        do {
            return try JSONDecoder().decode(T.self, from: answer.body)
        } catch {
            throw ProviderError(
                .badResponse,
                redactor.redact(
                    "could not \(call.purpose) for \(service): Kubernetes answered \(answer.status) with a body that "
                        + "is not the expected object (\(call.method.rawValue) \(call.path))"
                )
            )
        }
    }

    private static func queryString(_ query: [(name: String, value: String)]) -> String {
        guard !query.isEmpty else { return "" }
        return "?" + query.map { "\(segment($0.name))=\(segment($0.value))" }.joined(separator: "&")
    }

    private static func execute(
        _ call: KubernetesCall, url: String, connection: KubernetesConnection, client: HTTPClient, timeout: Duration
    ) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = call.method
        request.tlsConfiguration = connection.tls
        request.headers.add(name: "Authorization", value: "Bearer \(connection.token)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "rewind")
        if let body = call.body {
            request.headers.add(name: "Content-Type", value: call.contentType ?? "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let started = ContinuousClock.now
        // AsyncHTTPClient's deadline covers connecting and the response head; the body gets what is left.
        let response = try await client.execute(request, timeout: .milliseconds(timeout.milliseconds))
        let remaining = timeout - (ContinuousClock.now - started)
        let bytes = try await withDeadline(remaining, clock: SystemClock()) {
            try await response.body.collect(upTo: maxBodyBytes)
        }
        return HTTPAnswer(
            status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }
}

/// Words the failure of one call, Kubernetes style: the `Status` object's message, and what to fix.
struct KubernetesFailure: Sendable {
    var call: KubernetesCall
    var service: ServiceName
    var safeURL: String
    var cluster: KubernetesClusterSpec
    var namespace: String
    var redactor: Redactor

    private var base: FailureContext {
        FailureContext(
            purpose: call.purpose, service: service, method: call.method.rawValue, safeURL: safeURL,
            credentialHeader: "Authorization", redactor: redactor
        )
    }

    func transportError(_ error: any Error, timeout: Duration) -> ProviderError {
        base.transportError(error, timeout: timeout)
    }

    func statusError(_ answer: HTTPAnswer) -> ProviderError {
        let status = try? JSONDecoder().decode(KubeStatus.self, from: answer.body)
        let reason = status?.reason.map { " \($0)" } ?? ""
        let said = status?.message.map { "; the API server said: \(Self.short($0))" } ?? ""
        let answered = "Kubernetes answered \(answer.status)\(reason)"
        switch answer.status {
        case 401:
            return base.error(
                .auth,
                "\(answered): check that \(cluster.credentialName) is a valid, unexpired token for this cluster\(said)"
            )
        case 403:
            return base.error(
                .auth,
                "\(answered): check that \(cluster.credentialName) may \(call.verb) \(call.resource) in namespace "
                    + "\(namespace) (RBAC: a Role allowing '\(call.verb)' on \(call.resource), bound to that "
                    + "ServiceAccount or user)\(said)"
            )
        case 404:
            return base.error(.notFound, "\(answered)\(said); check the namespace and the Deployment's name")
        case 429:
            let retryAfter = RetryAfter.parse(answer.headers.first(name: "Retry-After"))
            let wait = retryAfter.map { ", retry after \($0.rewindDescription)" } ?? ""
            return base.error(.rateLimited, "\(answered): the API server is throttling\(wait)", retryAfter: retryAfter)
        case 409:
            return changedMeanwhile(answered, said)
        case 422 where call.guardedWrite:
            return changedMeanwhile(answered, said)
        case 500...599:
            return base.error(.server, "\(answered): the API server failed\(said)")
        case 400...499:
            return base.error(.rejected, "\(answered): the API server rejected the request\(said)")
        default:
            return base.error(.badResponse, "unexpected status \(answer.status)\(said)")
        }
    }

    /// 409 Conflict, or 422 from a failed `test` op: transient, the engine retries and the provider recomputes.
    private func changedMeanwhile(_ answered: String, _ said: String) -> ProviderError {
        base.error(
            .server, "\(answered): the Deployment changed while Rewind was writing it; it is re-read on retry\(said)")
    }

    private static func short(_ text: String) -> String {
        text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}
