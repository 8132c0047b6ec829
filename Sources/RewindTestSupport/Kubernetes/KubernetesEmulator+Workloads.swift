import Foundation
import Synchronization

/// StatefulSets and DaemonSets: seeding, rollouts, interference and inspection.
///
/// Their controller advances one step on each `GET` of the workload, as the deployment controller does: observe
/// the generation and pick (or reuse, renumbering it) the ControllerRevision of the new template → update the pods
/// at or above the partition, one still not ready → all ready, `currentRevision` = `updateRevision` (without a
/// partition). ControllerRevision lists honour `labelSelector`.
///
/// ```swift
/// kube.addWorkload(.statefulSet, namespace: "shop", name: "db", images: ["db:15.1", "db:15.2"])
/// kube.interfere(.statefulSet, namespace: "shop", name: "db", beforeNext: "PATCH")   // a stale resourceVersion
/// kube.workload(.statefulSet, namespace: "shop", name: "db")?.image
/// ```
extension KubernetesEmulator {
    /// A StatefulSet or DaemonSet whose history is `images`, oldest first: one ControllerRevision per image with
    /// revisions 1…n, the last one live and fully rolled out. `replicas` is the StatefulSet's, or the number of
    /// nodes the DaemonSet runs on. Its pods run one container (named after it) and carry `labels` (default
    /// `app: <name>`), which are also its selector. `onDelete`: `updateStrategy: OnDelete`; `partition`: a
    /// StatefulSet's `rollingUpdate.partition`.
    public func addWorkload(
        _ kind: KubernetesRevisionedKind, namespace: String = "default", name: String, images: [String],
        replicas: Int = 3, labels: [String: String]? = nil, onDelete: Bool = false, partition: Int = 0
    ) {
        state.withLock { state in
            state.addWorkload(
                kind, namespace: namespace, name: name, images: images, replicas: replicas,
                labels: labels ?? ["app": name], onDelete: onDelete, partition: partition
            )
        }
    }

    /// Starts a new rollout of `image` (as `kubectl set image` would): the template changes, the generation is
    /// bumped, and the controller rolls it out over the next reads.
    public func deploy(_ kind: KubernetesRevisionedKind, namespace: String = "default", name: String, image: String) {
        state.withLock { state in
            state.updateWorkload(kind, namespace: namespace, name: name) { workload in
                let container = workload.template["spec"]?["containers"]?[0]?["name"]?.string ?? name
                workload.template = KubernetesEmulatorState.template(
                    labels: workload.selector, container: container, image: image)
            }
        }
    }

    /// A ControllerRevision that matches a selector but is owned by nothing (it must be ignored).
    public func addForeignControllerRevision(
        namespace: String = "default", name: String, labels: [String: String], image: String, revision: Int
    ) {
        state.withLock { state in
            state.addForeignControllerRevision(
                namespace: namespace, name: name, labels: labels, image: image, revision: revision)
        }
    }

    /// Someone else writes the workload (a label) just before the next request with `method` is answered, so a
    /// client that read it earlier holds a stale `resourceVersion`.
    public func interfere(
        _ kind: KubernetesRevisionedKind, namespace: String = "default", name: String, beforeNext method: String
    ) {
        let key = EmulatedWorkloadKey(kind: kind, key: KubernetesKey(namespace, name))
        state.withLock {
            $0.faults.append(KubernetesFault(remaining: 1, kind: .interference(key), method: method, path: nil))
        }
    }

    public func workload(
        _ kind: KubernetesRevisionedKind, namespace: String = "default", name: String
    ) -> KubernetesWorkloadSnapshot? {
        state.withLock { state in
            state.workloads[EmulatedWorkloadKey(kind: kind, key: KubernetesKey(namespace, name))].map {
                state.snapshot(of: $0)
            }
        }
    }

    /// The workload's own ControllerRevisions, newest revision first.
    public func controllerRevisions(
        _ kind: KubernetesRevisionedKind, namespace: String = "default", owner: String
    ) -> [KubernetesControllerRevisionSnapshot] {
        state.withLock { state in
            guard let workload = state.workloads[EmulatedWorkloadKey(kind: kind, key: KubernetesKey(namespace, owner))]
            else { return [] }
            return state.revisions(ownedBy: workload).map(\.snapshot)
        }
    }
}
