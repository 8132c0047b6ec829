import RewindCore

/// `argoproj.io/v1alpha1` Rollout, the parts `kubectl argo rollouts` reads and writes.
///
/// Field names follow argoproj/argo-rollouts `pkg/apis/rollouts/v1alpha1/types.go` (`status.stableRS`,
/// `status.currentPodHash`, `status.currentStepIndex`, `status.abort`, `status.promoteFull`,
/// `status.canary.weights.canary.weight`, `status.blueGreen.activeSelector`; `status.observedGeneration` is a
/// string there).
struct KubeArgoRollout: Decodable, Sendable {
    struct Spec: Decodable, Sendable {
        var replicas: Int?
        var selector: KubeLabelSelector?
        /// Nil when the Rollout takes its template from another workload (`workloadRef`).
        var template: JSONValue?
        var workloadRef: WorkloadRef?
        var paused: Bool?
        var strategy: Strategy?
    }

    struct WorkloadRef: Decodable, Sendable {
        var kind: String?
        var name: String?
    }

    struct Strategy: Decodable, Sendable {
        var canary: Canary?
        var blueGreen: JSONValue?
    }

    struct Canary: Decodable, Sendable {
        var steps: [Step]?
    }

    /// One canary step; only `setWeight` matters here (pauses, analyses and experiments keep the weight).
    struct Step: Decodable, Sendable {
        var setWeight: Int?
    }

    struct Status: Decodable, Sendable {
        /// A decimal string (`"3"`) since Rollouts v0.10; older controllers wrote a hash.
        var observedGeneration: String?
        var phase: String?
        var message: String?
        var stableRS: String?
        var currentPodHash: String?
        var currentStepIndex: Int?
        var abort: Bool?
        var promoteFull: Bool?
        var controllerPause: Bool?
        var pauseConditions: [JSONValue]?
        var conditions: [KubeCondition]?
        var canary: CanaryStatus?
        var blueGreen: BlueGreenStatus?
    }

    struct CanaryStatus: Decodable, Sendable {
        struct Weights: Decodable, Sendable {
            struct Destination: Decodable, Sendable {
                var weight: Int?
            }

            var canary: Destination?
        }

        /// The weights set on the traffic router; only with `trafficRouting`.
        var weights: Weights?
    }

    struct BlueGreenStatus: Decodable, Sendable {
        var activeSelector: String?
    }

    var metadata: KubeObjectMeta
    var spec: Spec
    var status: Status?
}

/// A Rollout's side of `kubectl argo rollouts` (argoproj/argo-rollouts `pkg/kubectl-argo-rollouts/cmd/undo/undo.go`,
/// `abort/abort.go`, `promote/promote.go`, `status/status.go`, `utils/rollout/rolloututil.go`):
///
/// - its revisions are the ReplicaSets it owns, numbered by `rollout.argoproj.io/revision`; the live one is the
///   ReplicaSet whose `rollouts-pod-template-hash` is `status.currentPodHash`;
/// - `undo` writes the ReplicaSet's template (minus the hash label) into `spec.template` with a JSON patch and
///   nothing else; Rewind guards it with a `test` of `metadata.resourceVersion`, like every other kind;
/// - while a canary or blue-green update is in progress (`stableRS` ≠ `currentPodHash`), `abort` first: a merge patch
///   of the status subresource, `{"status":{"abort":true}}`, which sends all traffic back to the stable ReplicaSet at
///   once (the template write then makes the rollback final: a template equal to the stable one skips the steps);
/// - `status` is `GetRolloutPhase`: the generation observed (`status.observedGeneration`), not unpausing, then the
///   controller's phase: Healthy is done, Degraded failed, Paused and Progressing still waiting.
///
/// Rewind never writes the Rollout's ReplicaSets: the Argo controller owns them.
extension KubeArgoRollout: KubernetesWorkload {
    static let revisionAnnotation = "rollout.argoproj.io/revision"
    static let hashLabel = "rollouts-pod-template-hash"

    var selector: KubeLabelSelector? { spec.selector }
    var template: JSONValue? { spec.template }
    var liveRevisionLabel: String? { status?.currentPodHash.map { "pod template hash \($0)" } }

    /// True while a new version is rolling out (canary steps or blue-green preview), not fully promoted.
    var updateInProgress: Bool {
        guard let stable = status?.stableRS, !stable.isEmpty, let current = status?.currentPodHash else { return false }
        return stable != current
    }

    var aborted: Bool { status?.abort == true }

    func current(in history: [any KubernetesRevision]) -> (any KubernetesRevision)? {
        if let hash = status?.currentPodHash,
            let replicaSet = history.first(where: { $0.metadata.labels?[Self.hashLabel] == hash })
        {
            return replicaSet
        }
        return KubernetesRollout.newest(holding: spec.template, in: history)
    }

    func progress(generation: Int64) -> KubernetesRollout.Progress {
        let name = metadata.name ?? "the Rollout"
        // A hash (Rollouts v0.9) or no number at all counts as observed, as `isGenerationObserved` does.
        if let observed = status?.observedGeneration.flatMap({ Int64($0) }),
            max(metadata.generation ?? 0, generation) > observed
        {
            return .waiting("waiting for rollout spec update to be observed")
        }
        if status?.controllerPause == true, status?.pauseConditions?.isEmpty ?? true {
            return .waiting("waiting for rollout to unpause")
        }
        let said = status?.message.flatMap { $0.isEmpty ? nil : ": \($0)" } ?? ""
        switch status?.phase {
        case "Healthy" where !updateInProgress:
            return .done
        case "Degraded":
            return .failed("rollout \"\(name)\" is Degraded\(said)")
        case "Paused":
            return .waiting("rollout \"\(name)\" is Paused\(said); kubectl argo rollouts promote continues it")
        default:
            return .waiting("rollout \"\(name)\" is \(status?.phase ?? "not reported yet")\(said)")
        }
    }

    func refusal(namespace: String, name: String) -> String? {
        guard spec.template == nil else { return nil }
        let referenced = spec.workloadRef.map { "\($0.kind ?? "a workload") \($0.name ?? "")" } ?? "another workload"
        return "the Rollout takes its pod template from \(referenced) (spec.workloadRef), so it has no template to "
            + "roll back; roll that workload back instead (nothing was sent)"
    }

    func undoPatch(to revision: any KubernetesRevision) -> JSONValue {
        .array(KubernetesRollout.guardedTemplatePatch(self, template: revision.template))
    }

    /// The controller's `Progressing` condition with reason `ProgressDeadlineExceeded`.
    var deadlineExceeded: String? { KubernetesRollout.deadlineExceeded(status?.conditions, kind: "Rollout") }

    /// The pods of `status.currentPodHash`.
    func podSelector(of live: (any KubernetesRevision)?) -> String? {
        status?.currentPodHash.map { "\(Self.hashLabel)=\($0)" }
    }

    /// `kubectl argo rollouts abort` while an update is in progress and not aborted yet; nil otherwise.
    var abortPatch: JSONValue? {
        guard updateInProgress, !aborted else { return nil }
        return .object(["status": .object(["abort": .bool(true)])])
    }

    // MARK: - Traffic

    /// The share of traffic the Rollout gives the new version, as it is set now: everything once fully promoted (or
    /// asked to be), nothing once aborted; a blue-green update has it once the active Service selects it; a canary
    /// has the weight its traffic router reports, else the weight of its current `setWeight` step
    /// (`replicasetutil.GetCurrentSetWeight`: the last `setWeight` at or before `currentStepIndex`, 100 after the
    /// last step).
    var newVersionShare: Double {
        guard updateInProgress else { return 1 }
        if aborted { return 0 }
        if status?.promoteFull == true { return 1 }
        if spec.strategy?.blueGreen != nil {
            return status?.blueGreen?.activeSelector == status?.currentPodHash ? 1 : 0
        }
        if let weight = status?.canary?.weights?.canary?.weight {
            return Double(min(100, max(0, weight))) / 100
        }
        let steps = spec.strategy?.canary?.steps ?? []
        let index = max(0, status?.currentStepIndex ?? 0)
        if index >= steps.count { return steps.isEmpty ? 0 : 1 }
        let weight = steps[...index].reversed().lazy.compactMap(\.setWeight).first ?? 0
        return Double(min(100, max(0, weight))) / 100
    }
}

/// A ReplicaSet of an Argo Rollout: numbered by `rollout.argoproj.io/revision`, not by the Deployment annotation.
struct KubeRolloutReplicaSet: KubernetesRevision {
    var metadata: KubeObjectMeta
    var spec: KubeReplicaSet.Spec?

    /// A revision number is positive; any other one counts as none.
    var revision: Int? {
        metadata.annotations?[KubeArgoRollout.revisionAnnotation].flatMap { Int($0) }.flatMap { $0 >= 1 ? $0 : nil }
    }

    var template: JSONValue? { spec?.template }
    var revisionHistory: [Int] { [] }
}
