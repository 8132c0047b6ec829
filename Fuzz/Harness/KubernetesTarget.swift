import Foundation
import RewindCore
import RewindSpecs

@testable import RewindPorts
@testable import RewindProviders

/// Kubernetes objects (the Deployment, its ReplicaSets, `Status` errors, `Scale`, access reviews), decoded as
/// `KubernetesAPI.object` does, then used as `kubectl rollout` does (`KubernetesRollout`: history, the live
/// revision, the undo and set-image patches, `rollout status`), and refusals worded by
/// `KubernetesFailure.statusError`: any answer gives values or a ``ProviderError``, never a trap.
///
/// One body is read as every object at once (a Deployment and a ReplicaSet list can share a document), so
/// that the fuzzer can grow a Deployment and its history together.
enum KubernetesTarget {
    static let cluster = KubernetesClusterSpec(
        server: .url("https://127.0.0.1:6443"), credential: .token(ConfigText(vendorToken, isSecret: true)),
        authority: .insecureSkipVerify, credentialName: "KUBE_TOKEN")
    static let calls: [KubernetesCall] = [
        .get("/apis/apps/v1/namespaces/shop/deployments/web", resource: "deployments", purpose: "read web"),
        KubernetesCall(
            method: .PATCH, path: "/apis/apps/v1/namespaces/shop/deployments/web", verb: "patch",
            resource: "deployments", purpose: "roll web back", guardedWrite: true),
    ]

    static func run(_ bytes: [UInt8]) {
        if skippingWaits && mentionsWait(bytes) { return }
        let input = FuzzAnswer(bytes)
        if !input.isSuccess {
            let answer = HTTPAnswer(status: input.status, headers: input.headers, body: input.body)
            for call in calls {
                let failure = KubernetesFailure(
                    call: call, service: "web", safeURL: "https://127.0.0.1:6443" + call.path, cluster: cluster,
                    namespace: "shop", redactor: Redactor(secrets: [vendorToken]))
                expectSound(failure.statusError(answer), "Kubernetes refusal")
            }
        }
        let decoder = JSONDecoder()
        let replicaSets = (try? decoder.decode(KubeList<KubeReplicaSet>.self, from: input.body))?.items ?? []
        _ = try? decoder.decode(KubeScale.self, from: input.body).spec?.replicas
        _ = try? decoder.decode(KubeAccessReview.self, from: input.body).status?.allowed
        _ = (try? decoder.decode(KubeStatus.self, from: input.body))?.message
        for replicaSet in replicaSets.prefix(20) {
            _ = KubernetesRollout.platformDeployment(replicaSet).createdAt?.iso8601
            _ = replicaSet.revisionHistory
        }
        guard let deployment = try? decoder.decode(KubeDeployment.self, from: input.body) else { return }
        _ = deployment.spec.selector?.queryValue
        if !(skipping("kubernetes-negative-replicas") && hasNegativeCount(deployment)) {
            for generation: Int64 in [0, 1, .max] {
                _ = KubernetesRollout.progress(of: deployment, generation: generation)
            }
        }
        let history = KubernetesRollout.history(of: deployment, among: replicaSets)
        let current = KubernetesRollout.current(of: deployment, in: history)
        _ = current.map(KubernetesRollout.platformDeployment)
        for id in ["1", "2", replicaSets.first?.name ?? "web-1"] {
            if let target = KubernetesRollout.find(id, in: history) {
                _ = KubernetesRollout.undoPatch(deployment, to: target)
            }
        }
        _ = KubernetesRollout.setImagePatch(deployment, image: "registry.test/web:1")
    }

    /// A replica count below zero (finding kubernetes-negative-replicas).
    static func hasNegativeCount(_ deployment: KubeDeployment) -> Bool {
        let status = deployment.status
        let counts = [
            deployment.spec.replicas, status?.replicas, status?.updatedReplicas, status?.readyReplicas,
            status?.availableReplicas, status?.unavailableReplicas,
        ]
        return counts.contains { ($0 ?? 0) < 0 }
    }
}
