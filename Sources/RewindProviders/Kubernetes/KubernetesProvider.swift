import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// The `kubernetes` platform: one Deployment, StatefulSet, DaemonSet or Argo Rollout, rolled back through the API
/// server the way `kubectl rollout undo` (or `kubectl argo rollouts undo`) does (platform-apis.md §4); what differs by
/// kind is in ``KubernetesWorkload`` (an Argo Rollout: ``KubeArgoRollout``, aborted first while a canary runs). It
/// also reports the workload's own health (``WorkloadHealthReporting``, `KubernetesProvider+PodHealth.swift`) and
/// shows incident steps as Events (``IncidentStepAnnouncing``, `KubernetesProvider+Events.swift`).
///
/// - Deployments are the workload's own revisions (controller owner reference with its uid, listed by its
///   selector, `continue` tokens followed): a Deployment's ReplicaSets, a StatefulSet's or DaemonSet's
///   ControllerRevisions. A deployment's **id is the revision object's name**: a rollback reuses it and gives it a
///   new revision number, so the name is what stays the same. Its version is the pod template's first container
///   image. A target id may also be a revision number (`--to-revision`), current or (Deployments) recorded in
///   `deployment.kubernetes.io/revision-history`.
/// - `currentDeployment` is the live revision: a Deployment's at its `deployment.kubernetes.io/revision`, a
///   StatefulSet's named by `status.updateRevision`, a DaemonSet's newest holding its template.
/// - `rollback` re-reads the workload first: when the target is live and rolled out it returns a finished
///   operation without writing; when it is written but still rolling out, the operation to follow. Otherwise
///   (method `rollout_undo`) it refuses a workload a template write would not roll back (a paused Deployment, an
///   `OnDelete` update strategy), then PATCHes the target's template (a Deployment's: minus `pod-template-hash`,
///   with the merged annotations) as `application/json-patch+json`, guarded by a `test` of
///   `metadata.resourceVersion`; or (method `set_image`, the fallback when the history no longer holds the
///   target) a strategic merge patch of the first container's image: the image of the target's revision, else the
///   target's version only when Rewind learnt it from this platform's listing (a version someone reported is free
///   text and is refused). The operation id is `generation-<n>`, the workload's resulting `metadata.generation`.
/// - `status` is `kubectl rollout status` for the kind: waiting until `observedGeneration` reaches that
///   generation and the pods are updated and available (ready); a Deployment's `ProgressDeadlineExceeded` is a
///   failure (StatefulSets and DaemonSets have no deadline: the engine's own bounds the wait).
/// - Errors: timeouts, connection failures, 429 (with Retry-After), 5xx, and 409 Conflict (or 422 from the
///   `test` op) on the guarded patch are transient; 401/403 (naming the token and the RBAC verb to check), 404 and
///   other 4xx are permanent; an unreadable body is a bad response. Each request has the deadline `spec.timeout`.
public struct KubernetesProvider: PlatformProvider, AccessCheckable {
    static let operationPrefix = "generation-"

    let spec: KubernetesProviderSpec
    let api: KubernetesAPI
    /// When Events happen (their timestamps).
    let clock: any RewindClock

    /// - Parameters:
    ///   - environment: where `in_cluster` finds `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`.
    ///   - clock: when an exec credential plugin's credential expires (it is renewed shortly before).
    public init(
        spec: KubernetesProviderSpec, client: HTTPClient, redactor: Redactor,
        environment: [String: String] = ProcessInfo.processInfo.environment, clock: any RewindClock = SystemClock()
    ) {
        self.spec = spec
        self.clock = clock
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

    /// `StatefulSet shop/db`, for messages.
    var workloadLabel: String { "\(spec.kind.rawValue) \(spec.namespace)/\(spec.workload)" }

    public func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] {
        let (_, history) = try await readHistory(service: service, purpose: "list the revisions of \(workloadLabel)")
        return history.map(KubernetesRollout.platformDeployment)
    }

    public func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
        let (workload, history) = try await readHistory(
            service: service, purpose: "read the live revision of \(workloadLabel)"
        )
        return workload.current(in: history).map(KubernetesRollout.platformDeployment)
    }

    public func rollback(
        service: ServiceName, to target: Deployment, context: ActionContext
    ) async throws
        -> RollbackOperation
    {
        let purpose = "roll \(workloadLabel) back to \(target.label)"
        let (workload, history) = try await readHistory(service: service, purpose: purpose)
        switch spec.method {
        case .rolloutUndo:
            return try await undo(workload, history, to: target, service: service, purpose: purpose)
        case .setImage:
            return try await setImage(workload, history, to: target, service: service, purpose: purpose)
        }
    }

    public func status(
        of operation: RollbackOperation, service: ServiceName, target: Deployment
    ) async throws
        -> OperationStatus
    {
        guard !operation.finished else { return .succeeded }
        let purpose = "read the rollout status of \(workloadLabel)"
        guard let id = operation.id, let generation = Int64(id.replacingOccurrences(of: Self.operationPrefix, with: ""))
        else {
            throw ProviderError(
                .badResponse, "could not \(purpose) for \(service): the operation id is not generation-<n>"
            )
        }
        let workload = try await readWorkload(service: service, purpose: purpose)
        switch workload.progress(generation: generation) {
        case .waiting: return .inProgress
        case .done: return .succeeded
        case .failed(let reason): return .failed(reason)
        }
    }

    // MARK: - Access

    /// Reads the workload (authentication, `get`), then asks SelfSubjectAccessReviews whether the token may list
    /// its revisions and patch it (and scale the canary, when there is one). Nothing is changed.
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        var checks: [AccessCheck] = []
        let read = "authenticate and read \(workloadLabel)"
        do {
            let workload = try await readWorkload(service: service, purpose: read)
            let revision = workload.liveRevisionLabel ?? "no revision yet"
            let image = KubernetesRollout.firstImage(workload.template).map { ", image \($0)" } ?? ""
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
        for permission in neededPermissions {
            checks.append(
                await review(
                    verb: permission.verb, group: permission.group, resource: permission.resource,
                    subresource: permission.subresource, name: permission.name, service: service
                )
            )
        }
        return checks
    }

    /// What the provider calls, as RBAC rules name it.
    var neededPermissions: [(verb: String, group: String, resource: String, subresource: String?, name: String?)] {
        let group = spec.kind.apiGroup
        var needed: [(verb: String, group: String, resource: String, subresource: String?, name: String?)] = [
            ("list", "apps", spec.kind.revisionResource, nil, nil),
            ("patch", group, spec.kind.resource, nil, spec.workload),
        ]
        if spec.kind == .rollout {
            needed.append(("patch", group, spec.kind.resource, "status", spec.workload))
        }
        if let canary = spec.canaryDeployment {
            needed.append(("get", "apps", "deployments", "scale", canary))
            needed.append(("patch", "apps", "deployments", "scale", canary))
            needed.append(("patch", "apps", "deployments", "scale", spec.workload))
        }
        if spec.watchPods { needed.append(("list", "", "pods", nil, nil)) }
        if spec.events { needed.append(("create", "", "events", nil, nil)) }
        return needed
    }

    private func review(
        verb: String, group: String, resource: String, subresource: String?, name: String?, service: ServiceName
    )
        async -> AccessCheck
    {
        let what = subresource.map { "\(resource)/\($0)" } ?? resource
        let check = "permission to \(verb) \(what)" + (name.map { " \($0)" } ?? "") + " in namespace \(spec.namespace)"
        var attributes: [String: JSONValue] = [
            "namespace": .string(spec.namespace), "verb": .string(verb), "group": .string(group),
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
                    + "\(spec.namespace); add the RBAC verb '\(verb)' on '\(what)' (apiGroup \(group.isEmpty ? "\"\"" : group)) to a Role bound "
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
        _ workload: any KubernetesWorkload, _ history: [any KubernetesRevision], to target: Deployment,
        service: ServiceName, purpose: String
    ) async throws -> RollbackOperation {
        guard let revision = targetRevision(target, in: history) else {
            throw ProviderError(
                .notFound,
                "could not \(purpose) for \(service): \(workloadLabel) has no revision '\(target.id)' in its "
                    + "history (it keeps spec.revisionHistoryLimit old revisions); "
                    + (target.listed
                        ? "method: set_image can still deploy \(target.version)"
                        : "Kubernetes never listed it, so only a rollback by hand can restore it")
            )
        }
        let isLive = workload.current(in: history)?.name == revision.name
        if isLive, workload.progress(generation: 0) == .done {
            return RollbackOperation(finished: true)
        }
        try refuseIfPatchCannotRollBack(workload, service: service, purpose: purpose)
        var workload = workload
        if let abort = workload.abortPatch {
            // An update in progress (an Argo canary or blue-green): stop it first, so that the stable version takes
            // the traffic back at once. The answer is the workload as it is now, with the resourceVersion to guard on.
            workload = try await abortUpdate(abort, service: service, purpose: purpose)
        }
        if isLive || isWritten(revision, into: workload) {
            // Written already (by an earlier attempt): the rollout is under way; `status` follows it.
            return operation(workload.metadata.generation)
        }
        let patch = workload.undoPatch(to: revision)
        return try await write(patch, contentType: "application/json-patch+json", service: service, purpose: purpose)
    }

    /// `kubectl argo rollouts abort`: a merge patch of the status subresource.
    private func abortUpdate(
        _ patch: JSONValue, service: ServiceName, purpose: String
    ) async throws -> any KubernetesWorkload {
        let call = KubernetesCall(
            method: .PATCH, path: workloadPath + "/status", body: try JSONEncoder().encode(patch),
            contentType: "application/merge-patch+json", verb: "patch", resource: "\(spec.kind.resource)/status",
            object: spec.kind.rawValue, purpose: "abort the update in progress to \(purpose)"
        )
        return try await object(spec.kind.objectType, call, service: service)
    }

    private func setImage(
        _ workload: any KubernetesWorkload, _ history: [any KubernetesRevision], to target: Deployment,
        service: ServiceName, purpose: String
    ) async throws -> RollbackOperation {
        let image: String
        if let fromHistory = targetRevision(target, in: history).flatMap({ KubernetesRollout.firstImage($0.template) })
        {
            image = fromHistory
        } else if target.listed {
            // Learnt from this platform's listing while its revision existed: the version is its image.
            image = target.version
        } else {
            // Anyone with the API token can record any version: free text never becomes an image.
            throw ProviderError(
                .rejected,
                "could not \(purpose) for \(service): \(workloadLabel) has no revision for \(target.label) and "
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
        let written = KubernetesRollout.firstImage(workload.template) == image
        let live = workload.current(in: history)
        if written, let live, KubernetesRollout.firstImage(live.template) == image,
            workload.progress(generation: 0) == .done
        {
            return RollbackOperation(finished: true)
        }
        try refuseIfPatchCannotRollBack(workload, service: service, purpose: purpose)
        if written {
            // Written already (by an earlier attempt): the rollout is under way; `status` follows it.
            return operation(workload.metadata.generation)
        }
        guard let patch = KubernetesRollout.setImagePatch(workload, image: image) else {
            throw ProviderError(
                .badResponse,
                "could not \(purpose) for \(service): the \(spec.kind.rawValue)'s pod template has no container"
            )
        }
        return try await write(
            patch, contentType: "application/strategic-merge-patch+json", service: service, purpose: purpose
        )
    }

    /// Whether the workload's template already is the revision's (ignoring the hash label).
    private func isWritten(_ revision: any KubernetesRevision, into workload: any KubernetesWorkload) -> Bool {
        guard let live = workload.template, let wanted = revision.template else { return false }
        return KubernetesRollout.sameTemplate(live, wanted)
    }

    private func targetRevision(_ target: Deployment, in history: [any KubernetesRevision]) -> (any KubernetesRevision)?
    {
        KubernetesRollout.find(target.id, in: history)
            ?? history.first { KubernetesRollout.firstImage($0.template) == target.version }
    }

    /// Refuses (permanently, nothing sent) a workload that a template write would not roll back.
    private func refuseIfPatchCannotRollBack(
        _ workload: any KubernetesWorkload, service: ServiceName, purpose: String
    ) throws {
        guard let reason = workload.refusal(namespace: spec.namespace, name: spec.kind.reference(spec.workload))
        else { return }
        throw ProviderError(.rejected, "could not \(purpose) for \(service): \(reason)")
    }

    private func write(
        _ patch: JSONValue, contentType: String, service: ServiceName, purpose: String
    ) async throws
        -> RollbackOperation
    {
        let call = KubernetesCall(
            method: .PATCH, path: workloadPath, body: try JSONEncoder().encode(patch), contentType: contentType,
            verb: "patch", resource: spec.kind.resource, object: spec.kind.rawValue, purpose: purpose,
            guardedWrite: true
        )
        let patched = try await object(spec.kind.objectType, call, service: service)
        return operation(patched.metadata.generation)
    }

    private func operation(_ generation: Int64?) -> RollbackOperation {
        RollbackOperation(id: Self.operationPrefix + String(generation ?? 0), finished: false)
    }

    // MARK: - Reads

    var workloadPath: String {
        api.groupPath(spec.kind.groupVersion, "\(spec.kind.resource)/\(KubernetesAPI.segment(spec.workload))")
    }

    func readWorkload(service: ServiceName, purpose: String) async throws -> any KubernetesWorkload {
        let call = KubernetesCall.get(
            workloadPath, resource: spec.kind.resource, object: spec.kind.rawValue, purpose: purpose
        )
        return try await object(spec.kind.objectType, call, service: service)
    }

    /// `call`'s answer as the workload of the configured kind.
    private func object<Workload: KubernetesWorkload>(
        _ type: Workload.Type, _ call: KubernetesCall, service: ServiceName
    ) async throws -> any KubernetesWorkload {
        try await api.object(type, call, service: service)
    }

    /// The workload and its revisions (§4.2 steps 1–2), newest revision first.
    private func readHistory(
        service: ServiceName, purpose: String
    ) async throws
        -> (any KubernetesWorkload, [any KubernetesRevision])
    {
        let workload = try await readWorkload(service: service, purpose: purpose)
        return (workload, try await history(of: workload, service: service, purpose: purpose))
    }

    /// The workload's own revisions (§4.2 step 2), newest revision first.
    func history(
        of workload: any KubernetesWorkload, service: ServiceName, purpose: String
    ) async throws -> [any KubernetesRevision] {
        guard let selector = workload.selector?.queryValue, !selector.isEmpty else {
            throw ProviderError(
                .badResponse, "could not \(purpose) for \(service): the \(spec.kind.rawValue) has no spec.selector"
            )
        }
        let revisions = try await listRevisions(
            spec.kind.revisionType, selector: selector, service: service, purpose: purpose)
        return KubernetesRollout.history(of: workload, among: revisions)
    }

    /// Every revision object the selector matches, `continue` pages followed.
    private func listRevisions<Revision: KubernetesRevision>(
        _ type: Revision.Type, selector: String, service: ServiceName, purpose: String
    ) async throws -> [any KubernetesRevision] {
        var revisions: [Revision] = []
        var token: String?
        for _ in 0..<Self.maxPages {
            var query: [(name: String, value: String)] = [("labelSelector", selector), ("limit", "500")]
            if let token { query.append(("continue", token)) }
            let call = KubernetesCall.get(
                api.appsPath(spec.kind.revisionResource), query: query, verb: "list",
                resource: spec.kind.revisionResource, purpose: purpose
            )
            let page = try await api.object(KubeList<Revision>.self, call, service: service)
            revisions += page.items ?? []
            token = page.metadata?.continue.flatMap { $0.isEmpty ? nil : $0 }
            if token == nil { break }
        }
        return revisions
    }

    /// A bound on `continue` pages (500 revisions each), against a server that never stops paging.
    static let maxPages = 50
}
