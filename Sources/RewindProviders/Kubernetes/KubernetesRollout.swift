import Foundation
import RewindCore
import RewindPorts

/// The pure parts of `kubectl rollout` every workload kind shares: a workload's history, the guarded `rollout undo`
/// patch, the `set image` patch (platform-apis.md §4.2–4.3). What differs by kind is in ``KubernetesWorkload``.
enum KubernetesRollout {
    static let revisionAnnotation = "deployment.kubernetes.io/revision"
    static let revisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
    static let hashLabel = "pod-template-hash"
    /// The hash labels a controller adds to the templates of its revisions: the deployment controller's and the Argo
    /// Rollouts controller's (`rollouts-pod-template-hash`).
    static let hashLabels = [hashLabel, KubeArgoRollout.hashLabel]
    /// Annotations `rollout undo` keeps from the Deployment; every other one comes from the ReplicaSet.
    static let annotationsKeptFromDeployment: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", revisionAnnotation, revisionHistoryAnnotation,
        "deployment.kubernetes.io/desired-replicas", "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    ]

    // MARK: - History

    /// The revisions the workload controls (a controller owner reference with its uid), newest revision first.
    static func history(
        of workload: any KubernetesWorkload, among revisions: [any KubernetesRevision]
    ) -> [any KubernetesRevision] {
        guard let uid = workload.metadata.uid else { return [] }
        return
            revisions
            .filter { revision in
                revision.metadata.ownerReferences?.contains { $0.controller == true && $0.uid == uid } == true
            }
            .sorted { ($0.revision ?? 0, $0.name) > ($1.revision ?? 0, $1.name) }
    }

    /// The revision a deployment id names: its name, or (as `--to-revision`) a revision number it has or had.
    static func find(_ id: String, in history: [any KubernetesRevision]) -> (any KubernetesRevision)? {
        if let byName = history.first(where: { $0.name == id }) { return byName }
        guard let revision = Int(id) else { return nil }
        return history.first { $0.revision == revision } ?? history.first { $0.revisionHistory.contains(revision) }
    }

    /// The newest revision whose template is `template` (ignoring the hash label); nil when none is, or no template.
    static func newest(
        holding template: JSONValue?, in history: [any KubernetesRevision]
    ) -> (any KubernetesRevision)? {
        guard let template else { return nil }
        return history.first { $0.template.map { sameTemplate($0, template) } ?? false }
    }

    /// A revision as a deployment: id = its name, version = its first container's image.
    static func platformDeployment(_ revision: any KubernetesRevision) -> PlatformDeployment {
        PlatformDeployment(
            id: revision.name, version: firstImage(revision.template),
            createdAt: revision.metadata.creationTimestamp.flatMap(timestamp)
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

    /// The template without its hash labels (``hashLabels``; an emptied label map is dropped).
    static func withoutHash(_ template: JSONValue) -> JSONValue {
        guard case .object(var root) = template, case .object(var metadata)? = root["metadata"],
            case .object(var labels)? = metadata["labels"]
        else { return template }
        for label in hashLabels { labels.removeValue(forKey: label) }
        metadata["labels"] = labels.isEmpty ? nil : .object(labels)
        root["metadata"] = .object(metadata)
        return .object(root)
    }

    /// `equalIgnoreHash`: two pod templates are the same version when they differ at most in the hash label.
    static func sameTemplate(_ a: JSONValue, _ b: JSONValue) -> Bool {
        withoutHash(a) == withoutHash(b)
    }

    // MARK: - Patches

    /// The guarded write of `rollout undo`: a `test` of the workload's `resourceVersion` (the API server answers
    /// 422 when it changed since it was read), then the template (minus the hash label) replaces `spec.template`.
    static func guardedTemplatePatch(_ workload: any KubernetesWorkload, template: JSONValue?) -> [JSONValue] {
        var operations: [JSONValue] = []
        if let resourceVersion = workload.metadata.resourceVersion {
            operations.append(operation("test", "/metadata/resourceVersion", .string(resourceVersion)))
        }
        operations.append(operation("replace", "/spec/template", withoutHash(template ?? .object([:]))))
        return operations
    }

    /// `set image` for the first container, as a strategic merge patch (containers merge by name) with the
    /// workload's `resourceVersion` as a precondition. Nil when the template has no container.
    static func setImagePatch(_ workload: any KubernetesWorkload, image: String) -> JSONValue? {
        guard let container = firstContainerName(workload.template) else { return nil }
        var patch: [String: JSONValue] = [
            "spec": .object([
                "template": .object([
                    "spec": .object([
                        "containers": .array([.object(["name": .string(container), "image": .string(image)])])
                    ])
                ])
            ])
        ]
        if let resourceVersion = workload.metadata.resourceVersion {
            patch["metadata"] = .object(["resourceVersion": .string(resourceVersion)])
        }
        return .object(patch)
    }

    static func operation(_ op: String, _ path: String, _ value: JSONValue) -> JSONValue {
        .object(["op": .string(op), "path": .string(path), "value": value])
    }

    // MARK: - Status

    /// The message of a `Progressing` condition with reason `ProgressDeadlineExceeded` (a Deployment's or an Argo
    /// Rollout's controller gave up on the rollout), or nil.
    static func deadlineExceeded(_ conditions: [KubeCondition]?, kind: String) -> String? {
        guard let progressing = conditions?.first(where: { $0.type == "Progressing" }),
            progressing.reason == "ProgressDeadlineExceeded"
        else { return nil }
        return progressing.message ?? "the \(kind) exceeded its progress deadline"
    }

    /// How far a rollout is, as `kubectl rollout status` says it: the message while waiting, the reason of a
    /// failure.
    enum Progress: Equatable {
        case waiting(String)
        case done
        case failed(String)
    }
}
