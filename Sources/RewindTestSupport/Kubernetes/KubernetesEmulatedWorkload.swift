import Foundation

/// A workload kind whose history is ControllerRevisions.
public enum KubernetesRevisionedKind: String, Sendable {
    case statefulSet = "StatefulSet"
    case daemonSet = "DaemonSet"

    /// The API resource (`statefulsets`).
    var resource: String { rawValue.lowercased() + "s" }
}

/// A StatefulSet or DaemonSet: its spec, the status its controller writes, and the emulator's rollout bookkeeping.
/// `replicas` is a StatefulSet's `spec.replicas`, or the number of nodes a DaemonSet runs on.
struct EmulatedWorkload: Sendable {
    /// Where the controller is in a rollout; one step per read of the workload.
    enum Rollout: Sendable {
        /// Observed, the update revision picked, no pod updated yet (one is being replaced).
        case started
        /// The pods at or above the partition are updated, one not ready yet.
        case updated
    }

    var kind: KubernetesRevisionedKind
    var namespace: String
    var name: String
    var uid: String
    var created: String
    var selector: [String: String]
    var template: KubernetesJSON
    var replicas: Int
    /// `RollingUpdate` or `OnDelete`.
    var updateStrategy: String
    /// A StatefulSet's `rollingUpdate.partition`.
    var partition: Int
    var labels: [String: String] = [:]
    var generation = 1
    var observedGeneration = 1
    var resourceVersion: Int
    var updatedReplicas: Int
    var readyReplicas: Int
    var currentRevision: String
    var updateRevision: String
    var rollout: Rollout?

    var key: KubernetesKey { KubernetesKey(namespace, name) }

    func json() -> KubernetesJSON {
        var spec: [String: KubernetesJSON] = [
            "selector": .object(["matchLabels": .strings(selector)]),
            "template": template,
            "revisionHistoryLimit": .number(10),
        ]
        var strategy: [String: KubernetesJSON] = ["type": .string(updateStrategy)]
        let status: [String: KubernetesJSON]
        switch kind {
        case .statefulSet:
            spec["replicas"] = .number(Double(replicas))
            if updateStrategy == "RollingUpdate" {
                strategy["rollingUpdate"] = .object(["partition": .number(Double(partition))])
            }
            status = [
                "observedGeneration": .number(Double(observedGeneration)),
                "replicas": .number(Double(replicas)),
                "readyReplicas": .number(Double(readyReplicas)),
                "availableReplicas": .number(Double(readyReplicas)),
                "updatedReplicas": .number(Double(updatedReplicas)),
                "currentReplicas": .number(Double(replicas - updatedReplicas)),
                "currentRevision": .string(currentRevision),
                "updateRevision": .string(updateRevision),
            ]
        case .daemonSet:
            if updateStrategy == "RollingUpdate" {
                strategy["rollingUpdate"] = .object(["maxUnavailable": .number(1), "maxSurge": .number(0)])
            }
            status = [
                "observedGeneration": .number(Double(observedGeneration)),
                "desiredNumberScheduled": .number(Double(replicas)),
                "currentNumberScheduled": .number(Double(replicas)),
                "updatedNumberScheduled": .number(Double(updatedReplicas)),
                "numberReady": .number(Double(readyReplicas)),
                "numberAvailable": .number(Double(readyReplicas)),
                "numberUnavailable": .number(Double(replicas - readyReplicas)),
                "numberMisscheduled": .number(0),
            ]
        }
        spec["updateStrategy"] = .object(strategy)
        return .object([
            "apiVersion": .string("apps/v1"),
            "kind": .string(kind.rawValue),
            "metadata": .object([
                "name": .string(name), "namespace": .string(namespace), "uid": .string(uid),
                "resourceVersion": .string(String(resourceVersion)), "generation": .number(Double(generation)),
                "creationTimestamp": .string(created), "labels": .strings(labels),
            ]),
            "spec": .object(spec),
            "status": .object(status),
        ])
    }
}

/// A ControllerRevision: one pod template of a StatefulSet's or DaemonSet's history.
struct EmulatedControllerRevision: Sendable {
    static let hashLabel = "controller-revision-hash"

    var namespace: String
    var name: String
    var uid: String
    var created: String
    /// The owner (`ownerReferences[].controller: true`); nil for a foreign one.
    var owner: (kind: KubernetesRevisionedKind, name: String, uid: String)?
    var labels: [String: String]
    var template: KubernetesJSON
    var revision: Int
    var resourceVersion: Int

    var snapshot: KubernetesControllerRevisionSnapshot {
        KubernetesControllerRevisionSnapshot(
            name: name, revision: revision, image: KubernetesEmulatorState.firstImage(of: template))
    }

    func json() -> KubernetesJSON {
        var metadata: [String: KubernetesJSON] = [
            "name": .string(name), "namespace": .string(namespace), "uid": .string(uid),
            "resourceVersion": .string(String(resourceVersion)), "creationTimestamp": .string(created),
            "labels": .strings(labels),
        ]
        if let owner {
            metadata["ownerReferences"] = .array([
                .object([
                    "apiVersion": .string("apps/v1"), "kind": .string(owner.kind.rawValue), "name": .string(owner.name),
                    "uid": .string(owner.uid), "controller": .bool(true), "blockOwnerDeletion": .bool(true),
                ])
            ])
        }
        var patchTemplate = template
        patchTemplate["$patch"] = .string("replace")
        return .object([
            "apiVersion": .string("apps/v1"),
            "kind": .string("ControllerRevision"),
            "metadata": .object(metadata),
            "data": .object(["spec": .object(["template": patchTemplate])]),
            "revision": .number(Double(revision)),
        ])
    }
}

/// A StatefulSet or DaemonSet as the emulator holds it.
public struct KubernetesWorkloadSnapshot: Sendable, Equatable {
    public var kind: KubernetesRevisionedKind
    public var name: String
    /// The first container's image in `spec.template`.
    public var image: String?
    public var generation: Int
    public var observedGeneration: Int
    public var resourceVersion: Int
    public var currentRevision: String
    public var updateRevision: String
    /// True once the controller finished the last rollout.
    public var rolledOut: Bool
}

/// A ControllerRevision as the emulator holds it.
public struct KubernetesControllerRevisionSnapshot: Sendable, Equatable {
    public var name: String
    public var revision: Int
    public var image: String?
}
