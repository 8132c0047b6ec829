import RewindCore

/// `apps/v1` DaemonSet, the parts `kubectl rollout` reads.
struct KubeDaemonSet: Decodable, Sendable {
    struct Spec: Decodable, Sendable {
        var selector: KubeLabelSelector?
        var template: JSONValue?
        var updateStrategy: KubeUpdateStrategy?
    }

    struct Status: Decodable, Sendable {
        var observedGeneration: Int64?
        /// The nodes that should run a pod.
        var desiredNumberScheduled: Int?
        /// The nodes that run a pod of the current template.
        var updatedNumberScheduled: Int?
        var numberAvailable: Int?
    }

    var metadata: KubeObjectMeta
    var spec: Spec
    var status: Status?
}

/// A DaemonSet's side of `kubectl rollout`: its revisions are ControllerRevisions, the live one is the newest that
/// holds its template, and `rollout status` has no progress deadline to fail on.
extension KubeDaemonSet: KubernetesRevisionedWorkload {
    var selector: KubeLabelSelector? { spec.selector }
    var template: JSONValue? { spec.template }
    var updateStrategy: KubeUpdateStrategy? { spec.updateStrategy }
    var liveRevisionLabel: String? { nil }

    func current(in history: [any KubernetesRevision]) -> (any KubernetesRevision)? {
        KubernetesRollout.newest(holding: spec.template, in: history)
    }

    /// `rollout status` for a RollingUpdate DaemonSet: the generation observed, then a pod of the new template on
    /// every node that should run one, and all of them available.
    func progress(generation: Int64) -> KubernetesRollout.Progress {
        let observed = status?.observedGeneration ?? 0
        if max(metadata.generation ?? 0, generation) > observed {
            return .waiting("waiting for the daemon set spec update to be observed")
        }
        // Counts are read never below 0.
        let desired = max(0, status?.desiredNumberScheduled ?? 0)
        let updated = max(0, status?.updatedNumberScheduled ?? 0)
        if updated < desired {
            return .waiting("\(updated) of \(desired) new pods have been updated")
        }
        let available = max(0, status?.numberAvailable ?? 0)
        if available < desired {
            return .waiting("\(available) of \(desired) updated pods are available")
        }
        return .done
    }

    /// A DaemonSet's pods carry their ControllerRevision's `controller-revision-hash` label.
    func podSelector(of live: (any KubernetesRevision)?) -> String? {
        live?.metadata.labels?["controller-revision-hash"].map { "controller-revision-hash=\($0)" }
    }
}
