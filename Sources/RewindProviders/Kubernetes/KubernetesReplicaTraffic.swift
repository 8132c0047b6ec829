import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// Traffic between a stable Deployment and a canary Deployment whose pods sit behind the same Service, shared by
/// replica ratio: the new version's share is `canary replicas / (stable + canary replicas)`.
///
/// Setting a share keeps the total and moves replicas between the two through the `scale` subresource
/// (`PATCH …/deployments/X/scale`, `application/merge-patch+json`, `{"spec":{"replicas":n}}`). The canary gets
/// `⌊share × total⌋` replicas, so halving a share always takes at least one replica away until it reaches 0. The
/// side that grows is scaled first, so capacity never dips. Setting the share the replicas already give writes
/// nothing (idempotent). A HorizontalPodAutoscaler on either Deployment will fight these numbers: pin it first.
public struct KubernetesReplicaTraffic: TrafficController {
    private let stable: String
    private let canary: String
    private let namespace: String
    private let api: KubernetesAPI

    /// A controller for `spec.workload` (the stable Deployment) and `spec.canaryDeployment`; nil when the spec names
    /// no canary.
    public static func make(
        _ spec: KubernetesProviderSpec, client: HTTPClient, redactor: Redactor,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> KubernetesReplicaTraffic? {
        guard let canary = spec.canaryDeployment else { return nil }
        return KubernetesReplicaTraffic(
            spec: spec, canary: canary, client: client, redactor: redactor, environment: environment
        )
    }

    public init(
        spec: KubernetesProviderSpec, canary: String, client: HTTPClient, redactor: Redactor,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        stable = spec.workload
        self.canary = canary
        namespace = spec.namespace
        api = KubernetesAPI(
            cluster: spec.cluster, namespace: spec.namespace, timeout: spec.timeout, client: client,
            redactor: Redactor(secrets: redactor.secrets + spec.cluster.secrets), environment: environment
        )
    }

    public var kind: String { "kubernetes-replicas" }

    public func newVersionShare(service: ServiceName) async throws -> Double {
        let purpose = "read the canary share of \(namespace)/\(canary)"
        let replicas = try await readReplicas(service: service, purpose: purpose)
        let total = replicas.stable + replicas.canary
        return total == 0 ? 0 : Double(replicas.canary) / Double(total)
    }

    public func setNewVersionShare(_ share: Double, service: ServiceName) async throws {
        guard share.isFinite, (0...1).contains(share) else {
            throw ProviderError(
                .rejected,
                "could not set the canary share of \(namespace)/\(canary) to \(share) for \(service): a share is "
                    + "between 0 and 1"
            )
        }
        let purpose = "set the canary share of \(namespace)/\(canary) to \(Int((share * 100).rounded()))%"
        let replicas = try await readReplicas(service: service, purpose: purpose)
        let total = replicas.stable + replicas.canary
        let canaryReplicas = min(total, Int((share * Double(total) + 1e-9).rounded(.down)))
        guard canaryReplicas != replicas.canary else { return }
        let stableReplicas = total - canaryReplicas
        if canaryReplicas < replicas.canary {
            try await scale(stable, to: stableReplicas, service: service, purpose: purpose)
            try await scale(canary, to: canaryReplicas, service: service, purpose: purpose)
        } else {
            try await scale(canary, to: canaryReplicas, service: service, purpose: purpose)
            try await scale(stable, to: stableReplicas, service: service, purpose: purpose)
        }
    }

    private func readReplicas(service: ServiceName, purpose: String) async throws -> (stable: Int, canary: Int) {
        async let stableScale = readScale(stable, service: service, purpose: purpose)
        async let canaryScale = readScale(canary, service: service, purpose: purpose)
        return (try await stableScale, try await canaryScale)
    }

    private func readScale(_ deployment: String, service: ServiceName, purpose: String) async throws -> Int {
        let call = KubernetesCall.get(
            scalePath(deployment), resource: "deployments/scale", purpose: purpose
        )
        return try await api.object(KubeScale.self, call, service: service).spec?.replicas ?? 0
    }

    private func scale(_ deployment: String, to replicas: Int, service: ServiceName, purpose: String) async throws {
        let body: JSONValue = .object(["spec": .object(["replicas": .number(Double(replicas))])])
        let call = KubernetesCall(
            method: .PATCH, path: scalePath(deployment), body: try JSONEncoder().encode(body),
            contentType: "application/merge-patch+json", verb: "patch", resource: "deployments/scale",
            purpose: purpose
        )
        _ = try await api.send(call, service: service)
    }

    private func scalePath(_ deployment: String) -> String {
        api.appsPath("deployments/\(KubernetesAPI.segment(deployment))/scale")
    }
}
