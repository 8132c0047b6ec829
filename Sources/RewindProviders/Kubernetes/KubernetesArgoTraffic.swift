import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// `traffic: {type: argo_rollouts, …}`: the new version's share of an Argo Rollout, read from the Rollout
/// (``KubeArgoRollout/newVersionShare``) and moved the way `kubectl argo rollouts` moves it, through the status
/// subresource (argoproj/argo-rollouts `pkg/kubectl-argo-rollouts/cmd/abort/abort.go`, `promote/promote.go`,
/// `retry/retry.go`):
///
/// - share 0: `abort`, `{"status":{"abort":true}}`: the stable ReplicaSet takes all traffic back at once;
/// - share 1: `promote --full`, `{"status":{"promoteFull":true}}` (with `"abort":false`, what `retry` sends, when the
///   Rollout was aborted): the new version skips its remaining steps, pauses and analyses;
/// - any other share is refused: Argo moves a canary's weight only through its own steps.
///
/// Rewind never touches the Rollout's ReplicaSets or its traffic router: Argo's controller does. RBAC: `get` on
/// `rollouts`, `patch` on `rollouts/status` (apiGroup `argoproj.io`).
public struct ArgoRolloutTraffic: TrafficController, AccessCheckable {
    private let spec: ArgoRolloutTrafficSpec
    private let api: KubernetesAPI

    /// - Parameter environment: where `in_cluster` finds `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`.
    public init(
        spec: ArgoRolloutTrafficSpec, client: HTTPClient, redactor: Redactor,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.spec = spec
        api = KubernetesAPI(
            cluster: spec.cluster, namespace: spec.namespace, timeout: spec.timeout, client: client,
            redactor: Redactor(secrets: redactor.secrets + spec.cluster.secrets), environment: environment
        )
    }

    public var kind: String { "argo_rollouts" }

    private var label: String { "Rollout \(spec.namespace)/\(spec.rollout)" }

    private var path: String {
        api.groupPath(KubernetesWorkloadKind.rollout.groupVersion, "rollouts/\(KubernetesAPI.segment(spec.rollout))")
    }

    public func newVersionShare(service: ServiceName) async throws -> Double {
        try await read(service: service, purpose: "read the canary weight of \(label)").newVersionShare
    }

    public func setNewVersionShare(_ share: Double, service: ServiceName) async throws {
        let rollout = try await read(service: service, purpose: "read the canary weight of \(label)")
        let current = rollout.newVersionShare
        guard abs(current - share) >= 0.0005 else { return }
        let status: [String: JSONValue]
        let purpose: String
        if share <= 0 {
            status = ["abort": .bool(true)]
            purpose = "abort the update of \(label)"
        } else if share >= 1 {
            status =
                rollout.aborted ? ["abort": .bool(false), "promoteFull": .bool(true)] : ["promoteFull": .bool(true)]
            purpose = "fully promote \(label)"
        } else {
            throw ProviderError(
                .unsupported,
                "could not set the new version's share of \(service) to \(PlanStep.percent(share)): Argo Rollouts "
                    + "moves a canary's weight only through the steps of \(label) (now "
                    + "\(PlanStep.percent(current))); Rewind can abort it (0 %) or promote it fully (100 %)"
            )
        }
        let call = KubernetesCall(
            method: .PATCH, path: path + "/status",
            body: try JSONEncoder().encode(JSONValue.object(["status": .object(status)])),
            contentType: "application/merge-patch+json", verb: "patch", resource: "rollouts/status",
            object: "Rollout", purpose: purpose
        )
        _ = try await api.send(call, service: service)
    }

    private func read(service: ServiceName, purpose: String) async throws -> KubeArgoRollout {
        let call = KubernetesCall.get(path, resource: "rollouts", object: "Rollout", purpose: purpose)
        return try await api.object(KubeArgoRollout.self, call, service: service)
    }

    // MARK: - Access

    /// Reads the Rollout (authentication and `get`). Nothing is changed.
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        let name = "authenticate and read \(label)"
        do {
            let rollout = try await read(service: service, purpose: name)
            return [
                AccessCheck(
                    name: name, passed: true,
                    detail: "the new version has \(PlanStep.percent(rollout.newVersionShare)) of traffic; signed in "
                        + "with \(spec.cluster.mechanism)")
            ]
        } catch let error as ProviderError {
            return [AccessCheck(name: name, failed: error)]
        } catch {
            return [AccessCheck(name: name, passed: false, detail: "the check failed")]
        }
    }
}
