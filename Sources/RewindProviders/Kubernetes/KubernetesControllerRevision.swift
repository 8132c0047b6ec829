import RewindCore

/// `apps/v1` ControllerRevision: one pod template of a StatefulSet's or DaemonSet's history. Its `data` is the
/// strategic merge patch that restores it, `{"spec": {"template": {…, "$patch": "replace"}}}`; its name
/// (`<workload>-<hash>`) stays when a rollback reuses it, its `revision` becomes the next number.
struct KubeControllerRevision: KubernetesRevision {
    var metadata: KubeObjectMeta
    var data: JSONValue?
    /// `revision` as written (int64); see ``revision``.
    var number: Int64?

    enum CodingKeys: String, CodingKey {
        case metadata, data
        case number = "revision"
    }

    /// A revision number is positive; any other one (from a broken or hostile answer) counts as none.
    var revision: Int? {
        guard let number, number >= 1 else { return nil }
        return Int(exactly: number)
    }

    /// `data.spec.template` without the `$patch` directive: what the workload's `spec.template` holds when this
    /// revision is live.
    var template: JSONValue? {
        guard case .object(var template)? = data?.value(at: "spec.template") else { return nil }
        template.removeValue(forKey: "$patch")
        return .object(template)
    }

    var revisionHistory: [Int] { [] }
}

/// A StatefulSet or DaemonSet: a workload whose revisions are ``KubeControllerRevision``s. `rollout undo` writes the
/// revision's template alone (no annotations), and a workload that updates its pods `OnDelete` is refused: writing
/// its template would change no pod.
protocol KubernetesRevisionedWorkload: KubernetesWorkload {
    var updateStrategy: KubeUpdateStrategy? { get }
}

extension KubernetesRevisionedWorkload {
    func refusal(namespace: String, name: String) -> String? {
        guard updateStrategy?.isOnDelete == true else { return nil }
        return "\(name) has updateStrategy OnDelete: its pods change only when someone deletes them, so writing the "
            + "old template would roll nothing back; switch it to RollingUpdate (kubectl patch \(name) -n "
            + "\(namespace) -p '{\"spec\":{\"updateStrategy\":{\"type\":\"RollingUpdate\"}}}') or roll back by "
            + "hand (nothing was sent)"
    }

    func undoPatch(to revision: any KubernetesRevision) -> JSONValue {
        .array(KubernetesRollout.guardedTemplatePatch(self, template: revision.template))
    }
}
