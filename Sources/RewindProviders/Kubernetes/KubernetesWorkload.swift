import RewindCore
import RewindSpecs

/// A workload whose pod template `kubectl rollout undo` puts back from one of its revisions: a Deployment or an Argo
/// Rollout (its revisions are ReplicaSets), a StatefulSet or a DaemonSet (their revisions are ControllerRevisions).
///
/// The provider reads, rolls back and follows every kind the same way — re-read the workload, list its own
/// revisions, write the target's template with a JSON patch guarded by the workload's `resourceVersion`, then
/// judge the rollout as `kubectl rollout status` does; what differs by kind is here.
protocol KubernetesWorkload: Decodable, Sendable {
    var metadata: KubeObjectMeta { get }
    /// `spec.selector`: its revisions carry these labels.
    var selector: KubeLabelSelector? { get }
    /// `spec.template`.
    var template: JSONValue? { get }
    /// What the workload itself says is live, for messages (`revision 3`); nil when it says nothing.
    var liveRevisionLabel: String? { get }

    /// The live revision among the workload's own (``KubernetesRollout/history(of:among:)``), or nil.
    func current(in history: [any KubernetesRevision]) -> (any KubernetesRevision)?

    /// The port of `kubectl rollout status`: `generation` is the one a rollback produced, which the controller must
    /// have observed (0: the workload's own).
    func progress(generation: Int64) -> KubernetesRollout.Progress

    /// Why writing a template would not roll this workload back, with what to do instead (a paused Deployment,
    /// an `OnDelete` update strategy); nil when it would. `name` is the workload as `kubectl` names it.
    func refusal(namespace: String, name: String) -> String?

    /// The `rollout undo` write of `revision`'s template: a JSON patch that starts with a `test` of
    /// `metadata.resourceVersion` (``KubernetesRollout/guardedTemplatePatch(_:template:)``).
    func undoPatch(to revision: any KubernetesRevision) -> JSONValue

    /// A merge patch of the status subresource that tells the workload's controller to stop the update it is in
    /// the middle of before the template is written back (an Argo Rollout's `abort`); nil when there is none.
    var abortPatch: JSONValue? { get }

    /// Why the workload's controller gave up on the rollout (`Progressing` with reason `ProgressDeadlineExceeded`),
    /// or nil.
    var deadlineExceeded: String? { get }

    /// The label requirement that selects the pods of the live revision (`pod-template-hash=…`), or nil when the
    /// kind does not say.
    func podSelector(of live: (any KubernetesRevision)?) -> String?
}

extension KubernetesWorkload {
    var abortPatch: JSONValue? { nil }
    var deadlineExceeded: String? { nil }
}

/// One revision of a workload: a ReplicaSet of a Deployment, or a ControllerRevision of a StatefulSet or
/// DaemonSet. Its name is the deployment id (a rollback reuses the object and renumbers it).
protocol KubernetesRevision: Decodable, Sendable {
    var metadata: KubeObjectMeta { get }
    /// The revision number (`--to-revision`); nil when missing or not a positive number.
    var revision: Int? { get }
    /// The pod template it holds, as the workload's `spec.template` would hold it.
    var template: JSONValue? { get }
    /// Numbers it had before a rollback reused it (`deployment.kubernetes.io/revision-history`); Deployments only.
    var revisionHistory: [Int] { get }
}

extension KubernetesRevision {
    var name: String { metadata.name ?? "" }
}

extension KubernetesWorkloadKind {
    /// The type the provider decodes the workload as.
    var objectType: any KubernetesWorkload.Type {
        switch self {
        case .deployment: KubeDeployment.self
        case .statefulSet: KubeStatefulSet.self
        case .daemonSet: KubeDaemonSet.self
        case .rollout: KubeArgoRollout.self
        }
    }

    /// The type the provider decodes its revisions as.
    var revisionType: any KubernetesRevision.Type {
        switch self {
        case .deployment: KubeReplicaSet.self
        case .rollout: KubeRolloutReplicaSet.self
        case .statefulSet, .daemonSet: KubeControllerRevision.self
        }
    }
}
