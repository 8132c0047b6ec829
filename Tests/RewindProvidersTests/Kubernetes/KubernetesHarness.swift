import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSpecs
import RewindTestSupport
import Testing

@testable import RewindProviders

/// The running Kubernetes emulator, its API URL and an HTTP client for the provider.
///
/// Seeded with Deployment `shop/web` (3 replicas, `app: web`): revisions 1…3 run `web:1.40`, `web:1.41` and
/// `web:1.42` (live).
struct KubernetesHarness: Sendable {
    static let token = "kube-sa-token-3f9a1c77e0"
    static let namespace = "shop"
    static let images = ["registry.example/web:1.40", "registry.example/web:1.41", "registry.example/web:1.42"]
    static let context = ActionContext(incidentID: 7, current: nil)

    let kube: KubernetesEmulator
    let apiURL: String
    let client: HTTPClient

    func spec(
        token: String = KubernetesHarness.token, kind: KubernetesWorkloadKind = .deployment,
        deployment: String = "web", timeout: Duration = .seconds(5),
        method: KubernetesProviderSpec.Method = .rolloutUndo, canary: String? = nil
    ) -> KubernetesProviderSpec {
        KubernetesProviderSpec(
            namespace: Self.namespace, kind: kind, workload: deployment,
            cluster: KubernetesClusterSpec(
                server: .url(apiURL), credential: .token(ConfigText(token, isSecret: true)), authority: .systemRoots,
                credentialName: "KUBE_TOKEN"
            ),
            timeout: timeout, method: method, canaryDeployment: canary
        )
    }

    /// The provider of Deployment `deployment`, or of the workload of `kind` called so.
    func provider(
        token: String = KubernetesHarness.token, kind: KubernetesWorkloadKind = .deployment,
        deployment: String = "web", timeout: Duration = .seconds(5),
        method: KubernetesProviderSpec.Method = .rolloutUndo
    ) -> KubernetesProvider {
        KubernetesProvider(
            spec: spec(token: token, kind: kind, deployment: deployment, timeout: timeout, method: method),
            client: client, redactor: Redactor(secrets: [])
        )
    }

    /// The ReplicaSets of `shop/web`, newest revision first.
    var history: [KubernetesReplicaSetSnapshot] { kube.replicaSets(namespace: Self.namespace, deployment: "web") }

    /// The ReplicaSet that ran `image`.
    func replicaSet(running image: String) throws -> KubernetesReplicaSetSnapshot {
        try #require(history.first { $0.image == image })
    }

    var web: KubernetesDeploymentSnapshot? { kube.deployment(namespace: Self.namespace, name: "web") }

    /// A target deployment as the engine passes it.
    static func target(_ id: String, version: String = "registry.example/web:1.41") -> Deployment {
        Deployment(
            service: "web", id: id, version: version, deployedAt: Timestamp(millisecondsSinceEpoch: 1_000),
            trust: .knownGood
        )
    }

    /// Polls `status` until it is no longer in progress (at most 10 times).
    static func follow(
        _ provider: KubernetesProvider, _ operation: RollbackOperation, service: ServiceName, target: Deployment
    ) async throws -> [OperationStatus] {
        var statuses: [OperationStatus] = []
        for _ in 0..<10 {
            let status = try await provider.status(of: operation, service: service, target: target)
            statuses.append(status)
            if status != .inProgress { break }
        }
        return statuses
    }

    /// "METHOD path" of every request received, oldest first.
    var calls: [String] { kube.requests.map { "\($0.method) \($0.path)" } }
}

/// Runs the Kubernetes emulator (seeded as ``KubernetesHarness`` says) for the duration of `body`, then releases
/// delayed requests, shuts the client down and stops the server with a graceful shutdown.
func withKubernetes<T: Sendable>(_ body: @Sendable (KubernetesHarness) async throws -> T) async throws -> T {
    let kube = KubernetesEmulator(token: KubernetesHarness.token)
    kube.addDeployment(namespace: KubernetesHarness.namespace, name: "web", images: KubernetesHarness.images)
    let server = KubernetesEmulatorServer(emulator: kube)
    return try await withLoopbackServices([server], beforeShutdown: { kube.releaseDelayedRequests() }) { client in
        let apiURL = await server.endpoint()
        try #require(apiURL.hasPrefix("http://127.0.0.1:"))
        return try await body(KubernetesHarness(kube: kube, apiURL: apiURL, client: client))
    }
}

/// A self-signed CA certificate (public test material, no key), for TLS configuration tests.
let kubernetesTestCA = """
    -----BEGIN CERTIFICATE-----
    MIIBnzCCAUWgAwIBAgIUTX2Cwk9FbFdZLiATDDM9DvBvrJ8wCgYIKoZIzj0EAwIw
    JDEiMCAGA1UEAwwZcmV3aW5kLXRlc3Qta3ViZXJuZXRlcy1jYTAgFw0yNjExMjcx
    MzU1MzBaGA8yMTI2MTEwMzEzNTUzMFowJDEiMCAGA1UEAwwZcmV3aW5kLXRlc3Qt
    a3ViZXJuZXRlcy1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABDcJjnGWCVUi
    PiQzS6xr44cK8e3sZY25yKt7VwpGiL0NvcxR+IlwPGaBUiLOjIK/9HvY5M6ZBPue
    BnWbckcUyP6jUzBRMB0GA1UdDgQWBBQKNOIfyk2xcj+GLbxVzaZslWWpiDAfBgNV
    HSMEGDAWgBQKNOIfyk2xcj+GLbxVzaZslWWpiDAPBgNVHRMBAf8EBTADAQH/MAoG
    CCqGSM49BAMCA0gAMEUCIHkpokDjAxO9bTjdpaB+2vcHe9TgF1l7DWQmj1vCcgjs
    AiEA04RKzGdaL1G7agnObfm7YyXoFqMlncvzng27U2wd6iA=
    -----END CERTIFICATE-----
    """
