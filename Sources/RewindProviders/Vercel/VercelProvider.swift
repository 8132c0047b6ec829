import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSpecs

/// The `vercel` platform (platform-apis.md section 1): a project's production deployments.
///
/// - `listDeployments`: the project's READY deployments of the spec's target environment
///   (`GET /v6/deployments`, paged with `until=<pagination.next>`), newest first; the version is
///   the git commit from the deployment's meta, else its id.
/// - `currentDeployment`: what the project's `targets.<target>` serves
///   (`GET /v9/projects/{project}?rollbackInfo=true`).
/// - `rollback`: decides on a fresh read of the project — the one `currentDeployment` made
///   a moment before when it is younger than a second (``VercelProjectReads``). When the target already
///   serves, nothing is sent (`finished: true`); when the latest alias job already moves production to
///   it, that job is followed instead of sending another (`followedRunningJob`). Otherwise
///   `POST /v1/projects/{id}/rollback/{deployment}` (mode `rollback`, with a description saying whether
///   Rewind or a person asked) or `POST /v10/projects/{id}/promote/{deployment}` (mode `promote`).
/// - `status`: the official CLI's loop on the project's `lastAliasRequest`; a failed job reports the
///   domains Vercel could not move (`GET /v9/projects/{id}/rollback/aliases?failedOnly=true`). The
///   engine polls it once a second (``pollInterval``, the documented pace); the first status after a
///   followed job answers from the read the rollback decided on.
/// - ``credential``: the token's variable, the team and the project.
///
/// Every request carries `teamId=` when the spec has a team and has the spec's deadline (10 s by
/// default). 429 and 5xx are transient (429 with Retry-After); 401/403 name the variable holding the
/// token; 404 is `.notFound`; an unreadable answer is `.badResponse`.
public struct VercelProvider: PlatformProvider, AccessCheckable {
    /// Pages of the deployment list read at most (100 deployments each).
    static let maxListPages = 10
    static let listPageSize = 100
    /// Pages of failed aliases read at most when a job failed (20 each, as the CLI reads them).
    static let maxAliasPages = 5
    static let aliasesShown = 5

    let spec: VercelProviderSpec
    let api: VercelAPI
    let reads = VercelProjectReads()

    /// - Parameter clock: wall-clock "now", to ignore alias jobs older than 3 minutes as the CLI does.
    public init(
        spec: VercelProviderSpec,
        client: HTTPClient,
        redactor: Redactor,
        clock: any RewindClock = SystemClock()
    ) {
        self.spec = spec
        // The token is redacted from every message even when the caller's redactor does not know it.
        let redactor = Redactor(secrets: redactor.secrets + [spec.token.value])
        api = VercelAPI(spec: spec, client: client, redactor: redactor, clock: clock)
    }

    public var kind: String { "vercel" }

    /// The documented pace of a controller's polls (platform-apis.md 1.5: "~1–2 s").
    public var pollInterval: Duration? { VercelProjectReads.reuseWindow }

    public var credential: CredentialID? {
        let team = spec.teamID.map { "team \($0), " } ?? ""
        return CredentialID(platform: kind, source: spec.tokenSource, scope: "\(team)project \(spec.project)")
    }

    // MARK: - Reading

    public func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] {
        try await listReady(service: service, since: nil)
    }

    public func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
        let project = try await readProject(
            service: service, action: "read the live deployment", by: .currentDeployment)
        guard let serving = project.serving(spec.target), let id = serving.identifier else { return nil }
        if serving.creationTime != nil { return serving.platformDeployment }
        return try await readDeployment(id, service: service)?.platformDeployment
            ?? PlatformDeployment(id: id, version: id)
    }

    // MARK: - Acting

    public func rollback(
        service: ServiceName, to target: Deployment, context: ActionContext
    ) async throws
        -> RollbackOperation
    {
        let action = actionName(target)
        let project = try await readProject(service: service, action: action, by: .rollback)
        let serving = project.serving(spec.target)?.identifier
        if serving == target.id { return RollbackOperation(finished: true) }
        var operation = VercelOperation(type: spec.mode, deploymentID: target.id)
        if let job = project.aliasJob, job.toDeploymentId == target.id, job.isFresh(now: api.clock.now) {
            // Vercel has no idempotency key: a job already moving production there is not sent again.
            if job.isRunning { return RollbackOperation(id: operation.id, finished: false, followedRunningJob: true) }
            if job.jobStatus == "succeeded", serving == nil { return RollbackOperation(finished: true) }
        }
        let request = try mutation(project: project, target: target, context: context)
        let purpose = VercelAPI.Purpose(
            action: action,
            service: service,
            notFound: "Vercel does not know deployment \(target.id) in project \(spec.project)"
        )
        // Whatever the answer (even none), the project may have changed: no earlier read answers again.
        reads.forget()
        let answer = try await api.sendAnyStatus(request, purpose)
        if answer.status == 409 {
            // Another job is running: if it already moves production to the target, follow it.
            let again = try await readProject(service: service, action: action, by: .rollback)
            if let job = again.aliasJob, job.toDeploymentId == target.id, job.isRunning {
                return RollbackOperation(id: operation.id, finished: false, followedRunningJob: true)
            }
        }
        guard (200...299).contains(answer.status) else { throw api.statusError(answer, request, purpose) }
        operation.queued = spec.mode == .promote && answer.status == 202
        return RollbackOperation(id: operation.id, finished: false)
    }

    public func status(
        of operation: RollbackOperation, service: ServiceName, target: Deployment
    ) async throws
        -> OperationStatus
    {
        guard !operation.finished else { return .succeeded }
        let job =
            operation.id.flatMap(VercelOperation.init(id:)) ?? VercelOperation(type: spec.mode, deploymentID: target.id)
        let action = "read the status of the \(job.type.rawValue) to \(target.label)"
        let project = try await readProject(service: service, action: action, by: .status)
        let verdict = VercelJobVerdict.of(
            job,
            job: project.aliasJob,
            serving: project.serving(spec.target)?.identifier,
            now: api.clock.now
        )
        switch verdict {
        case .inProgress: return .inProgress
        case .succeeded: return .succeeded
        case .failed(let reason): return .failed("the Vercel \(job.type.rawValue) to \(target.label) failed: \(reason)")
        case .jobFailed:
            let domains = await failedAliases(projectID: project.id, service: service, action: action)
            return .failed("the Vercel \(job.type.rawValue) job to \(target.label) failed\(domains)")
        }
    }

    // MARK: - Requests

    /// The project (`GET /v9/projects/{project}?rollbackInfo=true`), or the last read when it may answer
    /// `reader` (``VercelProjectReads``); nil `reader`: always a fresh read, remembered for no one.
    func readProject(
        service: ServiceName, action: String, by reader: VercelProjectReads.Reader? = nil
    ) async throws
        -> VercelProject
    {
        if let reader, let project = reads.reusable(for: reader, now: api.clock.now) { return project }
        let request = try api.request("GET", ["v9", "projects", spec.project], query: [("rollbackInfo", "true")])
        let purpose = VercelAPI.Purpose(
            action: action,
            service: service,
            notFound: "Vercel does not know project \(spec.project) in \(api.scope)"
        )
        let project = try await api.fetch(VercelProject.self, request, purpose)
        if let reader { reads.remember(project, by: reader, at: api.clock.now) }
        return project
    }

    private func readDeployment(_ id: String, service: ServiceName) async throws -> VercelDeployment? {
        let request = try api.request("GET", ["v13", "deployments", id])
        let purpose = VercelAPI.Purpose(
            action: "read the live deployment",
            service: service,
            notFound: "Vercel does not know deployment \(id)"
        )
        return try await api.fetch(VercelDeployment.self, request, purpose)
    }

    private func mutation(
        project: VercelProject,
        target: Deployment,
        context: ActionContext
    ) throws
        -> RenderedRequest
    {
        switch spec.mode {
        case .rollback:
            return try api.request(
                "POST",
                ["v1", "projects", project.id, "rollback", target.id],
                query: [("description", Self.description(target: target, context: context))]
            )
        case .promote:
            return try api.request("POST", ["v10", "projects", project.id, "promote", target.id], jsonBody: true)
        }
    }

    /// The reason Vercel stores with the rollback (`rollbackDescription`, at most 250 characters): who
    /// asked — Rewind on its own, or a person through Rewind.
    static func description(target: Deployment, context: ActionContext) -> String {
        let from = context.current.map { " from \($0.label)" } ?? ""
        let kind = context.manual ? "manual rollback (requested by an operator)" : "automatic rollback"
        let text = "Rewind incident #\(context.incidentID): \(kind)\(from) to \(target.label)"
        return String(text.prefix(250))
    }

    private func actionName(_ target: Deployment) -> String {
        switch spec.mode {
        case .rollback: "roll back Vercel project \(spec.project) to \(target.label)"
        case .promote: "promote \(target.label) in Vercel project \(spec.project)"
        }
    }

    /// `; domains not moved: a.example.com (failed), …` — or nothing when Vercel does not say.
    private func failedAliases(projectID: String, service: ServiceName, action: String) async -> String {
        let purpose = VercelAPI.Purpose(
            action: action,
            service: service,
            notFound: "Vercel does not know project \(spec.project)"
        )
        var domains: [String] = []
        var until: Int64?
        do {
            for _ in 0..<Self.maxAliasPages {
                var query = [("failedOnly", "true"), ("limit", "20")]
                if let until { query.append(("until", String(until))) }
                let request = try api.request(
                    "GET",
                    ["v9", "projects", projectID, "rollback", "aliases"],
                    query: query
                )
                let page = try await api.fetch(VercelAliasPage.self, request, purpose)
                domains += page.aliases.map { "\($0.alias?.alias ?? $0.id ?? "?") (\($0.status ?? "failed"))" }
                guard let next = page.pagination?.next, until.map({ next < $0 }) ?? true else { break }
                until = next
            }
        } catch {
            // The job failed either way; the domain list is a detail.
        }
        guard !domains.isEmpty else { return "" }
        let shown = domains.prefix(Self.aliasesShown).joined(separator: ", ")
        let more = domains.count > Self.aliasesShown ? " and \(domains.count - Self.aliasesShown) more" : ""
        return "; domains not moved: \(shown)\(more)"
    }
}
