import Foundation
import RewindCore
import RewindPorts
import RewindSpecs
import RewindTestSupport
import Testing

@testable import RewindProviders

/// Argo Rollouts: revisions are the Rollout's ReplicaSets; a rollback is `kubectl argo rollouts undo` (after `abort`
/// while a canary runs), followed by the Rollout's phase; traffic is abort and `promote --full`.
@Suite("Kubernetes Argo Rollouts against the emulated API server")
struct KubernetesArgoRolloutTests {
    typealias H = KubernetesHarness

    static let images = ["registry.example/shop:2.0", "registry.example/shop:2.1", "registry.example/shop:2.2"]

    /// Seeds Rollout `shop/shop` (images 2.0…2.2, the last stable; steps 20 %, pause, 50 %, pause) and returns its
    /// provider.
    static func seed(_ h: H) -> KubernetesProvider {
        h.kube.addRollout(namespace: H.namespace, name: "shop", images: images)
        h.kube.resetRequests()
        return h.provider(kind: .rollout, deployment: "shop")
    }

    static func replicaSet(_ h: H, running image: String) throws -> KubernetesReplicaSetSnapshot {
        try #require(h.kube.rolloutReplicaSets(namespace: H.namespace, rollout: "shop").first { $0.image == image })
    }

    static func traffic(_ h: H) -> ArgoRolloutTraffic {
        ArgoRolloutTraffic(
            spec: ArgoRolloutTrafficSpec(namespace: H.namespace, rollout: "shop", cluster: h.spec().cluster),
            client: h.client, redactor: Redactor(secrets: []))
    }

    /// Starts a canary of 2.3 and reads the Rollout until it waits at its first pause (20 %).
    static func startCanary(_ h: H) async throws {
        h.kube.deployRollout(namespace: H.namespace, name: "shop", image: "registry.example/shop:2.3")
        let traffic = traffic(h)
        for _ in 0..<5 {
            _ = try await traffic.newVersionShare(service: "shop")
            if h.kube.rollout(namespace: H.namespace, name: "shop")?.phase == "Paused" { break }
        }
        let rollout = try #require(h.kube.rollout(namespace: H.namespace, name: "shop"))
        try #require(rollout.phase == "Paused" && rollout.canaryWeight == 20)
    }

    static func follow(
        _ provider: KubernetesProvider, _ operation: RollbackOperation, target: Deployment
    ) async throws -> [OperationStatus] {
        try await H.follow(provider, operation, service: "shop", target: target)
    }

    @Test("the history is the Rollout's own ReplicaSets by rollout.argoproj.io/revision; live = status.currentPodHash")
    func listsOwnedReplicaSets() async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h)
            let listed = try await provider.listDeployments(service: "shop")
            #expect(listed.map(\.version) == Self.images.reversed())
            #expect(listed.map(\.id) == h.kube.rolloutReplicaSets(namespace: H.namespace, rollout: "shop").map(\.name))
            #expect(!listed.map(\.id).contains { $0.hasPrefix("web-") })
            #expect(h.calls.first == "GET /apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/shop")
            let current = try await provider.currentDeployment(service: "shop")
            #expect(current?.version == Self.images[2])
            try await Self.startCanary(h)
            #expect(try await provider.currentDeployment(service: "shop")?.version == "registry.example/shop:2.3")
        }
    }

    @Test(
        "during a canary: abort (status subresource), then the guarded undo to the stable ReplicaSet; never a ReplicaSet write"
    )
    func abortsThenUndoes() async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h)
            try await Self.startCanary(h)
            h.kube.resetRequests()
            let stable = try Self.replicaSet(h, running: Self.images[2])
            let target = H.target(stable.name, version: Self.images[2])
            let operation = try await provider.rollback(service: "shop", to: target, context: H.context)
            #expect(!operation.finished)
            let patches = h.kube.requests.filter { $0.method == "PATCH" }
            try #require(patches.count == 2)
            #expect(patches[0].path == "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/shop/status")
            #expect(patches[0].contentType == "application/merge-patch+json")
            #expect(patches[0].json == .object(["status": .object(["abort": .bool(true)])]))
            #expect(patches[1].path == "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/shop")
            #expect(patches[1].contentType == "application/json-patch+json")
            // Guarded on the resourceVersion the abort answered, not the one read before it.
            let abortAnswerVersion = patches[1].json?[0]?["value"]?.string
            #expect(patches[1].json?[0]?["op"]?.string == "test" && abortAnswerVersion != nil)
            #expect(patches.allSatisfy { $0.status == 200 })
            #expect(!h.kube.requests.contains { $0.method != "GET" && $0.path.contains("replicasets") })
            let statuses = try await Self.follow(provider, operation, target: target)
            #expect(statuses.last == .succeeded)
            let rollout = try #require(h.kube.rollout(namespace: H.namespace, name: "shop"))
            #expect(rollout.image == Self.images[2] && rollout.phase == "Healthy" && !rollout.abort)
            #expect(rollout.stableRS == rollout.currentPodHash)
            // Level-based: asked again, the target is live and healthy: nothing is sent.
            h.kube.resetRequests()
            let again = try await provider.rollback(service: "shop", to: target, context: H.context)
            #expect(again.finished && !h.calls.contains { $0.hasPrefix("PATCH") })
        }
    }

    @Test("a stale resourceVersion on the undo is a transient conflict; the retry re-reads and succeeds")
    func staleUndoIsTransient() async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h)
            let older = try Self.replicaSet(h, running: Self.images[1])
            h.kube.failNext(
                1, status: 409, method: "PATCH", path: "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/shop")
            let target = H.target(older.name, version: Self.images[1])
            await #expect(throws: ProviderError.self) {
                try await provider.rollback(service: "shop", to: target, context: H.context)
            }
            do {
                _ = try await provider.rollback(service: "shop", to: target, context: H.context)
            } catch let error as ProviderError {
                Issue.record("the retry failed: \(error.message)")
            }
            #expect(h.kube.rollout(namespace: H.namespace, name: "shop")?.image == Self.images[1])
        }
    }

    @Test("back to an older revision the steps run again: Paused waits, promote --full finishes, Degraded fails")
    func statusFollowsThePhase() async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h)
            let older = try Self.replicaSet(h, running: Self.images[1])
            let target = H.target(older.name, version: Self.images[1])
            let operation = try await provider.rollback(service: "shop", to: target, context: H.context)
            let waiting = try await Self.follow(provider, operation, target: target)
            #expect(waiting.count == 10 && waiting.allSatisfy { $0 == .inProgress })
            #expect(h.kube.rollout(namespace: H.namespace, name: "shop")?.phase == "Paused")
            try await Self.traffic(h).setNewVersionShare(1, service: "shop")
            #expect(try await Self.follow(provider, operation, target: target).last == .succeeded)
            #expect(
                h.kube.rollout(namespace: H.namespace, name: "shop")?.stableRS
                    == older.name.split(separator: "-").last.map(String.init))

            try await Self.startCanary(h)
            try await Self.traffic(h).setNewVersionShare(0, service: "shop")
            let degraded = try await provider.status(
                of: RollbackOperation(id: "generation-0", finished: false), service: "shop", target: target)
            guard case .failed(let reason) = degraded else {
                Issue.record("an aborted Rollout is Degraded, got \(degraded)")
                return
            }
            #expect(reason.contains("Degraded") && reason.contains("RolloutAborted"))
        }
    }

    @Test("traffic: the canary's step weight, abort to 0, promote --full (after retry) to 100 %, halving refused")
    func trafficIsAbortAndPromote() async throws {
        try await withKubernetes { h in
            _ = Self.seed(h)
            let traffic = Self.traffic(h)
            #expect(try await traffic.newVersionShare(service: "shop") == 1)
            try await Self.startCanary(h)
            #expect(try await traffic.newVersionShare(service: "shop") == 0.2)
            await #expect {
                try await traffic.setNewVersionShare(0.1, service: "shop")
            } throws: { error in
                (error as? ProviderError)?.kind == .unsupported
                    && (error as? ProviderError)?.message.contains("only through the steps") == true
            }
            h.kube.resetRequests()
            try await traffic.setNewVersionShare(0, service: "shop")
            #expect(try await traffic.newVersionShare(service: "shop") == 0)
            #expect(h.kube.rollout(namespace: H.namespace, name: "shop")?.abort == true)
            try await traffic.setNewVersionShare(1, service: "shop")
            let promote = try #require(h.kube.acceptedPatches.last)
            #expect(promote.path.hasSuffix("/rollouts/shop/status"))
            #expect(promote.json == .object(["status": .object(["abort": .bool(false), "promoteFull": .bool(true)])]))
            #expect(try await traffic.newVersionShare(service: "shop") == 1)
            #expect(!h.kube.requests.contains { $0.path.contains("replicasets") })
            _ = try await traffic.newVersionShare(service: "shop")
            let rollout = try #require(h.kube.rollout(namespace: H.namespace, name: "shop"))
            #expect(rollout.image == "registry.example/shop:2.3" && rollout.phase == "Healthy")
        }
    }

    @Test("providers check asks for rollouts, rollouts/status (argoproj.io), replicasets, pods and events")
    func accessChecks() async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h)
            h.kube.permissions = [
                "get rollouts", "patch rollouts", "list replicasets", "list pods", "create events",
            ]
            let checks = await provider.checkAccess(service: "shop")
            #expect(checks.first?.passed == true)
            let failed = checks.filter { !$0.passed }.map(\.name)
            #expect(failed == ["permission to patch rollouts/status shop in namespace shop"])
            #expect(checks.contains { !$0.passed && $0.detail.contains("apiGroup argoproj.io") })
            #expect(checks.contains { $0.name == "permission to create events in namespace shop" && $0.passed })
        }
    }

    @Test("set_image is refused for a Rollout's custom resource: the emulator answers 415 to a strategic merge patch")
    func strategicMergeIsRejectedByTheAPI() async throws {
        try await withKubernetes { h in
            _ = Self.seed(h)
            let provider = h.provider(kind: .rollout, deployment: "shop", method: .setImage)
            let older = try Self.replicaSet(h, running: Self.images[1])
            await #expect(throws: ProviderError.self) {
                try await provider.rollback(
                    service: "shop", to: H.target(older.name, version: Self.images[1]), context: H.context)
            }
            #expect(h.kube.rollout(namespace: H.namespace, name: "shop")?.image == Self.images[2])
        }
    }
}
