import Foundation
import Synchronization

/// Argo Rollouts, crash-looping pods and Events: seeding, updates and inspection.
///
/// ```swift
/// kube.addRollout(namespace: "shop", name: "web", images: ["web:1.0", "web:1.1"], steps: [20, nil, 50, nil])
/// kube.deployRollout(namespace: "shop", name: "web", image: "web:1.2")   // a canary starts
/// kube.crashLoop(image: "web:1.2")                                       // its pods crash-loop
/// kube.rollout(namespace: "shop", name: "web")?.phase
/// kube.events(namespace: "shop")
/// ```
extension KubernetesEmulator {
    /// An Argo Rollout with a canary strategy whose history is `images`, oldest first: one ReplicaSet per image with
    /// `rollout.argoproj.io/revision` 1…n, the last one stable and Healthy. `steps`: a number is `setWeight`, nil
    /// an indefinite `pause: {}`. Its pods carry `labels` (default `app: <name>`), also its selector.
    public func addRollout(
        namespace: String = "default", name: String, images: [String], replicas: Int = 4,
        labels: [String: String]? = nil, steps: [Int?] = [20, nil, 50, nil]
    ) {
        state.withLock {
            $0.addRollout(
                namespace: namespace, name: name, images: images, replicas: replicas, labels: labels ?? ["app": name],
                steps: steps)
        }
    }

    /// Starts a canary of `image` (as `kubectl argo rollouts set image` would): the template changes, the generation
    /// is bumped, and the controller runs the steps over the next reads.
    public func deployRollout(namespace: String = "default", name: String, image: String) {
        state.withLock { state in
            state.updateRollout(KubernetesKey(namespace, name)) { rollout in
                let container = rollout.template["spec"]?["containers"]?[0]?["name"]?.string ?? name
                rollout.template = KubernetesEmulatorState.template(
                    labels: rollout.selector, container: container, image: image)
                rollout.generation += 1
            }
        }
    }

    /// The Argo controller gives up on the current update: `Progressing` with reason `ProgressDeadlineExceeded`.
    public func exceedProgressDeadline(namespace: String = "default", rollout name: String) {
        state.withLock { $0.updateRollout(KubernetesKey(namespace, name)) { $0.deadlineExceeded = true } }
    }

    public func rollout(namespace: String = "default", name: String) -> KubernetesRolloutSnapshot? {
        state.withLock { state in state.rollouts[KubernetesKey(namespace, name)].map { state.snapshot(of: $0) } }
    }

    /// The Rollout's ReplicaSets, newest `rollout.argoproj.io/revision` first.
    public func rolloutReplicaSets(
        namespace: String = "default", rollout name: String
    ) -> [KubernetesReplicaSetSnapshot] {
        state.withLock { state in
            guard let rollout = state.rollouts[KubernetesKey(namespace, name)] else { return [] }
            return state.rolloutReplicaSets(of: rollout).map { replicaSet in
                var snapshot = replicaSet.snapshot
                snapshot.revision = KubernetesEmulatorState.rolloutRevision(replicaSet)
                return snapshot
            }
        }
    }

    /// Every pod of a ReplicaSet (a Deployment's or a Rollout's) whose image is `image` now waits in
    /// `CrashLoopBackOff`, with 5 restarts; `false` makes them run again.
    public func crashLoop(image: String, _ looping: Bool = true) {
        state.withLock { state in
            if looping { state.crashLoopingImages.insert(image) } else { state.crashLoopingImages.remove(image) }
        }
    }

    /// The Events created through the API, oldest first.
    public func events(namespace: String = "default") -> [KubernetesEventSnapshot] {
        state.withLock { $0.events.filter { $0.namespace == namespace } }
    }
}
