import Foundation
import RewindCore
import RewindPorts
import RewindSpecs
import RewindTestSupport
import Testing

@testable import RewindProviders

@Suite("Flux: suspend, roll back in the cluster, revert in git")
struct FluxProviderTests {
    typealias H = KubernetesHarness

    static func fluxSpec(
        _ h: KubernetesHarness, kind: FluxSpec.Kind = .kustomization, git: GitProviderSpec?
    ) -> FluxSpec {
        FluxSpec(
            kind: kind, name: "shop-web", namespace: "flux-system", cluster: h.spec().cluster, timeout: .seconds(5),
            git: git)
    }

    static func provider(_ h: KubernetesHarness, _ spec: FluxSpec) -> FluxProvider {
        FluxProvider(
            spec: spec, wrapping: h.provider(), client: h.client, redactor: Redactor(secrets: [H.token]),
            service: "web", environment: [:])
    }

    /// Polls the Kubernetes provider's status until the rollout is done (each read advances the emulated controller).
    static func finish(_ provider: FluxProvider, _ operation: RollbackOperation, _ target: Deployment) async throws {
        for _ in 0..<10 {
            if try await provider.status(of: operation, service: "web", target: target) == .succeeded { return }
        }
        Issue.record("the rollout did not finish")
    }

    @Test(
        "suspends the Kustomization, rolls the Deployment back, reverts git to the target's commit, and says how to resume"
    )
    func fullFlow() async throws {
        try await withGitFixture { git in
            _ = try await git.commitAndPush("web 1.40", ["apps/web/image": "web:1.40\n"])
            let c2 = try await git.commitAndPush("web 1.41", ["apps/web/image": "web:1.41\n"])
            _ = try await git.commitAndPush("web 1.42", ["apps/web/image": "web:1.42\n"])
            try await git.cloneWorkingCopy()
            try await withKubernetes { h in
                h.kube.addFluxObject(kind: "Kustomization", name: "shop-web")
                let provider = Self.provider(h, Self.fluxSpec(h, git: git.spec(paths: ["apps/web"])))
                var target = H.target(try h.replicaSet(running: H.images[1]).name)
                target.commit = c2
                let operation = try await provider.rollback(service: "web", to: target, context: H.context)
                #expect(h.kube.fluxSuspended(kind: "Kustomization", name: "shop-web") == true)
                try await Self.finish(provider, operation, target)
                #expect(h.web?.image == H.images[1])
                #expect(try await git.remoteFile("apps/web/image") == "web:1.41\n")
                #expect(operation.notes.count == 2)
                #expect(
                    operation.notes[0].contains("Rewind suspended Flux Kustomization flux-system/shop-web (incident 7)")
                )
                #expect(operation.notes[0].contains("`flux resume kustomization shop-web -n flux-system`"))
                #expect(operation.notes[1].contains("reverted git to commit \(c2.prefix(12))"))
                let flux = h.kube.requests.filter { $0.path.contains("fluxcd.io") }
                #expect(
                    flux.map { "\($0.method) \($0.path)" } == [
                        "GET /apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/shop-web",
                        "PATCH /apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/shop-web",
                    ])
                #expect(flux.last?.contentType == "application/merge-patch+json")
                #expect(flux.last?.body == #"{"spec":{"suspend":true}}"#)
                let firstWorkloadWrite = try #require(
                    h.kube.requests.firstIndex { $0.method == "PATCH" && $0.path.contains("/deployments/") })
                let suspendWrite = try #require(
                    h.kube.requests.firstIndex { $0.method == "PATCH" && $0.path.contains("fluxcd.io") })
                #expect(suspendWrite < firstWorkloadWrite, "Flux is suspended before the cluster is touched")
            }
        }
    }

    @Test("a HelmRelease already suspended is left alone; without gitops.git the note says to revert by hand")
    func alreadySuspended() async throws {
        try await withKubernetes { h in
            h.kube.addFluxObject(kind: "HelmRelease", name: "shop-web", suspended: true)
            let provider = Self.provider(h, Self.fluxSpec(h, kind: .helmRelease, git: nil))
            let target = H.target(try h.replicaSet(running: H.images[0]).name)
            let operation = try await provider.rollback(service: "web", to: target, context: H.context)
            #expect(operation.notes[0].contains("HelmRelease flux-system/shop-web was already suspended"))
            #expect(operation.notes[0].contains("`flux resume helmrelease shop-web -n flux-system`"))
            #expect(operation.notes[1].contains("revert the bad commits"))
            let flux = h.kube.requests.filter { $0.path.contains("fluxcd.io") }
            #expect(flux.map(\.method) == ["GET"])
            #expect(flux.first?.path == "/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases/shop-web")
        }
    }

    @Test("when Flux cannot be suspended (RBAC), the cluster is not touched")
    func forbidden() async throws {
        try await withKubernetes { h in
            h.kube.addFluxObject(kind: "Kustomization", name: "shop-web")
            h.kube.permissions = ["get kustomizations", "get deployments", "list replicasets", "patch deployments"]
            let provider = Self.provider(h, Self.fluxSpec(h, git: nil))
            let target = H.target(try h.replicaSet(running: H.images[0]).name)
            let error = try await #require(throws: ProviderError.self) {
                try await provider.rollback(service: "web", to: target, context: H.context)
            }
            #expect(error.kind == .auth)
            #expect(error.message.contains("patch kustomizations"))
            #expect(!error.message.contains(H.token))
            #expect(h.web?.image == H.images[2])
            #expect(h.kube.fluxSuspended(kind: "Kustomization", name: "shop-web") == false)
        }
    }

    @Test("a git revert that fails leaves the cluster rolled back and Flux suspended, and says to revert by hand")
    func gitFailure() async throws {
        try await withKubernetes { h in
            h.kube.addFluxObject(kind: "Kustomization", name: "shop-web")
            let missing = GitProviderSpec(workingCopy: "/nonexistent/rewind-fleet", timeout: .seconds(5))
            let provider = Self.provider(h, Self.fluxSpec(h, git: missing))
            let target = H.target(try h.replicaSet(running: H.images[0]).name, version: H.images[0])
            let operation = try await provider.rollback(service: "web", to: target, context: H.context)
            #expect(operation.notes[1].contains("could not revert git"))
            try await Self.finish(provider, operation, target)
            #expect(h.web?.image == H.images[0])
            #expect(h.kube.fluxSuspended(kind: "Kustomization", name: "shop-web") == true)
        }
    }

    @Test("without a recorded commit, the commit live when the target was deployed is the newest one before it")
    func commitByTime() {
        func commit(_ id: String, _ at: Int64?) -> PlatformDeployment {
            PlatformDeployment(id: id, createdAt: at.map { Timestamp(millisecondsSinceEpoch: $0) })
        }
        let commits = [commit("c4", 4_000), commit("c3", 3_000), commit("cx", nil), commit("c2", 2_000)]
        var target = Deployment(
            service: "web", id: "rs-2", version: "1.41", deployedAt: .init(millisecondsSinceEpoch: 3_500))
        #expect(FluxProvider.commit(liveAt: target, in: commits)?.id == "c3")
        target.deployedAt = Timestamp(millisecondsSinceEpoch: 1_000)
        #expect(FluxProvider.commit(liveAt: target, in: commits) == nil)
        target.commit = "c2"
        #expect(FluxProvider.commit(liveAt: target, in: commits)?.id == "c2")
    }
}
