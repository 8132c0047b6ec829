import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindProviders
import RewindSandbox
import RewindSpecs
import RewindTestSupport
import Testing

/// `traffic: {type: kubernetes}` built by the factory, against the Kubernetes emulator: `shop/web` (stable) and
/// `shop/web-canary`, 4 replicas each.
@Suite("Traffic: Kubernetes replica ratio")
struct KubernetesTrafficControllerTests {
    typealias H = KubernetesHarness

    private static func spec(
        _ h: KubernetesHarness,
        token: String = H.token,
        timeout: Duration = .seconds(5)
    )
        -> TrafficSpec
    {
        .kubernetes(
            KubernetesTrafficSpec(
                namespace: H.namespace,
                stable: "web",
                canary: "web-canary",
                cluster: KubernetesClusterSpec(
                    server: .url(h.apiURL),
                    credential: .token(ConfigText(token, isSecret: true)),
                    authority: .systemRoots,
                    credentialName: "KUBE_TOKEN"
                ),
                timeout: timeout
            )
        )
    }

    private static func controller(
        _ h: KubernetesHarness,
        token: String = H.token,
        timeout: Duration = .seconds(5)
    ) throws -> any TrafficController & AccessCheckable {
        h.kube.addDeployment(
            namespace: H.namespace,
            name: "web-canary",
            images: ["registry.example/web:1.43"],
            replicas: 4
        )
        h.kube.setReplicas(4, namespace: H.namespace, name: "web")
        return try TrafficControllerFactory.make(
            spec(h, token: token, timeout: timeout),
            client: h.client,
            redactor: Redactor()
        )
    }

    private static func replicas(_ h: KubernetesHarness) -> [Int?] {
        [
            h.kube.deployment(namespace: H.namespace, name: "web")?.replicas,
            h.kube.deployment(namespace: H.namespace, name: "web-canary")?.replicas,
        ]
    }

    @Test("reads the share, halves it, stops the canary, and a repeated share writes nothing")
    func gradualThenCanary() async throws {
        try await withKubernetes { h in
            let traffic = try Self.controller(h)
            #expect(traffic.kind == "kubernetes-replicas")
            #expect(try await traffic.newVersionShare(service: "web") == 0.5)

            try await traffic.setNewVersionShare(0.25, service: "web")
            #expect(Self.replicas(h) == [6, 2])
            #expect(try await traffic.newVersionShare(service: "web") == 0.25)

            try await traffic.setNewVersionShare(0.5, service: "web")
            #expect(Self.replicas(h) == [4, 4], "the canary grows first, then the stable side shrinks")

            try await traffic.setNewVersionShare(0, service: "web")
            #expect(Self.replicas(h) == [8, 0])
            let written = h.kube.acceptedPatches.count
            try await traffic.setNewVersionShare(0, service: "web")
            #expect(h.kube.acceptedPatches.count == written, "idempotent: the share is already 0")
            #expect(h.kube.acceptedPatches.allSatisfy { $0.path.hasSuffix("/scale") })
        }
    }

    @Test("a share outside 0…1 is refused before any call")
    func shareOutOfRange() async throws {
        try await withKubernetes { h in
            let traffic = try Self.controller(h)
            let before = h.kube.requests.count
            for share in [1.5, -0.1, Double.nan] {
                let error = await #expect(throws: ProviderError.self) {
                    try await traffic.setNewVersionShare(share, service: "web")
                }
                #expect(error?.kind == .rejected)
            }
            #expect(h.kube.requests.count == before)
        }
    }

    @Test("401 names the token's variable, never its value")
    func unauthorized() async throws {
        try await withKubernetes { h in
            let traffic = try Self.controller(h, token: "wrong-token-a71c")
            let error = await #expect(throws: ProviderError.self) { try await traffic.newVersionShare(service: "web") }
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("KUBE_TOKEN") == true)
            #expect(error?.message.contains("wrong-token-a71c") == false)
        }
    }

    @Test("403 names the token and the RBAC verb on deployments/scale")
    func forbidden() async throws {
        try await withKubernetes { h in
            let traffic = try Self.controller(h)
            h.kube.permissions = []
            let error = await #expect(throws: ProviderError.self) { try await traffic.newVersionShare(service: "web") }
            #expect(error?.kind == .auth)
            #expect(
                error?.message.contains("KUBE_TOKEN may get deployments/scale in namespace shop") == true
            )
            #expect(error?.message.contains(H.token) == false)
        }
    }

    @Test("5xx and 429 are transient; 429 carries Retry-After")
    func transient() async throws {
        try await withKubernetes { h in
            let traffic = try Self.controller(h)
            // Faults on the PATCH: both reads succeed, so no cancelled read can reach the emulator later.
            h.kube.failNext(1, status: 503, method: "PATCH")
            let server = await #expect(throws: ProviderError.self) {
                try await traffic.setNewVersionShare(0, service: "web")
            }
            #expect(server?.kind == .server)
            #expect(server?.isTransient == true)

            h.kube.failNext(1, status: 429, retryAfter: "7", method: "PATCH")
            let limited = await #expect(throws: ProviderError.self) {
                try await traffic.setNewVersionShare(0, service: "web")
            }
            #expect(limited?.kind == .rateLimited)
            #expect(limited?.retryAfter == .seconds(7))
            #expect(Self.replicas(h) == [4, 4], "nothing was moved")
        }
    }

    @Test("the deadline fires when the API server does not answer")
    func timeout() async throws {
        try await withKubernetes { h in
            let traffic = try Self.controller(h, timeout: .milliseconds(300))
            h.kube.delayNext(2)
            let error = await #expect(throws: ProviderError.self) { try await traffic.newVersionShare(service: "web") }
            #expect(error?.kind == .timeout)
            #expect(error?.isTransient == true)
        }
    }

    @Test("a malformed answer is a bad response")
    func malformed() async throws {
        try await withKubernetes { h in
            let traffic = try Self.controller(h)
            h.kube.malformedNext(2)
            let error = await #expect(throws: ProviderError.self) { try await traffic.newVersionShare(service: "web") }
            #expect(error?.kind == .badResponse)
        }
    }

    @Test("access check: reads both scales and reviews patch permissions, read-only")
    func access() async throws {
        try await withKubernetes { h in
            let traffic = try Self.controller(h)
            let checks = await traffic.checkAccess(service: "web")
            #expect(checks.count == 4)
            #expect(checks.map(\.passed) == [true, true, true, true])
            #expect(h.kube.acceptedPatches.isEmpty)

            h.kube.permissions = ["get deployments/scale"]
            let denied = await traffic.checkAccess(service: "web")
            #expect(denied.prefix(2).map(\.passed) == [true, true])
            let patchChecks = denied.suffix(2)
            #expect(patchChecks.map(\.passed) == [false, false])
            #expect(patchChecks.filter { $0.detail.contains("KUBE_TOKEN may not patch") }.count == 2)
        }
    }
}
