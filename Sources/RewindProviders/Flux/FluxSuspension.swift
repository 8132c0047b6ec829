import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// Suspends one Flux Kustomization or HelmRelease through the Kubernetes API: a JSON merge patch
/// `{"spec":{"suspend":true}}` (what `flux suspend kustomization NAME` writes) on
/// `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/{ns}/kustomizations/{name}` or
/// `/apis/helm.toolkit.fluxcd.io/v2/namespaces/{ns}/helmreleases/{name}`. Reads it first: an object already
/// suspended is left alone. Needs RBAC `get` and `patch` on the resource in its namespace.
struct FluxSuspension: Sendable {
    let spec: FluxSpec
    let api: KubernetesAPI
    let service: ServiceName

    init(spec: FluxSpec, client: HTTPClient, redactor: Redactor, service: ServiceName, environment: [String: String]) {
        self.spec = spec
        self.service = service
        api = KubernetesAPI(
            cluster: spec.cluster, namespace: spec.namespace, timeout: spec.timeout, client: client,
            redactor: Redactor(secrets: redactor.secrets + spec.cluster.secrets), environment: environment)
    }

    private struct FluxObject: Decodable {
        struct Spec: Decodable { var suspend: Bool? }
        var spec: Spec?
    }

    private var path: String {
        "/apis/\(spec.kind.groupVersion)/namespaces/\(KubernetesAPI.segment(spec.namespace))/\(spec.kind.resource)/"
            + KubernetesAPI.segment(spec.name)
    }

    /// Whether the object is suspended now.
    func isSuspended() async throws -> Bool {
        let call = KubernetesCall.get(
            path, resource: spec.kind.resource, object: spec.kind.rawValue,
            purpose: "read Flux \(spec.kind.rawValue) \(spec.namespace)/\(spec.name)")
        return try await api.object(FluxObject.self, call, service: service).spec?.suspend == true
    }

    /// Suspends the object; false when it already was (nothing is written).
    func suspend() async throws -> Bool {
        if try await isSuspended() { return false }
        let call = KubernetesCall(
            method: .PATCH, path: path, body: Data(#"{"spec":{"suspend":true}}"#.utf8),
            contentType: "application/merge-patch+json", verb: "patch", resource: spec.kind.resource,
            object: spec.kind.rawValue, purpose: "suspend Flux \(spec.kind.rawValue) \(spec.namespace)/\(spec.name)")
        let suspended = try await api.object(FluxObject.self, call, service: service).spec?.suspend == true
        guard suspended else {
            throw ProviderError(
                .badResponse,
                "could not suspend Flux \(spec.kind.rawValue) \(spec.namespace)/\(spec.name) for \(service): the API "
                    + "server accepted the patch but spec.suspend is not true")
        }
        return true
    }
}
