import Foundation
import RewindCore

// The parts of the Kubernetes objects the provider reads. Decoding is tolerant: every field the provider can do
// without is optional, and unknown fields are ignored. Pod templates stay `JSONValue`, so a rollback writes back
// exactly what the ReplicaSet holds.

struct KubeObjectMeta: Decodable, Sendable {
    var name: String?
    var namespace: String?
    var uid: String?
    var resourceVersion: String?
    var generation: Int64?
    var creationTimestamp: String?
    var labels: [String: String]?
    var annotations: [String: String]?
    var ownerReferences: [KubeOwnerReference]?
}

struct KubeOwnerReference: Decodable, Sendable {
    var kind: String?
    var name: String?
    var uid: String?
    var controller: Bool?
}

struct KubeLabelSelector: Decodable, Sendable {
    struct Requirement: Decodable, Sendable {
        var key: String
        var `operator`: String
        var values: [String]?
    }

    var matchLabels: [String: String]?
    var matchExpressions: [Requirement]?

    /// The `labelSelector` query value (`app=web,tier in (a,b)`), keys sorted.
    var queryValue: String {
        var parts = (matchLabels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        for requirement in matchExpressions ?? [] {
            let values = (requirement.values ?? []).joined(separator: ",")
            switch requirement.operator {
            case "In": parts.append("\(requirement.key) in (\(values))")
            case "NotIn": parts.append("\(requirement.key) notin (\(values))")
            case "Exists": parts.append(requirement.key)
            case "DoesNotExist": parts.append("!\(requirement.key)")
            default: continue
            }
        }
        return parts.joined(separator: ",")
    }
}

struct KubeDeployment: Decodable, Sendable {
    struct Spec: Decodable, Sendable {
        var replicas: Int?
        var selector: KubeLabelSelector?
        var template: JSONValue?
        var paused: Bool?
    }

    struct Status: Decodable, Sendable {
        var observedGeneration: Int64?
        var replicas: Int?
        var updatedReplicas: Int?
        var readyReplicas: Int?
        var availableReplicas: Int?
        var unavailableReplicas: Int?
        var conditions: [KubeCondition]?
    }

    var metadata: KubeObjectMeta
    var spec: Spec
    var status: Status?

    /// `deployment.kubernetes.io/revision`.
    var revision: Int? { metadata.annotations?[KubernetesRollout.revisionAnnotation].flatMap { Int($0) } }
}

struct KubeCondition: Decodable, Sendable {
    var type: String
    var status: String?
    var reason: String?
    var message: String?
}

struct KubeReplicaSet: Decodable, Sendable {
    struct Spec: Decodable, Sendable {
        var replicas: Int?
        var template: JSONValue?
    }

    var metadata: KubeObjectMeta
    var spec: Spec?

    /// `deployment.kubernetes.io/revision`.
    var revision: Int? { metadata.annotations?[KubernetesRollout.revisionAnnotation].flatMap { Int($0) } }

    /// Revisions this ReplicaSet had before a rollback reused it (`deployment.kubernetes.io/revision-history`).
    var revisionHistory: [Int] {
        metadata.annotations?[KubernetesRollout.revisionHistoryAnnotation]?.split(separator: ",")
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? []
    }

    var template: JSONValue? { spec?.template }
}

/// `spec.updateStrategy` of a StatefulSet or DaemonSet.
struct KubeUpdateStrategy: Decodable, Sendable {
    struct RollingUpdate: Decodable, Sendable {
        /// StatefulSets: pods with an ordinal below it keep the old revision.
        var partition: Int?
    }

    /// `RollingUpdate` (the default) or `OnDelete`.
    var type: String?
    var rollingUpdate: RollingUpdate?

    /// `OnDelete`: the controller replaces a pod only when someone deletes it.
    var isOnDelete: Bool { type == "OnDelete" }
}

struct KubeList<Item: Decodable & Sendable>: Decodable, Sendable {
    struct ListMeta: Decodable, Sendable {
        var `continue`: String?
    }

    var metadata: ListMeta?
    var items: [Item]?
}

/// An error answer (`kind: Status`).
struct KubeStatus: Decodable, Sendable {
    var kind: String?
    var status: String?
    var message: String?
    var reason: String?
    var code: Int?
}

/// `autoscaling/v1` `Scale`.
struct KubeScale: Decodable, Sendable {
    struct Spec: Decodable, Sendable {
        var replicas: Int?
    }

    var spec: Spec?
}

struct KubeAccessReview: Decodable, Sendable {
    struct Status: Decodable, Sendable {
        var allowed: Bool?
        var denied: Bool?
        var reason: String?
        var evaluationError: String?
    }

    var status: Status?
}
