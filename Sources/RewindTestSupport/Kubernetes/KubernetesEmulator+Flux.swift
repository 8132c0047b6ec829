import Foundation
import Synchronization

/// One Flux object: its API group and resource (`kustomize.toolkit.fluxcd.io/kustomizations`) and key.
struct FluxObjectKey: Hashable, Sendable {
    var groupResource: String
    var key: KubernetesKey
}

/// The Flux objects Rewind suspends, served like the API server serves custom resources:
/// `GET` and `PATCH` (`application/merge-patch+json` only, as `kubectl patch --type merge` sends) of
/// `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/{ns}/kustomizations/{name}` and
/// `/apis/helm.toolkit.fluxcd.io/v2/namespaces/{ns}/helmreleases/{name}`; RBAC `get`/`patch` on `kustomizations`
/// or `helmreleases`; 404 for unknown objects.
extension KubernetesEmulator {
    /// The served Flux kinds: `(group, version, resource, kind)`.
    static let fluxKinds = [
        ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "Kustomization"),
        ("helm.toolkit.fluxcd.io", "v2", "helmreleases", "HelmRelease"),
    ]

    /// A Kustomization (`kind: "Kustomization"`) or HelmRelease (`"HelmRelease"`), ready and not suspended unless
    /// `suspended`.
    public func addFluxObject(kind: String, namespace: String = "flux-system", name: String, suspended: Bool = false) {
        guard let (group, version, resource, kind) = Self.fluxKinds.first(where: { $0.3 == kind }) else { return }
        var spec: [String: KubernetesJSON] = ["interval": .string("10m"), "prune": .bool(true)]
        if suspended { spec["suspend"] = .bool(true) }
        let object = KubernetesJSON.object([
            "apiVersion": .string("\(group)/\(version)"), "kind": .string(kind),
            "metadata": .object([
                "name": .string(name), "namespace": .string(namespace), "resourceVersion": .string("1"),
            ]),
            "spec": .object(spec),
            "status": .object([
                "conditions": .array([.object(["type": .string("Ready"), "status": .string("True")])])
            ]),
        ])
        state.withLock {
            $0.fluxObjects[FluxObjectKey(groupResource: "\(group)/\(resource)", key: KubernetesKey(namespace, name))] =
                object
        }
    }

    /// Whether the Flux object's `spec.suspend` is true; nil when there is no such object.
    public func fluxSuspended(kind: String, namespace: String = "flux-system", name: String) -> Bool? {
        guard let (group, _, resource, _) = Self.fluxKinds.first(where: { $0.3 == kind }) else { return nil }
        return state.withLock {
            $0.fluxObjects[FluxObjectKey(groupResource: "\(group)/\(resource)", key: KubernetesKey(namespace, name))]
                .map { $0["spec"]?["suspend"]?.bool ?? false }
        }
    }
}

extension KubernetesEmulatorState {
    /// The answer for a Flux object's path, or nil when `parts` is not one.
    mutating func fluxRoute(_ parts: [String], _ request: KubernetesRequest) -> KubernetesAnswer? {
        guard parts.count == 7, parts[0] == "apis", parts[3] == "namespaces",
            let (group, _, resource, _) = KubernetesEmulator.fluxKinds.first(where: {
                $0.0 == parts[1] && $0.1 == parts[2] && $0.2 == parts[5]
            })
        else { return nil }
        let key = FluxObjectKey(groupResource: "\(group)/\(resource)", key: KubernetesKey(parts[4], parts[6]))
        let verb = request.method == "GET" ? "get" : "patch"
        guard request.method == "GET" || request.method == "PATCH" else { return methodNotAllowed(request) }
        guard isAllowed(verb, resource) else {
            return .failure(
                403, reason: "Forbidden",
                message: "\(resource).\(group) \"\(parts[6])\" is forbidden: User \"\(user)\" cannot \(verb) resource "
                    + "\"\(resource)\" in API group \"\(group)\" in the namespace \"\(parts[4])\"")
        }
        guard let object = fluxObjects[key] else {
            return .failure(404, reason: "NotFound", message: "\(resource).\(group) \"\(parts[6])\" not found")
        }
        guard request.method == "PATCH" else { return .json(object) }
        guard request.contentType == "application/merge-patch+json" else {
            return .failure(
                415, reason: "UnsupportedMediaType",
                message: "the body of the request was in an unknown format - accepted media types include: "
                    + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
        }
        guard let body = KubernetesJSON.parse(request.body) else {
            return .failure(400, reason: "BadRequest", message: "the patch is not valid JSON")
        }
        var patched = object.applyingMergePatch(body)
        if patched != object, case .object(var root) = patched, case .object(var metadata)? = root["metadata"] {
            metadata["resourceVersion"] = .string(String(nextResourceVersion()))
            root["metadata"] = .object(metadata)
            patched = .object(root)
        }
        fluxObjects[key] = patched
        return .json(patched)
    }
}
