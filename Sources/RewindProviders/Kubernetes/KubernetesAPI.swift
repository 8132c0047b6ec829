import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import RewindCore
import RewindPorts
import RewindSpecs

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
    /// The kind of object the call reads or writes (`StatefulSet`), as a 404 or 409 names it.
    var object = "Deployment"
    /// What the call is for, as in "could not <purpose> for <service>".
    var purpose: String
    /// A guarded write: 409 Conflict and 422 (a failed `test` op) mean the object changed meanwhile, which is
    /// transient (the engine retries, and the provider re-reads and recomputes).
    var guardedWrite = false

    static func get(
        _ path: String, query: [(name: String, value: String)] = [], verb: String = "get",
        resource: String, object: String = "Deployment", purpose: String
    ) -> KubernetesCall {
        KubernetesCall(
            method: .GET, path: path, query: query, verb: verb, resource: resource, object: object, purpose: purpose)
    }
}

/// Where the API server is and who Rewind is there, resolved for one call: the in-cluster environment, the token,
/// CA and client certificate files are read each time, so rotated ServiceAccount tokens and certificates are
/// picked up. An exec plugin's credential is applied by ``KubernetesAPI`` with ``applying(_:)``.
struct KubernetesConnection: Sendable {
    var baseURL: String
    /// The bearer token, if the credential has one (a client certificate has none).
    var token: String?
    /// Nil: the client's default (system roots), or plain http.
    var tls: TLSConfiguration?
    /// Values of this connection to take out of every message (the token, an inline client key).
    var secrets: [String] = []

    static func resolve(
        _ cluster: KubernetesClusterSpec, environment: [String: String]
    ) throws(KubernetesSetupError)
        -> KubernetesConnection
    {
        let baseURL = try serverURL(cluster.server, environment: environment)
        let https = baseURL.lowercased().hasPrefix("https://")
        var connection = KubernetesConnection(
            baseURL: baseURL, token: nil, tls: https ? try tlsConfiguration(cluster.authority) : nil
        )
        switch cluster.credential {
        case .token(let token):
            connection.token = token.value
            connection.secrets = [token.value]
        case .tokenFile:
            let token = try bearerToken(cluster)
            connection.token = token
            connection.secrets = [token]
        case .clientCertificate(let certificate):
            try connection.presenting(certificate, named: cluster.credentialName)
            connection.secrets = certificate.secrets
        case .exec:
            break
        }
        return connection
    }

    /// This connection with an exec plugin's credential: its token, its client certificate, or both.
    func applying(
        _ credential: KubernetesExecCredential, named name: String
    ) throws(KubernetesSetupError)
        -> KubernetesConnection
    {
        var connection = self
        connection.token = credential.token
        connection.secrets += credential.secrets
        if let certificate = credential.clientCertificate {
            try connection.presenting(certificate, named: name)
        }
        return connection
    }

    /// Mutual TLS: the certificate chain and key go into the TLS configuration (the cluster's CA or the system's
    /// trust store still verifies the server).
    private mutating func presenting(
        _ certificate: KubernetesClientCertificate, named name: String
    ) throws(KubernetesSetupError) {
        guard baseURL.lowercased().hasPrefix("https://") else {
            throw KubernetesSetupError(
                .rejected, "\(name) needs TLS, but the API server \(baseURL) is plain http; use its https:// URL")
        }
        let chain = try Self.certificates(
            try Self.read(certificate.certificate, what: "the client certificate", of: name),
            source: "the client certificate of \(name)")
        let keyBytes = try Self.read(certificate.key, what: "the client key", of: name)
        guard let key = try? NIOSSLPrivateKey(bytes: keyBytes, format: .pem) else {
            throw KubernetesSetupError(
                .rejected, "the client key of \(name) is not an unencrypted PEM private key (RSA, EC or Ed25519)")
        }
        var tls = tls ?? TLSConfiguration.makeClientConfiguration()
        tls.certificateChain = chain.map { .certificate($0) }
        tls.privateKey = .privateKey(key)
        self.tls = tls
    }

    private static func read(
        _ source: KubernetesClientCertificate.Source, what: String, of name: String
    ) throws(KubernetesSetupError) -> [UInt8] {
        switch source {
        case .pem(let text):
            return Array(text.utf8)
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KubernetesSetupError(.auth, "cannot read \(what) \(path) of \(name)")
            }
            return Array(data)
        }
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
        case .clientCertificate, .exec:
            return ""
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
///
/// With an exec credential plugin, the plugin's credential is cached (``KubernetesExecCache``) and a call the API
/// server answers 401 is sent once more with a new credential from the plugin.
struct KubernetesAPI: Sendable {
    static let maxBodyBytes = 4 * 1024 * 1024

    let cluster: KubernetesClusterSpec
    let namespace: String
    let timeout: Duration
    let client: HTTPClient
    let redactor: Redactor
    let environment: [String: String]
    /// The exec plugin's credential, when the cluster's credential is one.
    let execCache: KubernetesExecCache?

    /// - Parameter clock: when an exec plugin's credential expires.
    init(
        cluster: KubernetesClusterSpec, namespace: String, timeout: Duration, client: HTTPClient, redactor: Redactor,
        environment: [String: String], clock: any RewindClock = SystemClock()
    ) {
        self.cluster = cluster
        self.namespace = namespace
        self.timeout = timeout
        self.client = client
        self.redactor = redactor
        self.environment = environment
        if case .exec(let plugin) = cluster.credential {
            let runner = KubernetesExecRunner(
                plugin: plugin, name: cluster.credentialName, cluster: cluster, redactor: redactor)
            execCache = KubernetesExecCache(runner: runner, clock: clock)
        } else {
            execCache = nil
        }
    }

    /// `/apis/apps/v1/namespaces/{namespace}/…`
    func appsPath(_ rest: String) -> String {
        groupPath("apps/v1", rest)
    }

    /// `/apis/{group}/{version}/namespaces/{namespace}/…` (`argoproj.io/v1alpha1` for Argo Rollouts).
    func groupPath(_ groupVersion: String, _ rest: String) -> String {
        "/apis/\(groupVersion)/namespaces/\(Self.segment(namespace))/\(rest)"
    }

    /// `/api/v1/namespaces/{namespace}/…`: the core group (pods, events).
    func corePath(_ rest: String) -> String {
        "/api/v1/namespaces/\(Self.segment(namespace))/\(rest)"
    }

    /// A percent-encoded path segment.
    static func segment(_ name: String) -> String {
        RenderedRequest.percentEncode(name)
    }

    /// Sends `call`; a status other than 2xx is thrown as a classified ``ProviderError``.
    func send(_ call: KubernetesCall, service: ServiceName) async throws -> HTTPAnswer {
        let (first, credential) = try await connect(for: call, service: service)
        var connection = first
        var answer = try await exchange(call, connection: connection, service: service)
        if answer.status == 401, let execCache, let credential {
            // The plugin's credential was revoked or expired early: one new credential, one more try.
            await execCache.discard(credential)
            (connection, _) = try await connect(for: call, service: service)
            answer = try await exchange(call, connection: connection, service: service)
        }
        guard (200...299).contains(answer.status) else {
            throw failure(call, connection: connection, service: service).statusError(answer)
        }
        return answer
    }

    /// The connection for one call, with the exec plugin's credential when there is a plugin.
    private func connect(
        for call: KubernetesCall, service: ServiceName
    ) async throws -> (KubernetesConnection, KubernetesExecCredential?) {
        do {
            let connection = try KubernetesConnection.resolve(cluster, environment: environment)
            guard let execCache else { return (connection, nil) }
            let credential: KubernetesExecCredential
            do {
                credential = try await execCache.credential(baseURL: connection.baseURL)
            } catch let error as KubernetesSetupError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw KubernetesSetupError(.auth, "could not run \(cluster.credentialName)")
            }
            return (try connection.applying(credential, named: cluster.credentialName), credential)
        } catch let error as KubernetesSetupError {
            throw ProviderError(
                error.kind, redactor.redact("could not \(call.purpose) for \(service): \(error.reason)"))
        }
    }

    private func exchange(
        _ call: KubernetesCall, connection: KubernetesConnection, service: ServiceName
    ) async throws -> HTTPAnswer {
        let url = connection.baseURL + call.path + Self.queryString(call.query)
        do {
            return try await Self.execute(call, url: url, connection: connection, client: client, timeout: timeout)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw failure(call, connection: connection, service: service).transportError(error, timeout: timeout)
        }
    }

    private func failure(
        _ call: KubernetesCall, connection: KubernetesConnection, service: ServiceName
    ) -> KubernetesFailure {
        KubernetesFailure(
            call: call, service: service, safeURL: connection.baseURL + call.path, cluster: cluster,
            namespace: namespace, redactor: Redactor(secrets: redactor.secrets + connection.secrets)
        )
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
        if let token = connection.token {
            request.headers.add(name: "Authorization", value: HTTPHeaderValue.withoutLineBreaks("Bearer \(token)"))
        }
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
            return base.error(.auth, "\(answered): \(unauthorizedHint)\(said)")
        case 403:
            return base.error(
                .auth,
                "\(answered): check that \(cluster.credentialName) may \(call.verb) \(call.resource) in namespace "
                    + "\(namespace) (RBAC: a Role allowing '\(call.verb)' on \(call.resource), bound to that "
                    + "ServiceAccount or user)\(said)"
            )
        case 404:
            return base.error(.notFound, "\(answered)\(said); check the namespace and the \(call.object)'s name")
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

    /// What to check when the API server did not recognise the credential.
    private var unauthorizedHint: String {
        let name = cluster.credentialName
        switch cluster.credential {
        case .token, .tokenFile:
            return "check that \(name) is a valid, unexpired token for this cluster"
        case .clientCertificate:
            return "check that \(name) is signed by this cluster's client CA and has not expired"
        case .exec:
            return "the API server refused the credential of \(name) even after Rewind ran the plugin again; check "
                + "that the plugin signs in as an identity this cluster knows (EKS: an access entry or aws-auth)"
        }
    }

    /// 409 Conflict, or 422 from a failed `test` op: transient, the engine retries and the provider recomputes.
    private func changedMeanwhile(_ answered: String, _ said: String) -> ProviderError {
        base.error(
            .server,
            "\(answered): the \(call.object) changed while Rewind was writing it; it is re-read on retry\(said)")
    }

    private static func short(_ text: String) -> String {
        text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}
