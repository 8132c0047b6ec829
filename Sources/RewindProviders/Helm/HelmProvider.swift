import Foundation
import RewindCore
import RewindPorts
import RewindProcess
import RewindSpecs

/// The `helm` platform: a Helm release rolled back the way
/// `helm rollback RELEASE REVISION --namespace NS --wait --timeout T` does, by running helm itself.
///
/// - `listDeployments`: `helm history RELEASE -o json --max N`, newest first; a deployment is a revision
///   (`deployed`, `superseded` or `failed`), its id the revision number. A revision Helm describes as
///   `Rollback to N` restores N.
/// - `currentDeployment`: `helm status RELEASE -o json`: the release's current revision.
/// - `rollback`: re-reads `helm status` first. Already serving the target: nothing is run. A rollback toward
///   the target already pending: followed. Another operation pending: transient (helm would refuse with
///   "another operation is in progress"). Otherwise `helm rollback … -- RELEASE REVISION`, which waits for the
///   release's resources (`--wait`) within `wait_timeout`, itself within Rewind's deadline.
/// - `status`: `helm status`: `deployed` on a revision that restores the target is success, `failed` is
///   failure with Helm's description, `pending-*` is in progress.
///
/// Every command is an argument vector (``HelmRunner``): options are written `--name=value`, release and
/// revision come after `--`, and the release, namespace and revision are checked before anything runs.
public struct HelmProvider: PlatformProvider, AccessCheckable, CustomStringConvertible {
    private let spec: HelmProviderSpec
    private let helm: HelmRunner

    public init(spec: HelmProviderSpec, redactor: Redactor, service: ServiceName) {
        self.spec = spec
        helm = HelmRunner(spec: spec, redactor: redactor, service: service)
    }

    public var kind: String { "helm" }
    public var description: String { "helm provider for release \(spec.namespace)/\(spec.release)" }

    // MARK: - PlatformProvider

    public func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] {
        let history = try await readHistory()
        return history.filter { HelmAnswers.listedStatuses.contains($0.status) }
            .sorted { $0.revision > $1.revision }
            .map(HelmAnswers.deployment)
    }

    public func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
        HelmAnswers.deployment(try await readStatus("read the release's current revision"))
    }

    public func rollback(
        service: ServiceName, to target: Deployment, context: ActionContext
    ) async throws -> RollbackOperation {
        let purpose = "roll release \(spec.release) back to revision \(target.id)"
        guard let revision = HelmAnswers.revision(fromID: target.id) else {
            throw helm.error(
                .rejected, purpose, "'\(target.id)' is not a Helm revision number (1, 2, 3, …); nothing was run")
        }
        let live = try await readStatus(purpose)
        let liveStatus = live.info?.status ?? "unknown"
        let restores = HelmAnswers.restoredRevision(live.info?.description)
        if liveStatus == "deployed", live.version == revision || restores == revision {
            return RollbackOperation(id: operationID(revision), finished: true)
        }
        if HelmAnswers.pendingStatuses.contains(liveStatus) {
            if liveStatus == "pending-rollback", restores == revision {
                return RollbackOperation(id: operationID(revision), finished: false, followedRunningJob: true)
            }
            throw helm.error(
                .server, purpose,
                "the release is \(liveStatus) (revision \(live.version)): another helm operation is running; "
                    + "Rewind retries once it is done")
        }
        let output = try await helm.succeed(
            ["rollback"] + helm.scope + ["--wait", "--timeout=\(HelmRunner.goDuration(spec.waitTimeout))", "--"]
                + [spec.release, String(revision)],
            purpose: purpose
        )
        return RollbackOperation(id: operationID(revision), finished: false, output: output)
    }

    public func status(
        of operation: RollbackOperation, service: ServiceName, target: Deployment
    ) async throws -> OperationStatus {
        let purpose = "read the rollback of release \(spec.release) to revision \(target.id)"
        let live = try await readStatus(purpose)
        let status = live.info?.status ?? "unknown"
        let restores = HelmAnswers.restoredRevision(live.info?.description).map(String.init)
        let servesTarget = String(live.version) == target.id || restores == target.id
        switch status {
        case "deployed" where servesTarget:
            return .succeeded
        case "failed":
            let said = OutputText.firstLine(of: live.info?.description ?? "", limit: 200) ?? "no description"
            return .failed(helm.clean("helm reports revision \(live.version) failed: \(said)"))
        case _ where HelmAnswers.pendingStatuses.contains(status):
            return .inProgress
        default:
            return .failed(
                helm.clean(
                    "the release is \(status) at revision \(live.version), which is not revision \(target.id) "
                        + "or a rollback to it"))
        }
    }

    // MARK: - AccessCheckable

    /// `helm status`: helm runs, reaches the cluster and can read the release. Read-only.
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        do {
            let live = try await readStatus("check access to the release")
            let detail =
                "release \(spec.namespace)/\(spec.release) is \(live.info?.status ?? "unknown") at revision \(live.version)"
            return [AccessCheck(name: "helm status \(spec.release)", passed: true, detail: helm.clean(detail))]
        } catch let error as ProviderError {
            return [AccessCheck(name: "helm status \(spec.release)", failed: error)]
        } catch {
            return [AccessCheck(name: "helm status \(spec.release)", passed: false, detail: helm.clean("\(error)"))]
        }
    }

    // MARK: - Reading

    private func readHistory() async throws -> [HelmRevision] {
        let purpose = "read the history of release \(spec.release)"
        let output = try await helm.succeed(
            ["history"] + helm.scope + ["--output=json", "--max=\(spec.historyLimit)", "--", spec.release],
            purpose: purpose
        )
        guard let history = HelmAnswers.history(output.stdout) else {
            throw helm.error(.badResponse, purpose, "helm history printed something that is not Helm's JSON history")
        }
        return history
    }

    private func readStatus(_ purpose: String) async throws -> HelmReleaseStatus {
        let output = try await helm.succeed(
            ["status"] + helm.scope + ["--output=json", "--", spec.release], purpose: purpose)
        guard let status = HelmAnswers.status(output.stdout) else {
            throw helm.error(.badResponse, purpose, "helm status printed something that is not Helm's JSON release")
        }
        return status
    }

    private func operationID(_ revision: Int) -> String { "rollback-to-\(revision)" }
}
