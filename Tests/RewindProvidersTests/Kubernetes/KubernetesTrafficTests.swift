import Foundation
import RewindCore
import RewindPorts
import RewindProviders
import RewindSandbox
import RewindTestSupport
import Testing

@Suite("Kubernetes replica-ratio traffic")
struct KubernetesTrafficTests {
    typealias H = KubernetesHarness

    /// `web` (stable) and `web-canary`, 4 replicas each.
    private func traffic(_ h: KubernetesHarness) throws -> KubernetesReplicaTraffic {
        h.kube.addDeployment(
            namespace: H.namespace, name: "web-canary", images: ["registry.example/web:1.43"], replicas: 4)
        h.kube.setReplicas(4, namespace: H.namespace, name: "web")
        return try #require(
            KubernetesReplicaTraffic.make(h.spec(canary: "web-canary"), client: h.client, redactor: Redactor())
        )
    }

    private func replicas(_ h: KubernetesHarness) -> (stable: Int?, canary: Int?) {
        (
            h.kube.deployment(namespace: H.namespace, name: "web")?.replicas,
            h.kube.deployment(namespace: H.namespace, name: "web-canary")?.replicas
        )
    }

    @Test("the share is canary replicas over the total; setting it keeps the total")
    func shareByReplicas() async throws {
        try await withKubernetes { h in
            let traffic = try traffic(h)
            #expect(try await traffic.newVersionShare(service: "web") == 0.5)

            try await traffic.setNewVersionShare(0.25, service: "web")
            #expect(replicas(h) == (6, 2))
            #expect(try await traffic.newVersionShare(service: "web") == 0.25)
            let patches = h.kube.acceptedPatches
            #expect(
                patches.map(\.path) == [
                    "/apis/apps/v1/namespaces/shop/deployments/web/scale",
                    "/apis/apps/v1/namespaces/shop/deployments/web-canary/scale",
                ], "the stable side grows before the canary shrinks")
            #expect(patches.allSatisfy { $0.contentType == "application/merge-patch+json" })
            #expect(patches.last?.json?["spec"]?["replicas"]?.int == 2)

            try await traffic.setNewVersionShare(0.125, service: "web")
            #expect(replicas(h) == (7, 1))
            try await traffic.setNewVersionShare(0.0625, service: "web")
            #expect(replicas(h) == (8, 0), "halving always takes a replica away")
        }
    }

    @Test("idempotent: setting the current share writes nothing")
    func idempotent() async throws {
        try await withKubernetes { h in
            let traffic = try traffic(h)
            try await traffic.setNewVersionShare(0, service: "web")
            let written = h.kube.acceptedPatches.count
            try await traffic.setNewVersionShare(0, service: "web")
            #expect(h.kube.acceptedPatches.count == written)
            #expect(replicas(h) == (8, 0))
        }
    }

    @Test("no canary configured: no traffic controller; a share outside 0…1 is refused")
    func misuse() async throws {
        try await withKubernetes { h in
            #expect(KubernetesReplicaTraffic.make(h.spec(), client: h.client, redactor: Redactor()) == nil)
            let traffic = try traffic(h)
            await #expect(throws: ProviderError.self) { try await traffic.setNewVersionShare(1.5, service: "web") }
        }
    }

    @Test("403 on the scale subresource names the token and the RBAC verb")
    func forbiddenScale() async throws {
        try await withKubernetes { h in
            let traffic = try traffic(h)
            h.kube.permissions = ["get deployments/scale"]
            let error = await #expect(throws: ProviderError.self) {
                try await traffic.setNewVersionShare(0, service: "web")
            }
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("KUBE_TOKEN may patch deployments/scale in namespace shop") == true)
        }
    }
}
