import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// `traffic: {type: kubernetes, …}`: the replica ratio between a stable and a canary Deployment
/// (``KubernetesReplicaTraffic`` does the moving), plus `rewind providers check` for it.
///
/// The gradual strategy's "cut the new version's traffic by 50 %" moves `⌊share × total⌋` replicas to the canary;
/// the canary strategy's share 0 scales the canary to 0 and the stable Deployment up to the total. RBAC: `get` and
/// `patch` on `deployments/scale` for both Deployments.
public struct KubernetesTraffic: TrafficController, AccessCheckable {
    private let spec: KubernetesTrafficSpec
    private let replicas: KubernetesReplicaTraffic
    private let api: KubernetesAPI

    /// - Parameter environment: where `in_cluster` finds `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`.
    public init(
        spec: KubernetesTrafficSpec,
        client: HTTPClient,
        redactor: Redactor,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.spec = spec
        let providerSpec = KubernetesProviderSpec(
            namespace: spec.namespace,
            workload: spec.stable,
            cluster: spec.cluster,
            timeout: spec.timeout,
            canaryDeployment: spec.canary
        )
        replicas = KubernetesReplicaTraffic(
            spec: providerSpec,
            canary: spec.canary,
            client: client,
            redactor: redactor,
            environment: environment
        )
        api = KubernetesAPI(
            cluster: spec.cluster,
            namespace: spec.namespace,
            timeout: spec.timeout,
            client: client,
            redactor: Redactor(secrets: redactor.secrets + spec.cluster.secrets),
            environment: environment
        )
    }

    /// The controller a service's `traffic: {type: kubernetes, …}` describes.
    public static func make(
        _ spec: KubernetesTrafficSpec,
        client: HTTPClient,
        redactor: Redactor
    )
        -> KubernetesTraffic
    {
        KubernetesTraffic(spec: spec, client: client, redactor: redactor)
    }

    public var kind: String { replicas.kind }

    public func newVersionShare(service: ServiceName) async throws -> Double {
        try await replicas.newVersionShare(service: service)
    }

    public func setNewVersionShare(_ share: Double, service: ServiceName) async throws {
        try await replicas.setNewVersionShare(share, service: service)
    }

    // MARK: - Access

    /// Reads the scale of both Deployments (authentication and `get`), then asks SelfSubjectAccessReviews whether
    /// the token may patch each one's scale. Nothing is changed.
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        var checks: [AccessCheck] = []
        for deployment in [spec.stable, spec.canary] {
            checks.append(await readScale(deployment, service: service))
        }
        for deployment in [spec.stable, spec.canary] {
            checks.append(await reviewScalePatch(deployment, service: service))
        }
        return checks
    }

    private func readScale(_ deployment: String, service: ServiceName) async -> AccessCheck {
        let name = "authenticate and read the scale of Deployment \(spec.namespace)/\(deployment)"
        let call = KubernetesCall.get(
            api.appsPath("deployments/\(KubernetesAPI.segment(deployment))/scale"),
            resource: "deployments/scale",
            purpose: "read the scale of Deployment \(spec.namespace)/\(deployment)"
        )
        do {
            let scale = try await api.object(KubeScale.self, call, service: service)
            return AccessCheck(
                name: name,
                passed: true,
                detail: "\(scale.spec?.replicas ?? 0) replica(s); signed in with \(spec.cluster.mechanism)"
            )
        } catch {
            return AccessCheck(name: name, passed: false, detail: Self.describe(error))
        }
    }

    private func reviewScalePatch(_ deployment: String, service: ServiceName) async -> AccessCheck {
        let check = "permission to patch deployments/scale \(deployment) in namespace \(spec.namespace)"
        let body: JSONValue = .object([
            "apiVersion": .string("authorization.k8s.io/v1"), "kind": .string("SelfSubjectAccessReview"),
            "spec": .object([
                "resourceAttributes": .object([
                    "namespace": .string(spec.namespace), "verb": .string("patch"), "group": .string("apps"),
                    "resource": .string("deployments"), "subresource": .string("scale"),
                    "name": .string(deployment),
                ])
            ]),
        ])
        let call = KubernetesCall(
            method: .POST,
            path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            body: try? JSONEncoder().encode(body),
            contentType: "application/json",
            verb: "create",
            resource: "selfsubjectaccessreviews",
            purpose: "check the \(check)"
        )
        do {
            let review = try await api.object(KubeAccessReview.self, call, service: service)
            let reason = review.status?.reason.flatMap { $0.isEmpty ? nil : " (\($0))" } ?? ""
            guard review.status?.allowed == true else {
                return AccessCheck(
                    name: check,
                    passed: false,
                    detail:
                        "denied: \(spec.cluster.credentialName) may not patch deployments/scale in namespace "
                        + "\(spec.namespace); add the RBAC verb 'patch' on 'deployments/scale' (apiGroup apps) to a "
                        + "Role bound to that ServiceAccount or user\(reason)"
                )
            }
            return AccessCheck(name: check, passed: true, detail: "allowed\(reason)")
        } catch {
            return AccessCheck(name: check, passed: false, detail: Self.describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        (error as? ProviderError)?.message ?? "the check failed"
    }
}
