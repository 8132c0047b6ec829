import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// The `kubernetes` platform: one Deployment, rolled back through the API server the way `kubectl rollout undo`
/// does it (platform-apis.md §4).
///
/// - Deployments are the Deployment's own ReplicaSets (controller owner reference with its uid, listed by its
///   selector, `continue` tokens followed). A deployment's **id is the ReplicaSet's name**: a rollback reuses the
///   ReplicaSet and gives it a new revision number, so the name is what stays the same. Its version is the pod
///   template's first container image. A target id may also be a revision number (`--to-revision`), current or
///   recorded in `deployment.kubernetes.io/revision-history`.
/// - `currentDeployment` is the ReplicaSet whose revision is the Deployment's `deployment.kubernetes.io/revision`.
/// - `rollback` re-reads the Deployment first: when the target is live and rolled out it returns a finished
///   operation without writing; when it is written but still rolling out, the operation to follow. Otherwise
///   (method `rollout_undo`) it refuses a paused Deployment, then PATCHes the target ReplicaSet's template minus
///   `pod-template-hash` and the merged annotations as `application/json-patch+json`, guarded by a `test` of
///   `metadata.resourceVersion`; or (method `set_image`, the fallback when the history no longer holds the
///   target) a strategic merge patch of the first container's image: the image of the target's ReplicaSet,
///   else the target's version only when Rewind learnt it from this platform's listing (a version someone
///   reported is free text and is refused). The operation id is
///   `generation-<n>`, the Deployment's resulting `metadata.generation`.
/// - `status` is `kubectl rollout status`: waiting until `observedGeneration` reaches that generation and every
///   replica is updated and available; `ProgressDeadlineExceeded` is a failure.
/// - Errors: timeouts, connection failures, 429 (with Retry-After), 5xx, and 409 Conflict (or 422 from the
///   `test` op) on the guarded patch are transient; 401/403 (naming the token and the RBAC verb to check), 404 and
///   other 4xx are permanent; an unreadable body is a bad response. Each request has the deadline `spec.timeout`.
public struct KubernetesProvider: PlatformProvider, AccessCheckable {
    static let operationPrefix = "generation-"

    let spec: KubernetesProviderSpec
    let api: KubernetesAPI

    /// - Parameters:
    ///   - environment: where `in_cluster` finds `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`.
    ///   - clock: when an exec credential plugin's credential expires (it is renewed shortly before).
    public init(
        spec: KubernetesProviderSpec, client: HTTPClient, redactor: Redactor,
        environment: [String: String] = ProcessInfo.processInfo.environment, clock: any RewindClock = SystemClock()
    ) {
        self.spec = spec
        api = KubernetesAPI(
            cluster: spec.cluster, namespace: spec.namespace, timeout: spec.timeout, client: client,
            redactor: Redactor(secrets: redactor.secrets + spec.cluster.secrets), environment: environment,
            clock: clock
        )
    }

    public var kind: String { "kubernetes" }

    /// The token's name (never its value) on this cluster and namespace.
    public var credential: CredentialID? {
        let server =
            switch spec.cluster.server {
            case .url(let url): Redactor.safeURL(url)
            case .inCluster: "the in-cluster API server"
            }
        return CredentialID(
            platform: kind, source: spec.cluster.credentialName, scope: "\(server), namespace \(spec.namespace)")
    }

    var deploymentLabel: String { "\(spec.namespace)/\(spec.deployment)" }

    public func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] {
        let (_, history) = try await readHistory(service: service, purpose: "list the revisions of \(deploymentLabel)")
        return history.map(KubernetesRollout.platformDeployment)
    }

    public func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
        let (deployment, history) = try await readHistory(
            service: service, purpose: "read the live revision of \(deploymentLabel)"
        )
        return KubernetesRollout.current(of: deployment, in: history).map(KubernetesRollout.platformDeployment)
    }

    public func rollback(
        service: ServiceName, to target: Deployment, context: ActionContext
    ) async throws
        -> RollbackOperation
    {
        let purpose = "roll \(deploymentLabel) back to \(target.label)"
        let (deployment, history) = try await readHistory(service: service, purpose: purpose)
        switch spec.method {
        case .rolloutUndo:
            return try await undo(deployment, history, to: target, service: service, purpose: purpose)
        case .setImage:
            return try await setImage(deployment, history, to: target, service: service, purpose: purpose)
        }
    }

    public func status(
        of operation: RollbackOperation, service: ServiceName, target: Deployment
    ) async throws
        -> OperationStatus
    {
        guard !operation.finished else { return .succeeded }
        let purpose = "read the rollout status of \(deploymentLabel)"
        guard let id = operation.id, let generation = Int64(id.replacingOccurrences(of: Self.operationPrefix, with: ""))
        else {
            throw ProviderError(
                .badResponse, "could not \(purpose) for \(service): the operation id is not generation-<n>"
            )
        }
        let deployment = try await readDeployment(service: service, purpose: purpose)
        switch KubernetesRollout.progress(of: deployment, generation: generation) {
        case .waiting: return .inProgress
        case .done: return .succeeded
        case .failed(let reason): return .failed(reason)
        }
    }

    // MARK: - Access

    /// Reads the Deployment (authentication, `get`), then asks SelfSubjectAccessReviews whether the token may list
    /// ReplicaSets and patch the Deployment (and scale the canary, when there is one). Nothing is changed.
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        var checks: [AccessCheck] = []
        let read = "authenticate and read Deployment \(deploymentLabel)"
        do {
            let deployment = try await readDeployment(service: service, purpose: read)
            let revision = deployment.revision.map { "revision \($0)" } ?? "no revision yet"
            let image = KubernetesRollout.firstImage(deployment.spec.template).map { ", image \($0)" } ?? ""
            checks.append(
                AccessCheck(
                    name: read, passed: true,
                    detail: "found at \(revision)\(image); signed in with \(spec.cluster.mechanism)"
                )
            )
        } catch let error as ProviderError {
            checks.append(AccessCheck(name: read, failed: error))
        } catch {
            checks.append(AccessCheck(name: read, passed: false, detail: Self.describe(error)))
        }
        var needed: [(verb: String, resource: String, subresource: String?, name: String?)] = [
            ("list", "replicasets", nil, nil), ("patch", "deployments", nil, spec.deployment),
        ]
        if let canary = spec.canaryDeployment {
            needed.append(("get", "deployments", "scale", canary))
            needed.append(("patch", "deployments", "scale", canary))
            needed.append(("patch", "deployments", "scale", spec.deployment))
        }
        for permission in needed {
            checks.append(
                await review(
                    verb: permission.verb, resource: permission.resource, subresource: permission.subresource,
                    name: permission.name, service: service
                )
            )
        }
        return checks
    }

    private func review(
        verb: String, resource: String, subresource: String?, name: String?, service: ServiceName
    )
        async -> AccessCheck
    {
        let what = subresource.map { "\(resource)/\($0)" } ?? resource
        let check = "permission to \(verb) \(what)" + (name.map { " \($0)" } ?? "") + " in namespace \(spec.namespace)"
        var attributes: [String: JSONValue] = [
            "namespace": .string(spec.namespace), "verb": .string(verb), "group": .string("apps"),
            "resource": .string(resource),
        ]
        if let subresource { attributes["subresource"] = .string(subresource) }
        if let name { attributes["name"] = .string(name) }
        let body: JSONValue = .object([
            "apiVersion": .string("authorization.k8s.io/v1"), "kind": .string("SelfSubjectAccessReview"),
            "spec": .object(["resourceAttributes": .object(attributes)]),
        ])
        let call = KubernetesCall(
            method: .POST, path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            body: try? JSONEncoder().encode(body), contentType: "application/json", verb: "create",
            resource: "selfsubjectaccessreviews", purpose: "check the \(check)"
        )
        do {
            let review = try await api.object(KubeAccessReview.self, call, service: service)
            let reason = review.status?.reason.flatMap { $0.isEmpty ? nil : " (\($0))" } ?? ""
            if review.status?.allowed == true {
                return AccessCheck(name: check, passed: true, detail: "allowed\(reason)")
            }
            let evaluation = review.status?.evaluationError.map { "; the API server said: \($0)" } ?? ""
            return AccessCheck(
                name: check, passed: false,
                detail: "denied: \(spec.cluster.credentialName) may not \(verb) \(what) in namespace "
                    + "\(spec.namespace); add the RBAC verb '\(verb)' on '\(what)' (apiGroup apps) to a Role bound "
                    + "to that ServiceAccount or user\(reason)\(evaluation)"
            )
        } catch {
            return AccessCheck(name: check, passed: false, detail: Self.describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        (error as? ProviderError)?.message ?? "the check failed"
    }

    // MARK: - Rollback methods

    private func undo(
        _ deployment: KubeDeployment, _ history: [KubeReplicaSet], to target: Deployment, service: ServiceName,
        purpose: String
    ) async throws -> RollbackOperation {
        guard let replicaSet = targetReplicaSet(target, in: history) else {
            throw ProviderError(
                .notFound,
                "could not \(purpose) for \(service): \(deploymentLabel) has no ReplicaSet '\(target.id)' in its "
                    + "history (it keeps spec.revisionHistoryLimit old ReplicaSets); "
                    + (target.listed
                        ? "method: set_image can still deploy \(target.version)"
                        : "Kubernetes never listed it, so only a rollback by hand can restore it")
            )
        }
        let isLive = KubernetesRollout.current(of: deployment, in: history)?.name == replicaSet.name
        if isLive, KubernetesRollout.progress(of: deployment) == .done {
            return RollbackOperation(finished: true)
        }
        try refuseIfPaused(deployment, service: service, purpose: purpose)
        if isLive || isWritten(replicaSet, into: deployment) {
            // Written already (by an earlier attempt): the rollout is under way; `status` follows it.
            return operation(deployment.metadata.generation)
        }
        let patch = KubernetesRollout.undoPatch(deployment, to: replicaSet)
        return try await write(patch, contentType: "application/json-patch+json", service: service, purpose: purpose)
    }

    private func setImage(
        _ deployment: KubeDeployment, _ history: [KubeReplicaSet], to target: Deployment, service: ServiceName,
        purpose: String
    ) async throws -> RollbackOperation {
        let image: String
        if let fromHistory = targetReplicaSet(target, in: history).flatMap({ KubernetesRollout.firstImage($0.template) }
        ) {
            image = fromHistory
        } else if target.listed {
            // Learnt from this platform's listing while its ReplicaSet existed: the version is its image.
            image = target.version
        } else {
            // Anyone with the API token can record any version: free text never becomes an image.
            throw ProviderError(
                .rejected,
                "could not \(purpose) for \(service): \(deploymentLabel) has no ReplicaSet for \(target.label) and "
                    + "Kubernetes never listed it, so its version is not an image Rewind may deploy; "
                    + "roll back by hand with kubectl set image (nothing was sent)"
            )
        }
        guard !image.isEmpty, DeploymentIdentifier.problem(image) == nil else {
            throw ProviderError(
                .rejected,
                "could not \(purpose) for \(service): the recorded image is not a container image reference "
                    + "(nothing was sent)"
            )
        }
        let written = KubernetesRollout.firstImage(deployment.spec.template) == image
        let live = KubernetesRollout.current(of: deployment, in: history)
        if written, let live, KubernetesRollout.firstImage(live.template) == image,
            KubernetesRollout.progress(of: deployment) == .done
        {
            return RollbackOperation(finished: true)
        }
        try refuseIfPaused(deployment, service: service, purpose: purpose)
        if written {
            // Written already (by an earlier attempt): the rollout is under way; `status` follows it.
            return operation(deployment.metadata.generation)
        }
        guard let patch = KubernetesRollout.setImagePatch(deployment, image: image) else {
            throw ProviderError(
                .badResponse, "could not \(purpose) for \(service): the Deployment's pod template has no container"
            )
        }
        return try await write(
            patch, contentType: "application/strategic-merge-patch+json", service: service, purpose: purpose
        )
    }

    /// Whether the Deployment's template already is the ReplicaSet's (ignoring the hash label).
    private func isWritten(_ replicaSet: KubeReplicaSet, into deployment: KubeDeployment) -> Bool {
        guard let live = deployment.spec.template, let wanted = replicaSet.template else { return false }
        return KubernetesRollout.sameTemplate(live, wanted)
    }

    private func targetReplicaSet(_ target: Deployment, in history: [KubeReplicaSet]) -> KubeReplicaSet? {
        KubernetesRollout.find(target.id, in: history)
            ?? history.first { KubernetesRollout.firstImage($0.template) == target.version }
    }

    private func refuseIfPaused(_ deployment: KubeDeployment, service: ServiceName, purpose: String) throws {
        guard deployment.spec.paused == true else { return }
        throw ProviderError(
            .rejected,
            "could not \(purpose) for \(service): the Deployment is paused; resume it first: "
                + "kubectl rollout resume deployment/\(spec.deployment) -n \(spec.namespace)"
        )
    }

    private func write(
        _ patch: JSONValue, contentType: String, service: ServiceName, purpose: String
    ) async throws
        -> RollbackOperation
    {
        let call = KubernetesCall(
            method: .PATCH, path: api.appsPath("deployments/\(KubernetesAPI.segment(spec.deployment))"),
            body: try JSONEncoder().encode(patch), contentType: contentType, verb: "patch", resource: "deployments",
            purpose: purpose, guardedWrite: true
        )
        let patched = try await api.object(KubeDeployment.self, call, service: service)
        return operation(patched.metadata.generation)
    }

    private func operation(_ generation: Int64?) -> RollbackOperation {
        RollbackOperation(id: Self.operationPrefix + String(generation ?? 0), finished: false)
    }

    // MARK: - Reads

    func readDeployment(service: ServiceName, purpose: String) async throws -> KubeDeployment {
        let call = KubernetesCall.get(
            api.appsPath("deployments/\(KubernetesAPI.segment(spec.deployment))"), resource: "deployments",
            purpose: purpose
        )
        return try await api.object(KubeDeployment.self, call, service: service)
    }

    /// The Deployment and its ReplicaSets (§4.2 steps 1–2), newest revision first.
    private func readHistory(
        service: ServiceName, purpose: String
    ) async throws
        -> (KubeDeployment, [KubeReplicaSet])
    {
        let deployment = try await readDeployment(service: service, purpose: purpose)
        return (deployment, try await history(of: deployment, service: service, purpose: purpose))
    }

    /// The Deployment's ReplicaSets (§4.2 step 2), newest revision first.
    func history(of deployment: KubeDeployment, service: ServiceName, purpose: String) async throws -> [KubeReplicaSet]
    {
        guard let selector = deployment.spec.selector?.queryValue, !selector.isEmpty else {
            throw ProviderError(
                .badResponse, "could not \(purpose) for \(service): the Deployment has no spec.selector"
            )
        }
        var replicaSets: [KubeReplicaSet] = []
        var token: String?
        for _ in 0..<Self.maxPages {
            var query: [(name: String, value: String)] = [("labelSelector", selector), ("limit", "500")]
            if let token { query.append(("continue", token)) }
            let call = KubernetesCall.get(
                api.appsPath("replicasets"), query: query, verb: "list", resource: "replicasets", purpose: purpose
            )
            let page = try await api.object(KubeList<KubeReplicaSet>.self, call, service: service)
            replicaSets += page.items ?? []
            token = page.metadata?.continue.flatMap { $0.isEmpty ? nil : $0 }
            if token == nil { break }
        }
        return KubernetesRollout.history(of: deployment, among: replicaSets)
    }

    /// A bound on `continue` pages (500 ReplicaSets each), against a server that never stops paging.
    static let maxPages = 50
}
