import Foundation
import RewindCore
import RewindPorts

/// `rewind diff` on Kubernetes: a deployment is a revision (a ReplicaSet, a ControllerRevision), and its pod
/// template says what runs — every container's image, and every container's environment (`env`, `envFrom`). Two
/// revisions of the workload are compared from their templates, read the way `rollout undo` reads them (the
/// workload, then its revisions). Variable values are compared and dropped; values that come from a ConfigMap or a
/// Secret are
/// compared by reference (which key of which object), not by content.
extension KubernetesProvider: DeploymentComparing {
    public func compare(service: ServiceName, from: Deployment, to: Deployment) async throws -> DeploymentComparison {
        let purpose = "compare \(from.label) with \(to.label) in \(workloadLabel)"
        let workload = try await readWorkload(service: service, purpose: purpose)
        let history = try await history(of: workload, service: service, purpose: purpose)
        var notes: [String] = []
        let fromRevision = KubernetesRollout.find(from.id, in: history)
        let toRevision = KubernetesRollout.find(to.id, in: history)
        for (deployment, revision) in [(from, fromRevision), (to, toRevision)] where revision == nil {
            notes.append(
                "\(deployment.label) is no longer in the history of \(workloadLabel) (revisionHistoryLimit): "
                    + "its images and environment are unknown")
        }
        var variables: VariableDifference?
        if let fromRevision, let toRevision {
            variables = VariableDifference(
                from: KubernetesPodEnvironment.fingerprints(fromRevision.template),
                to: KubernetesPodEnvironment.fingerprints(toRevision.template))
            notes.append(
                "variables: each container's env and envFrom in the revisions' pod templates; values from "
                    + "ConfigMaps and Secrets are compared by reference, not content")
        }
        return DeploymentComparison(
            platform: kind,
            from: facts(from, fromRevision),
            to: facts(to, toRevision),
            variables: variables,
            notes: notes)
    }

    private func facts(_ deployment: Deployment, _ revision: (any KubernetesRevision)?) -> DeploymentFacts {
        DeploymentFacts(
            id: deployment.id,
            version: deployment.version,
            commit: deployment.commit,
            images: KubernetesPodEnvironment.images(revision?.template),
            createdAt: revision?.metadata.creationTimestamp.flatMap(KubernetesRollout.timestamp))
    }
}

/// What a pod template runs, in comparable form.
enum KubernetesPodEnvironment {
    /// Every container's image; `name=image` when the template has more than one container.
    static func images(_ template: JSONValue?) -> [String] {
        let containers = containers(of: template)
        return containers.compactMap { container in
            guard let image = container.value(at: "image")?.stringValue else { return nil }
            let name = container.value(at: "name")?.stringValue ?? "?"
            return containers.count > 1 ? "\(name)=\(image)" : image
        }
    }

    /// Variable name → a fingerprint of where its value comes from (the literal value, or the `valueFrom`
    /// reference; `envFrom` sources under `envFrom:<kind>/<name>`). Names are prefixed with `container/` when
    /// the template has more than one container. Only compared, never shown.
    static func fingerprints(_ template: JSONValue?) -> [String: String] {
        let containers = containers(of: template)
        var fingerprints: [String: String] = [:]
        for container in containers {
            let prefix = containers.count > 1 ? "\(container.value(at: "name")?.stringValue ?? "?")/" : ""
            if case .array(let entries)? = container.value(at: "env") {
                for entry in entries {
                    guard let name = entry.value(at: "name")?.stringValue else { continue }
                    if let reference = entry.value(at: "valueFrom") {
                        fingerprints[prefix + name] = "valueFrom:" + canonical(reference)
                    } else {
                        fingerprints[prefix + name] = "value:" + (entry.value(at: "value")?.stringValue ?? "")
                    }
                }
            }
            if case .array(let sources)? = container.value(at: "envFrom") {
                for source in sources {
                    for kind in ["configMapRef", "secretRef"] {
                        guard let name = source.value(at: "\(kind).name")?.stringValue else { continue }
                        let objectKind = kind == "configMapRef" ? "configMap" : "secret"
                        let key = "\(prefix)envFrom:\(objectKind)/\(name)"
                        fingerprints[key] = "prefix:" + (source.value(at: "prefix")?.stringValue ?? "")
                    }
                }
            }
        }
        return fingerprints
    }

    private static func containers(of template: JSONValue?) -> [JSONValue] {
        guard case .array(let containers)? = template?.value(at: "spec.containers") else { return [] }
        return containers
    }

    /// Sorted-key JSON: the same reference always gives the same text.
    private static func canonical(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
