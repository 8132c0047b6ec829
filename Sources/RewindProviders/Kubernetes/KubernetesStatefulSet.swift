import RewindCore

/// `apps/v1` StatefulSet, the parts `kubectl rollout` reads.
struct KubeStatefulSet: Decodable, Sendable {
    struct Spec: Decodable, Sendable {
        /// Absent means 1.
        var replicas: Int?
        var selector: KubeLabelSelector?
        var template: JSONValue?
        var updateStrategy: KubeUpdateStrategy?
    }

    struct Status: Decodable, Sendable {
        var observedGeneration: Int64?
        var replicas: Int?
        var readyReplicas: Int?
        var updatedReplicas: Int?
        /// The ControllerRevision the older pods run.
        var currentRevision: String?
        /// The ControllerRevision of `spec.template`, the one pods are updated to.
        var updateRevision: String?
    }

    var metadata: KubeObjectMeta
    var spec: Spec
    var status: Status?
}

/// A StatefulSet's side of `kubectl rollout`: its revisions are ControllerRevisions, the live one is named by
/// `status.updateRevision` (else `currentRevision`), and `rollout status` has no progress deadline to fail on.
extension KubeStatefulSet: KubernetesRevisionedWorkload {
    var selector: KubeLabelSelector? { spec.selector }
    var template: JSONValue? { spec.template }
    var updateStrategy: KubeUpdateStrategy? { spec.updateStrategy }
    var liveRevisionLabel: String? { (status?.updateRevision ?? status?.currentRevision).map { "revision \($0)" } }

    func current(in history: [any KubernetesRevision]) -> (any KubernetesRevision)? {
        for name in [status?.updateRevision, status?.currentRevision].compactMap({ $0 }) {
            if let revision = history.first(where: { $0.name == name }) { return revision }
        }
        return KubernetesRollout.newest(holding: spec.template, in: history)
    }

    /// `rollout status` for a RollingUpdate StatefulSet: the generation observed, every pod ready, every pod at
    /// or above the partition updated, and — without a partition — `currentRevision` caught up with
    /// `updateRevision`. With a partition, the pods below it keep the old revision: done once the others are
    /// updated.
    func progress(generation: Int64) -> KubernetesRollout.Progress {
        let observed = status?.observedGeneration ?? 0
        if observed == 0 || max(metadata.generation ?? 0, generation) > observed {
            return .waiting("waiting for the statefulset spec update to be observed")
        }
        // Counts are never below 0 and the partition never above the replicas: no subtraction can overflow.
        let replicas = max(0, spec.replicas ?? 1)
        let ready = max(0, status?.readyReplicas ?? 0)
        if ready < replicas {
            return .waiting("\(ready) of \(replicas) pods are ready")
        }
        let partition = min(replicas, max(0, spec.updateStrategy?.rollingUpdate?.partition ?? 0))
        let updated = max(0, status?.updatedReplicas ?? 0)
        if updated < replicas - partition {
            return .waiting("\(updated) of \(replicas - partition) pods have been updated")
        }
        if partition > 0 { return .done }
        if status?.currentRevision != status?.updateRevision {
            let target = status?.updateRevision ?? "the update revision"
            return .waiting("waiting for the rolling update to finish: pods are moving to \(target)")
        }
        return .done
    }

    /// A StatefulSet's pods carry the name of their ControllerRevision as `controller-revision-hash`.
    func podSelector(of live: (any KubernetesRevision)?) -> String? {
        (status?.updateRevision ?? live?.name).map { "controller-revision-hash=\($0)" }
    }
}
