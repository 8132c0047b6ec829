import Foundation

/// An Argo Rollout (`argoproj.io/v1alpha1`) with a canary strategy, and the state its controller writes, as
/// argoproj/argo-rollouts `pkg/apis/rollouts/v1alpha1/types.go` names it. `steps` are the canary steps: a number is
/// `setWeight`, nil is an indefinite `pause: {}`.
struct EmulatedRollout: Sendable {
    static let hashLabel = "rollouts-pod-template-hash"
    static let revisionAnnotation = "rollout.argoproj.io/revision"

    var namespace: String
    var name: String
    var uid: String
    var created: String
    var selector: [String: String]
    var template: KubernetesJSON
    var replicas: Int
    var steps: [Int?]
    var generation = 1
    var observedGeneration = 1
    var resourceVersion: Int
    var stableRS: String
    var currentPodHash: String
    var currentStepIndex: Int
    var abort = false
    var promoteFull = false
    /// `status.pauseConditions` is not empty (a `pause: {}` step reached).
    var pausedAtStep = false
    var phase = "Healthy"
    var message = ""
    /// The weight the canary has now (0 when fully promoted or aborted).
    var canaryWeight = 0
    /// A `ProgressDeadlineExceeded` condition.
    var deadlineExceeded = false

    var key: KubernetesKey { KubernetesKey(namespace, name) }

    var fullyPromoted: Bool { stableRS == currentPodHash }

    func json() -> KubernetesJSON {
        let steps: [KubernetesJSON] = steps.map { step in
            step.map { .object(["setWeight": .number(Double($0))]) } ?? .object(["pause": .object([:])])
        }
        var status: [String: KubernetesJSON] = [
            "observedGeneration": .string(String(observedGeneration)),
            "phase": .string(phase), "message": .string(message),
            "stableRS": .string(stableRS), "currentPodHash": .string(currentPodHash),
            "currentStepIndex": .number(Double(currentStepIndex)),
            "replicas": .number(Double(replicas)),
            "selector": .string(
                selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    .joined(separator: ",")),
            "canary": .object([:]),
        ]
        if abort { status["abort"] = .bool(true) }
        if promoteFull { status["promoteFull"] = .bool(true) }
        if pausedAtStep {
            status["pauseConditions"] = .array([.object(["reason": .string("CanaryPauseStep")])])
            status["controllerPause"] = .bool(true)
        }
        var progressing: [String: KubernetesJSON] = [
            "type": .string("Progressing"), "status": .string("True"), "reason": .string("NewReplicaSetAvailable"),
            "message": .string("Rollout has successfully progressed."),
        ]
        if deadlineExceeded {
            progressing["status"] = .string("False")
            progressing["reason"] = .string("ProgressDeadlineExceeded")
            progressing["message"] = .string("ReplicaSet \"\(name)-\(currentPodHash)\" has timed out progressing.")
        }
        status["conditions"] = .array([.object(progressing)])
        return .object([
            "apiVersion": .string("argoproj.io/v1alpha1"),
            "kind": .string("Rollout"),
            "metadata": .object([
                "name": .string(name), "namespace": .string(namespace), "uid": .string(uid),
                "resourceVersion": .string(String(resourceVersion)), "generation": .number(Double(generation)),
                "creationTimestamp": .string(created),
            ]),
            "spec": .object([
                "replicas": .number(Double(replicas)),
                "selector": .object(["matchLabels": .strings(selector)]),
                "template": template,
                "strategy": .object(["canary": .object(["steps": .array(steps)])]),
            ]),
            "status": .object(status),
        ])
    }
}

/// An Argo Rollout as the emulator holds it.
public struct KubernetesRolloutSnapshot: Sendable, Equatable {
    public var name: String
    /// The first container's image in `spec.template`.
    public var image: String?
    public var phase: String
    public var stableRS: String
    public var currentPodHash: String
    public var currentStepIndex: Int
    public var abort: Bool
    public var canaryWeight: Int
    public var generation: Int
    public var observedGeneration: Int
    public var resourceVersion: Int
}

/// A core/v1 Event someone created.
public struct KubernetesEventSnapshot: Sendable, Equatable {
    public var name: String
    public var namespace: String
    public var involvedKind: String?
    public var involvedName: String?
    public var involvedUID: String?
    public var reason: String?
    public var type: String?
    public var message: String?
    public var reportingComponent: String?
}
