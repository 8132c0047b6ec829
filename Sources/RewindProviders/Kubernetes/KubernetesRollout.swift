import Foundation
import RewindCore
import RewindPorts

/// The pure parts of `kubectl rollout`: a Deployment's history, the `rollout undo` patch, the `set image` patch,
/// and the port of `rollout status` (platform-apis.md §4.2–4.3).
enum KubernetesRollout {
    static let revisionAnnotation = "deployment.kubernetes.io/revision"
    static let revisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
    static let hashLabel = "pod-template-hash"
    /// Annotations `rollout undo` keeps from the Deployment; every other one comes from the ReplicaSet.
    static let annotationsKeptFromDeployment: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", revisionAnnotation, revisionHistoryAnnotation,
        "deployment.kubernetes.io/desired-replicas", "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    ]

    // MARK: - History

    /// The ReplicaSets the Deployment controls (a controller owner reference with its uid), newest revision first.
    static func history(of deployment: KubeDeployment, among replicaSets: [KubeReplicaSet]) -> [KubeReplicaSet] {
        guard let uid = deployment.metadata.uid else { return [] }
        return
            replicaSets
            .filter { replicaSet in
                replicaSet.metadata.ownerReferences?.contains { $0.controller == true && $0.uid == uid } == true
            }
            .sorted { ($0.revision ?? 0, $0.name) > ($1.revision ?? 0, $1.name) }
    }

    /// The live ReplicaSet: the one whose revision is the Deployment's, else the one with the Deployment's template.
    static func current(of deployment: KubeDeployment, in history: [KubeReplicaSet]) -> KubeReplicaSet? {
        if let revision = deployment.revision, let replicaSet = history.first(where: { $0.revision == revision }) {
            return replicaSet
        }
        guard let template = deployment.spec.template else { return nil }
        return history.first { $0.template.map { sameTemplate($0, template) } ?? false }
    }

    /// The ReplicaSet a deployment id names: its name, or (as `--to-revision`) a revision number it has or had.
    static func find(_ id: String, in history: [KubeReplicaSet]) -> KubeReplicaSet? {
        if let byName = history.first(where: { $0.name == id }) { return byName }
        guard let revision = Int(id) else { return nil }
        return history.first { $0.revision == revision } ?? history.first { $0.revisionHistory.contains(revision) }
    }

    /// A ReplicaSet as a deployment: id = its name, version = its first container's image.
    static func platformDeployment(_ replicaSet: KubeReplicaSet) -> PlatformDeployment {
        PlatformDeployment(
            id: replicaSet.name, version: firstImage(replicaSet.template),
            createdAt: replicaSet.metadata.creationTimestamp.flatMap(timestamp)
        )
    }

    static func firstImage(_ template: JSONValue?) -> String? {
        guard case .array(let containers)? = template?.value(at: "spec.containers"), let first = containers.first else {
            return nil
        }
        return first.value(at: "image")?.stringValue
    }

    static func firstContainerName(_ template: JSONValue?) -> String? {
        guard case .array(let containers)? = template?.value(at: "spec.containers"), let first = containers.first else {
            return nil
        }
        return first.value(at: "name")?.stringValue
    }

    static func timestamp(_ rfc3339: String) -> Timestamp? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        var date = formatter.date(from: rfc3339)
        if date == nil {
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            date = formatter.date(from: rfc3339)
        }
        return date.map { Timestamp(secondsSinceEpoch: $0.timeIntervalSince1970) }
    }

    // MARK: - Templates

    /// The template without its `pod-template-hash` label (an emptied label map is dropped).
    static func withoutHash(_ template: JSONValue) -> JSONValue {
        guard case .object(var root) = template, case .object(var metadata)? = root["metadata"],
            case .object(var labels)? = metadata["labels"]
        else { return template }
        labels.removeValue(forKey: hashLabel)
        metadata["labels"] = labels.isEmpty ? nil : .object(labels)
        root["metadata"] = .object(metadata)
        return .object(root)
    }

    /// `equalIgnoreHash`: two pod templates are the same version when they differ at most in the hash label.
    static func sameTemplate(_ a: JSONValue, _ b: JSONValue) -> Bool {
        withoutHash(a) == withoutHash(b)
    }

    // MARK: - Patches

    /// `rollout undo` (§4.2 steps 6–8): a JSON patch that writes the target's template (minus the hash label)
    /// and the merged annotations, guarded by a `test` of the Deployment's `resourceVersion`.
    static func undoPatch(_ deployment: KubeDeployment, to target: KubeReplicaSet) -> JSONValue {
        var annotations: [String: JSONValue] = [:]
        for (key, value) in deployment.metadata.annotations ?? [:] where annotationsKeptFromDeployment.contains(key) {
            annotations[key] = .string(value)
        }
        for (key, value) in target.metadata.annotations ?? [:] where !annotationsKeptFromDeployment.contains(key) {
            annotations[key] = .string(value)
        }
        var operations: [JSONValue] = []
        if let resourceVersion = deployment.metadata.resourceVersion {
            operations.append(operation("test", "/metadata/resourceVersion", .string(resourceVersion)))
        }
        operations.append(operation("replace", "/spec/template", withoutHash(target.template ?? .object([:]))))
        operations.append(
            operation(
                deployment.metadata.annotations == nil ? "add" : "replace", "/metadata/annotations",
                .object(annotations)
            )
        )
        return .array(operations)
    }

    /// `set image` for the first container, as a strategic merge patch (containers merge by name) with the
    /// Deployment's `resourceVersion` as a precondition. Nil when the template has no container.
    static func setImagePatch(_ deployment: KubeDeployment, image: String) -> JSONValue? {
        guard let container = firstContainerName(deployment.spec.template) else { return nil }
        var patch: [String: JSONValue] = [
            "spec": .object([
                "template": .object([
                    "spec": .object([
                        "containers": .array([.object(["name": .string(container), "image": .string(image)])])
                    ])
                ])
            ])
        ]
        if let resourceVersion = deployment.metadata.resourceVersion {
            patch["metadata"] = .object(["resourceVersion": .string(resourceVersion)])
        }
        return .object(patch)
    }

    private static func operation(_ op: String, _ path: String, _ value: JSONValue) -> JSONValue {
        .object(["op": .string(op), "path": .string(path), "value": value])
    }

    // MARK: - Status

    enum Progress: Equatable {
        case waiting(String)
        case done
        case failed(String)
    }

    /// The port of `kubectl rollout status` (§4.3). `generation` is the one the rollback produced: the controller
    /// must have observed at least that one.
    static func progress(of deployment: KubeDeployment, generation: Int64 = 0) -> Progress {
        let name = deployment.metadata.name ?? "the Deployment"
        let status = deployment.status
        let observed = status?.observedGeneration ?? 0
        if max(deployment.metadata.generation ?? 0, generation) > observed {
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
        if let replicas = deployment.spec.replicas.map({ max(0, $0) }), updated < replicas {
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
}
