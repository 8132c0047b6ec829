import AsyncHTTPClient
import RewindCore
import RewindPorts
import RewindSpecs

/// `gitops: {type: argocd}`: the service is an Argo CD Application, rolled back through Argo CD's API to an earlier
/// synced revision — where the truth lives, so that self-healing does not undo it.
///
/// - `listDeployments`: the Application's `status.history`, newest first, one deployment per revision (its id is
///   the revision: the git commit, or the chart version of a Helm source).
/// - `currentDeployment`: the revision of the newest history entry.
/// - `rollback`: re-reads the Application. Already on the target: nothing is sent. A rollback toward the target
///   running: followed. Otherwise, when automated sync is on it is turned off first (Argo CD refuses a rollback
///   while it is on, and would sync the bad revision again) and the incident says how to turn it back on; then
///   `POST …/rollback` with the newest history id of the target revision.
/// - `status`: the operation's phase (`Running` in progress, `Failed`/`Error` failed), then the Application's
///   health once the target is synced: `Healthy` succeeded, `Degraded`/`Missing` failed, anything else in progress.
public struct ArgoCDProvider: PlatformProvider, AccessCheckable, CustomStringConvertible {
    private let spec: ArgoCDSpec
    private let api: ArgoCDAPI

    /// - Parameter clock: the waits between attempts of a read.
    public init(
        spec: ArgoCDSpec, client: HTTPClient, redactor: Redactor, service: ServiceName,
        clock: any RewindClock = SystemClock()
    ) {
        self.spec = spec
        api = ArgoCDAPI(spec: spec, client: client, redactor: redactor, service: service, clock: clock)
    }

    public var kind: String { "argocd" }
    public var description: String { "Argo CD provider for Application \(spec.application) at \(spec.url)" }
    public var credential: CredentialID? {
        CredentialID(platform: "argocd", source: spec.tokenSource, scope: spec.url)
    }

    public func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] {
        try await api.application(purpose: "read the history of Application \(spec.application)").deployments
    }

    public func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
        try await api.application(purpose: "read the synced revision of Application \(spec.application)").live
    }

    public func rollback(
        service: ServiceName, to target: Deployment, context: ActionContext
    ) async throws -> RollbackOperation {
        let purpose = "roll Application \(spec.application) back to \(target.id.prefix(12))"
        let application = try await api.application(purpose: purpose)
        let operation = application.status?.operationState
        let running = operation?.phase == "Running" || operation?.phase == "Terminating"
        if running {
            if operation?.syncResult?.revision == target.id {
                return RollbackOperation(id: target.id, finished: false, followedRunningJob: true)
            }
            throw ProviderError(
                .server,
                "could not \(purpose) for \(service): Argo CD is running another operation on the Application; "
                    + "Rewind retries once it is done")
        }
        if application.live?.serves(target.id) == true {
            return RollbackOperation(id: target.id, finished: false)
        }
        guard let historyID = application.historyID(of: target.id) else {
            throw ProviderError(
                .notFound,
                "could not \(purpose) for \(service): revision \(target.id) is not in the Application's history "
                    + "(Argo CD keeps spec.revisionHistoryLimit entries, 10 by default); roll back in git instead")
        }
        var notes: [String] = []
        if application.autoSyncEnabled {
            _ = try await api.pauseAutoSync(purpose: "pause automated sync of Application \(spec.application)")
            notes.append(pausedNote(application, incident: context.incidentID))
        }
        do {
            _ = try await api.rollback(to: historyID, purpose: purpose)
        } catch var error as ProviderError where !notes.isEmpty {
            // Automated sync is off now and a retry will not see that Rewind turned it off: say it in the error,
            // which the incident records.
            error.message += "; " + notes.joined(separator: " ")
            throw error
        }
        return RollbackOperation(id: target.id, finished: false, notes: notes)
    }

    public func status(
        of operation: RollbackOperation, service: ServiceName, target: Deployment
    ) async throws -> OperationStatus {
        let application = try await api.application(
            purpose: "read the rollback of Application \(spec.application) to \(target.id.prefix(12))")
        let state = application.status?.operationState
        switch state?.phase {
        case "Running"?, "Terminating"?:
            return .inProgress
        case "Failed"?, "Error"?:
            return .failed("Argo CD's operation \(state?.phase ?? "failed"): \(Self.short(state?.message))")
        default:
            break
        }
        guard application.live?.serves(target.id) == true else { return .inProgress }
        let health = application.status?.health
        switch health?.status {
        case "Healthy"?:
            return .succeeded
        case "Degraded"?, "Missing"?:
            return .failed("the Application is \(health?.status ?? "unhealthy"): \(Self.short(health?.message))")
        default:
            return .inProgress
        }
    }

    // MARK: - AccessCheckable

    /// `GET` the Application: the token is valid and may read it. Read-only.
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        let name = "Argo CD Application \(spec.application)"
        do {
            let application = try await api.application(purpose: "check access to Application \(spec.application)")
            let sync = application.autoSyncEnabled ? "automated sync on" : "automated sync off"
            let health = application.status?.health?.status ?? "Unknown"
            let history = application.usableHistory.count
            return [
                AccessCheck(
                    name: name, passed: true, detail: "\(health), \(sync), \(history) revisions in its history")
            ]
        } catch let error as ProviderError {
            return [AccessCheck(name: name, failed: error)]
        } catch {
            return [AccessCheck(name: name, passed: false, detail: "the check was cancelled")]
        }
    }

    // MARK: - Notes

    private func pausedNote(_ application: ArgoCDApplication, incident: Int64) -> String {
        var flags = ["--sync-policy", "automated"]
        if case .object(let automated)? = application.spec?.syncPolicy?.automated {
            if automated["selfHeal"] == .bool(true) { flags.append("--self-heal") }
            if automated["prune"] == .bool(true) { flags.append("--auto-prune") }
        }
        let namespace = spec.appNamespace.map { " --app-namespace \($0)" } ?? ""
        return "Rewind turned off automated sync of Argo CD Application \(spec.application) (incident \(incident)): "
            + "Argo CD refuses a rollback while it is on, and would sync the bad revision again. The Application "
            + "now shows OutOfSync. Once git holds a fixed version, turn it back on with "
            + "`argocd app set \(spec.application)\(namespace) \(flags.joined(separator: " "))`"
    }

    private static func short(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "no message" }
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }
}
