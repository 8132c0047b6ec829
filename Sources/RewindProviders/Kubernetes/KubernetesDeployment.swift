import RewindCore

/// A Deployment's side of `kubectl rollout` (platform-apis.md §4.2–4.3): its revisions are its ReplicaSets, the
/// live one is at its `deployment.kubernetes.io/revision`, `rollout undo` also writes the ReplicaSet's annotations,
/// and `rollout status` fails on `ProgressDeadlineExceeded`.
extension KubeDeployment: KubernetesWorkload {
    var selector: KubeLabelSelector? { spec.selector }
    var template: JSONValue? { spec.template }
    var liveRevisionLabel: String? { revision.map { "revision \($0)" } }

    /// The ReplicaSet whose revision is the Deployment's, else the one with the Deployment's template.
    func current(in history: [any KubernetesRevision]) -> (any KubernetesRevision)? {
        if let revision, let replicaSet = history.first(where: { $0.revision == revision }) {
            return replicaSet
        }
        return KubernetesRollout.newest(holding: spec.template, in: history)
    }

    /// §4.3: waiting until the generation is observed and every replica is updated and available (old ones gone).
    func progress(generation: Int64) -> KubernetesRollout.Progress {
        let name = metadata.name ?? "the Deployment"
        let observed = status?.observedGeneration ?? 0
        if max(metadata.generation ?? 0, generation) > observed {
            return .waiting("waiting for the deployment spec update to be observed")
        }
        let progressing = status?.conditions?.first { $0.type == "Progressing" }
        if let progressing, progressing.reason == "ProgressDeadlineExceeded" {
            let said = progressing.message.map { ": \($0)" } ?? ""
            return .failed("deployment \"\(name)\" exceeded its progress deadline\(said)")
        }
        // Counts are read as the API documents them, never below 0: a negative one from a broken or hostile
        // answer cannot make a subtraction below overflow.
        let updated = max(0, status?.updatedReplicas ?? 0)
        if let replicas = spec.replicas.map({ max(0, $0) }), updated < replicas {
            return .waiting("\(updated) of \(replicas) updated replicas are available")
        }
        let total = max(0, status?.replicas ?? 0)
        if total > updated {
            return .waiting("\(total - updated) old replicas are pending termination")
        }
        let available = max(0, status?.availableReplicas ?? 0)
        if available < updated {
            return .waiting("\(available) of \(updated) updated replicas are available")
        }
        return .done
    }

    func refusal(namespace: String, name: String) -> String? {
        guard spec.paused == true else { return nil }
        return "the Deployment is paused; resume it first: kubectl rollout resume \(name) -n \(namespace)"
    }

    /// §4.2 steps 6–8: the guarded template write, then the merged annotations (the Deployment's own rollout
    /// bookkeeping, every other one from the ReplicaSet).
    func undoPatch(to revision: any KubernetesRevision) -> JSONValue {
        let kept = KubernetesRollout.annotationsKeptFromDeployment
        var annotations: [String: JSONValue] = [:]
        for (key, value) in metadata.annotations ?? [:] where kept.contains(key) {
            annotations[key] = .string(value)
        }
        for (key, value) in revision.metadata.annotations ?? [:] where !kept.contains(key) {
            annotations[key] = .string(value)
        }
        let replaceAnnotations = KubernetesRollout.operation(
            metadata.annotations == nil ? "add" : "replace", "/metadata/annotations", .object(annotations))
        return .array(KubernetesRollout.guardedTemplatePatch(self, template: revision.template) + [replaceAnnotations])
    }
}

extension KubeDeployment {
    var deadlineExceeded: String? { KubernetesRollout.deadlineExceeded(status?.conditions, kind: "Deployment") }

    /// The live ReplicaSet's `pod-template-hash`: its pods carry it.
    func podSelector(of live: (any KubernetesRevision)?) -> String? {
        live?.template?.value(at: "metadata.labels")?.value(at: KubernetesRollout.hashLabel)?.stringValue.map {
            "\(KubernetesRollout.hashLabel)=\($0)"
        }
    }
}

extension KubeReplicaSet: KubernetesRevision {}
