import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSpecs

/// `gitops: {type: flux}` around the service's provider: Flux would re-apply what git says within minutes and
/// undo a rollback made in the cluster, so the rollback goes
///
/// 1. suspend the Kustomization or HelmRelease (``FluxSuspension``; an object already suspended is left alone);
/// 2. roll back in the cluster with the service's `provider:` (Kubernetes, Helm);
/// 3. revert in git (``GitProvider``, when `gitops.git` is configured) every commit after the one that was live
///    when the target deployment went live — the newest commit at or before the target's `deployedAt` — so that
///    resuming Flux keeps the rolled-back version. A git failure does not undo the rollback: Flux stays
///    suspended and the incident says to revert by hand before resuming.
///
/// The incident's timeline says the object is suspended and how to resume it (`flux resume …`). Listing, the live
/// deployment and the rollback's status are the service provider's.
public struct FluxProvider: PlatformProvider, AccessCheckable, CustomStringConvertible {
    private let spec: FluxSpec
    private let inner: any PlatformProvider
    private let git: GitProvider?
    private let suspension: FluxSuspension

    public init(
        spec: FluxSpec, wrapping inner: any PlatformProvider, client: HTTPClient, redactor: Redactor,
        service: ServiceName, environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.spec = spec
        self.inner = inner
        git = spec.git.map { GitProvider(spec: $0, redactor: redactor, service: service) }
        suspension = FluxSuspension(
            spec: spec, client: client, redactor: redactor, service: service, environment: environment)
    }

    public var kind: String { "flux" }
    public var isIdempotent: Bool { inner.isIdempotent }
    public var credential: CredentialID? { inner.credential }
    public var pollInterval: Duration? { inner.pollInterval }
    public var description: String {
        "Flux \(spec.kind.rawValue) \(spec.namespace)/\(spec.name) around the \(inner.kind) provider"
    }

    public func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] {
        try await inner.listDeployments(service: service)
    }

    public func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
        try await inner.currentDeployment(service: service)
    }

    public func rollback(
        service: ServiceName, to target: Deployment, context: ActionContext
    ) async throws -> RollbackOperation {
        let suspendedNow = try await suspension.suspend()
        var operation = try await inner.rollback(service: service, to: target, context: context)
        var notes = [suspendedNote(now: suspendedNow, incident: context.incidentID)]
        if let git {
            notes.append(await revert(git, service: service, target: target, context: context))
        } else {
            notes.append(
                "No git repository is configured under gitops.git: revert the bad commits in the repository Flux "
                    + "reads before resuming, or Flux applies them again.")
        }
        operation.notes += notes
        return operation
    }

    public func status(
        of operation: RollbackOperation, service: ServiceName, target: Deployment
    ) async throws -> OperationStatus {
        try await inner.status(of: operation, service: service, target: target)
    }

    // MARK: - AccessCheckable

    /// Reads the Flux object (RBAC `get`), then the service provider's and git's own checks.
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        let name = "Flux \(spec.kind.rawValue) \(spec.namespace)/\(spec.name)"
        var checks: [AccessCheck]
        do {
            let suspended = try await suspension.isSuspended()
            checks = [AccessCheck(name: name, passed: true, detail: suspended ? "suspended" : "reconciling")]
        } catch let error as ProviderError {
            checks = [AccessCheck(name: name, failed: error)]
        } catch {
            checks = [AccessCheck(name: name, passed: false, detail: "the check was cancelled")]
        }
        if let inner = inner as? any AccessCheckable { checks += await inner.checkAccess(service: service) }
        if let git { checks += await git.checkAccess(service: service) }
        return checks
    }

    // MARK: - Git

    /// Reverts git to the commit that was live when the target went live; returns the note saying what happened.
    private func revert(
        _ git: GitProvider, service: ServiceName, target: Deployment, context: ActionContext
    ) async -> String {
        do {
            let commits = try await git.listDeployments(service: service)
            guard let commit = Self.commit(liveAt: target, in: commits) else {
                return "No commit of the repository Flux reads is older than \(target.label) (deployed "
                    + "\(target.deployedAt)): revert the bad commits by hand before resuming."
            }
            let deployment = Deployment(
                service: service, id: commit.id, version: commit.version ?? commit.id,
                deployedAt: commit.createdAt ?? target.deployedAt, commit: commit.id)
            let reverted = try await git.rollback(service: service, to: deployment, context: context)
            let made = reverted.id.map { " in commit \($0.prefix(12))" } ?? " (git already held it)"
            return "Rewind reverted git to commit \(commit.id.prefix(12)), live when \(target.label) was deployed"
                + "\(made), so resuming Flux keeps the rollback."
        } catch {
            let message = (error as? any RewindError)?.message ?? "\(error)"
            return "Rewind could not revert git (\(message)): revert the bad commits by hand before resuming, or "
                + "Flux applies them again."
        }
    }

    /// The commit the target was built from (its recorded `commit`, when the repository has it), or else the
    /// newest commit at or before the target's `deployedAt`.
    static func commit(liveAt target: Deployment, in commits: [PlatformDeployment]) -> PlatformDeployment? {
        if let recorded = target.commit, let commit = commits.first(where: { $0.id == recorded }) { return commit }
        return commits.filter { ($0.createdAt ?? .init(millisecondsSinceEpoch: .max)) <= target.deployedAt }
            .max { ($0.createdAt ?? target.deployedAt) < ($1.createdAt ?? target.deployedAt) }
    }

    private func suspendedNote(now: Bool, incident: Int64) -> String {
        let what = "Flux \(spec.kind.rawValue) \(spec.namespace)/\(spec.name)"
        let done = now ? "Rewind suspended \(what) (incident \(incident))" : "\(what) was already suspended"
        return "\(done) so that it does not undo the rollback. It stays suspended: once git holds a fixed version, "
            + "resume it with `\(spec.resumeCommand)` (or `kubectl -n \(spec.namespace) patch \(spec.kind.cliWord) "
            + "\(spec.name) --type merge -p '{\"spec\":{\"suspend\":false}}'`)."
    }
}
