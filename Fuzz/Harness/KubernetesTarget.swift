import Foundation
import RewindCore
import RewindSpecs

@testable import RewindPorts
@testable import RewindProviders

/// Kubernetes objects (a Deployment and its ReplicaSets, a StatefulSet or DaemonSet and its ControllerRevisions,
/// `Status` errors, `Scale`, access reviews), decoded as
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
        let controllerRevisions =
            (try? decoder.decode(KubeList<KubeControllerRevision>.self, from: input.body))?.items ?? []
        _ = try? decoder.decode(KubeScale.self, from: input.body).spec?.replicas
        _ = try? decoder.decode(KubeAccessReview.self, from: input.body).status?.allowed
        _ = (try? decoder.decode(KubeStatus.self, from: input.body))?.message
        let revisions: [any KubernetesRevision] = replicaSets + controllerRevisions.map { $0 }
        for revision in revisions.prefix(20) {
            _ = KubernetesRollout.platformDeployment(revision).createdAt?.iso8601
            _ = revision.revisionHistory
        }
        if let deployment = try? decoder.decode(KubeDeployment.self, from: input.body) {
            _ = deployment.spec.selector?.queryValue
            let progress = !(skipping("kubernetes-negative-replicas") && hasNegativeCount(deployment))
            rollOut(deployment, among: replicaSets, progress: progress)
        }
        if let statefulSet = try? decoder.decode(KubeStatefulSet.self, from: input.body) {
            rollOut(statefulSet, among: controllerRevisions, progress: true)
        }
        if let daemonSet = try? decoder.decode(KubeDaemonSet.self, from: input.body) {
            rollOut(daemonSet, among: controllerRevisions, progress: true)
        }
        if let rollout = try? decoder.decode(KubeArgoRollout.self, from: input.body) {
            let rolloutReplicaSets =
                (try? decoder.decode(KubeList<KubeRolloutReplicaSet>.self, from: input.body))?.items ?? []
            rollOut(rollout, among: rolloutReplicaSets, progress: true)
            _ = rollout.newVersionShare
            _ = rollout.abortPatch
            _ = rollout.deadlineExceeded
        }
        for pod in ((try? decoder.decode(KubeList<KubePod>.self, from: input.body))?.items ?? []).prefix(20) {
            _ = pod.crashLooping.map { WorkloadProblem(object: "pod", reason: "r", restarts: $0.restartCount).summary }
        }
    }

    /// What `kubectl rollout` does with a workload and its revisions: status, history, the live revision, the
    /// undo and set-image patches.
    static func rollOut(_ workload: any KubernetesWorkload, among revisions: [any KubernetesRevision], progress: Bool) {
        if progress {
            for generation: Int64 in [0, 1, .max] {
                _ = workload.progress(generation: generation)
            }
        }
        _ = workload.refusal(namespace: "shop", name: "web")
        let history = KubernetesRollout.history(of: workload, among: revisions)
        _ = workload.current(in: history).map(KubernetesRollout.platformDeployment)
        for id in ["1", "2", revisions.first?.name ?? "web-1"] {
            if let target = KubernetesRollout.find(id, in: history) {
                _ = workload.undoPatch(to: target)
            }
        }
        _ = KubernetesRollout.setImagePatch(workload, image: "registry.test/web:1")
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
