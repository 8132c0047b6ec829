import RewindCore
import RewindPorts
import RewindSandbox
import RewindTestSupport
import Testing

@testable import RewindProviders

/// The deployment tracker's view of Kubernetes: the cursor is the Deployment's `resourceVersion`; while it is
/// unchanged a poll is one GET of the Deployment, and the ReplicaSets are not listed.
@Suite("Kubernetes incremental listing")
struct KubernetesIncrementalListingTests {
    private let deploymentPath = "/apis/apps/v1/namespaces/shop/deployments/web"
    private let replicaSetsPath = "/apis/apps/v1/namespaces/shop/replicasets"

    @Test("an unchanged resourceVersion: one GET of the Deployment, no ReplicaSet listing, live unchanged")
    func unchangedResourceVersion() async throws {
        try await withKubernetes { h in
            let provider = h.provider()
            let first = try await provider.listDeployments(service: "web", since: nil)
            #expect(first.deployments.map(\.version) == KubernetesHarness.images.reversed())
            #expect(!first.incremental)
            let live = try h.replicaSet(running: KubernetesHarness.images[2])
            guard case .current(let current?) = first.live else {
                Issue.record("the first poll reads the live ReplicaSet, got \(first.live)")
                return
            }
            #expect(current.id == live.name)
            #expect(h.calls == ["GET \(deploymentPath)", "GET \(replicaSetsPath)"])
            #expect(first.cursor != nil)

            h.kube.resetRequests()
            let second = try await provider.listDeployments(service: "web", since: first.cursor)
            #expect(second.deployments.isEmpty)
            #expect(second.incremental)
            #expect(second.live == .unchanged)
            #expect(second.cursor == first.cursor)
            #expect(h.calls == ["GET \(deploymentPath)"])
        }
    }

    @Test("a new revision changes the resourceVersion: the ReplicaSets are listed and the new one is live")
    func newRevision() async throws {
        try await withKubernetes { h in
            let provider = h.provider()
            let first = try await provider.listDeployments(service: "web", since: nil)
            h.kube.deploy(namespace: KubernetesHarness.namespace, name: "web", image: "registry.example/web:1.43")
            h.kube.resetRequests()
            let page = try await provider.listDeployments(service: "web", since: first.cursor)
            #expect(page.cursor != first.cursor)
            #expect(page.deployments.first?.version == "registry.example/web:1.43")
            guard case .current(let current?) = page.live else {
                Issue.record("a changed Deployment reads the live ReplicaSet, got \(page.live)")
                return
            }
            #expect(current.version == "registry.example/web:1.43")
            #expect(h.calls == ["GET \(deploymentPath)", "GET \(replicaSetsPath)"])
        }
    }

    @Test("a rollback (rollout undo) moves the cursor and the live ReplicaSet back, with the same id")
    func rollbackIsSeen() async throws {
        try await withKubernetes { h in
            let provider = h.provider()
            let first = try await provider.listDeployments(service: "web", since: nil)
            let target = try h.replicaSet(running: KubernetesHarness.images[1])
            _ = try await provider.rollback(
                service: "web", to: KubernetesHarness.target(target.name), context: KubernetesHarness.context)
            let page = try await provider.listDeployments(service: "web", since: first.cursor)
            guard case .current(let current?) = page.live else {
                Issue.record("a changed Deployment reads the live ReplicaSet, got \(page.live)")
                return
            }
            #expect(current.id == target.name)
            #expect(current.restores == nil)
        }
    }

    @Test("errors of an incremental poll: 403 names the credential, 429 carries Retry-After")
    func errorsAreClassified() async throws {
        try await withKubernetes { h in
            let forbidden = await #expect(throws: ProviderError.self) {
                try await h.provider(token: "kube-wrong-token").listDeployments(
                    service: "web", since: ListingCursor("1"))
            }
            #expect(forbidden?.kind == .auth)
            #expect(forbidden?.message.contains("KUBE_TOKEN") == true)
            #expect(forbidden?.message.contains("kube-wrong-token") == false)

            h.kube.failNext(1, status: 429, retryAfter: "4", method: "GET", path: "deployments/web")
            let limited = await #expect(throws: ProviderError.self) {
                try await h.provider().listDeployments(service: "web", since: ListingCursor("1"))
            }
            #expect(limited?.kind == .rateLimited)
            #expect(limited?.retryAfter == .seconds(4))
        }
    }
}
