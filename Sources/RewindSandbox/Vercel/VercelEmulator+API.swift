import Foundation
import Synchronization

/// One request as the emulator sees it: decoded path segments and query.
struct VercelIncoming: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var authorization: String?
    var body: Data

    var segments: [String] {
        path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
    }
}

/// A method and path matched against patterns such as `v9/projects/*/rollback/*`.
struct VercelRoute {
    var method: String
    var segments: [String]

    /// The segments standing for `*`, or nil when the route does not match.
    func matches(_ method: String, _ pattern: String) -> [String]? {
        let parts = pattern.split(separator: "/").map(String.init)
        guard method == self.method, parts.count == segments.count else { return nil }
        var captured: [String] = []
        for (part, segment) in zip(parts, segments) {
            if part == "*" {
                captured.append(segment)
            } else if part != segment {
                return nil
            }
        }
        return captured
    }
}

/// The emulator's answer; `delay` asks the server to hold it back.
struct VercelAnswer: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var body: Data
    var delay: Duration?
}

/// The contract (platform-apis.md 1.2–1.8): routes, auth, team scope, pagination and job progression.
extension VercelEmulator {
    func answer(_ incoming: VercelIncoming) -> VercelAnswer {
        state.withLock { state in
            var answer: VercelAnswer
            switch Self.takeFault(&state, path: incoming.path) {
            case .fail(let status, let retryAfter)?:
                answer = injectedFailure(status: status, retryAfter: retryAfter)
            case .malformed?:
                answer = VercelAnswer(status: 200, body: Data("{\"deployments\": [<html>oops".utf8))
            case .delay(let delay)?:
                answer = route(&state, incoming)
                answer.delay = delay
            case nil:
                answer = route(&state, incoming)
            }
            state.received.append(
                VercelReceivedRequest(
                    method: incoming.method,
                    path: incoming.path,
                    query: incoming.query,
                    authorization: incoming.authorization,
                    body: String(decoding: incoming.body, as: UTF8.self),
                    status: answer.status
                )
            )
            return answer
        }
    }

    private static func takeFault(_ state: inout State, path: String) -> FaultKind? {
        guard let index = state.faults.firstIndex(where: { $0.path.map(path.hasPrefix) ?? true }) else { return nil }
        let kind = state.faults[index].kind
        state.faults[index].remaining -= 1
        if state.faults[index].remaining <= 0 { state.faults.remove(at: index) }
        return kind
    }

    // MARK: - Routing

    private func route(_ state: inout State, _ incoming: VercelIncoming) -> VercelAnswer {
        guard let authorization = incoming.authorization, authorization.hasPrefix("Bearer "),
            case let token = String(authorization.dropFirst("Bearer ".count)), !token.isEmpty
        else { return Self.error(403, "forbidden", "The request is missing an authentication token") }
        guard let user = state.tokens[token] else { return Self.error(403, "forbidden", "Not authorized") }
        var scope: String?
        if let teamID = incoming.query["teamId"]
            ?? incoming.query["slug"].flatMap({ slug in
                state.teams.values.first { $0.slug == slug }?.id ?? slug
            })
        {
            guard state.teams[teamID] != nil, user.teams.contains(teamID) else {
                return Self.error(403, "forbidden", "You don't have permission to access the team \(teamID)")
            }
            scope = teamID
        }
        let query = incoming.query
        let route = VercelRoute(method: incoming.method, segments: incoming.segments)
        if route.matches("GET", "v2/user") != nil {
            return Self.json(["user": ["id": "usr_\(user.username)", "username": user.username]])
        }
        if let id = route.matches("GET", "v2/teams/*")?.first {
            guard let team = state.teams[id] else { return Self.error(404, "not_found", "Team not found") }
            guard user.teams.contains(id) else {
                return Self.error(403, "forbidden", "You don't have permission to access the team \(id)")
            }
            return Self.json(["id": team.id, "slug": team.slug, "name": team.name])
        }
        if route.matches("GET", "v6/deployments") != nil || route.matches("GET", "v7/deployments") != nil {
            return listDeployments(state, scope: scope, query: query)
        }
        if let idOrURL = route.matches("GET", "v13/deployments/*")?.first {
            return deployment(state, scope: scope, idOrURL: idOrURL)
        }
        if let project = route.matches("GET", "v9/projects/*")?.first {
            return readProject(&state, scope: scope, project: project, rollbackInfo: query["rollbackInfo"] == "true")
        }
        if let project = route.matches("GET", "v9/projects/*/rollback/aliases")?.first {
            return aliases(state, scope: scope, project: project, query: query)
        }
        if let ids = route.matches("POST", "v9/projects/*/rollback/*") {
            guard Self.isJSONObject(incoming.body) else { return Self.bodyRequired }
            return start(.rollback, &state, scope: scope, project: ids[0], deployment: ids[1], incoming)
        }
        if let ids = route.matches("POST", "v1/projects/*/rollback/*") {
            return start(.rollback, &state, scope: scope, project: ids[0], deployment: ids[1], incoming)
        }
        if let ids = route.matches("POST", "v10/projects/*/promote/*") {
            guard Self.isJSONObject(incoming.body) else { return Self.bodyRequired }
            return start(.promote, &state, scope: scope, project: ids[0], deployment: ids[1], incoming)
        }
        return Self.error(404, "not_found", "The requested API endpoint was not found")
    }

    private static var bodyRequired: VercelAnswer {
        error(400, "bad_request", "Invalid request: the body must be a JSON object ({})")
    }

    private static func projectIndex(_ state: State, scope: String?, _ project: String) -> Int? {
        state.projects.firstIndex { ($0.id == project || $0.name == project) && $0.teamID == scope }
    }

    // MARK: - Deployments

    private func listDeployments(_ state: State, scope: String?, query: [String: String]) -> VercelAnswer {
        var projects = state.projects.filter { $0.teamID == scope }
        if let wanted = query["projectId"] {
            guard let index = Self.projectIndex(state, scope: scope, wanted) else {
                return Self.error(404, "not_found", "Project not found")
            }
            projects = [state.projects[index]]
        }
        let states = query["state"].map { Set($0.uppercased().split(separator: ",").map(String.init)) }
        var listed: [(Project, VercelEmulatedDeployment)] = projects.flatMap { project in
            project.deployments.map { (project, $0) }
        }
        listed = listed.filter { _, deployment in
            (query["target"].map { $0 == deployment.target } ?? true)
                && (states.map { $0.contains(deployment.readyState) } ?? true)
                && (query["rollbackCandidate"] == "true" ? deployment.isRollbackCandidate : true)
                && (query["until"].flatMap { Int64($0) }.map { deployment.createdAt < $0 } ?? true)
                && (query["since"].flatMap { Int64($0) }.map { deployment.createdAt > $0 } ?? true)
        }
        listed.sort { $0.1.createdAt > $1.1.createdAt }
        let limit = min(max(1, query["limit"].flatMap { Int($0) } ?? 20), state.maxPageSize)
        let page = Array(listed.prefix(limit))
        let next: Any = listed.count > limit ? page.last!.1.createdAt : NSNull()
        return Self.json([
            "deployments": page.map { deploymentJSON($0.1, project: $0.0, state: state, single: false) },
            "pagination": ["count": page.count, "next": next, "prev": page.first?.1.createdAt ?? NSNull()],
        ])
    }

    private func deployment(_ state: State, scope: String?, idOrURL: String) -> VercelAnswer {
        for project in state.projects where project.teamID == scope {
            if let found = project.deployments.first(where: { $0.id == idOrURL || url(of: $0, project) == idOrURL }) {
                return Self.json(deploymentJSON(found, project: project, state: state, single: true))
            }
        }
        return Self.error(404, "not_found", "Deployment not found")
    }

    private func url(of deployment: VercelEmulatedDeployment, _ project: Project) -> String {
        "\(project.name)-\(deployment.id.lowercased().replacingOccurrences(of: "_", with: "-")).vercel.app"
    }

    private func deploymentJSON(
        _ deployment: VercelEmulatedDeployment,
        project: Project,
        state: State,
        single: Bool
    ) -> [String: Any] {
        let isProduction = project.production == deployment.id
        let owner = project.teamID.flatMap { state.teams[$0]?.slug } ?? "personal"
        var json: [String: Any] = [
            single ? "id" : "uid": deployment.id,
            "name": project.name,
            "projectId": project.id,
            "url": url(of: deployment, project),
            "created": deployment.createdAt,
            "createdAt": deployment.createdAt,
            "buildingAt": deployment.createdAt + 1_000,
            "ready": deployment.createdAt + 60_000,
            "state": deployment.readyState,
            "readyState": deployment.readyState,
            "target": deployment.target ?? NSNull(),
            "type": "LAMBDAS",
            "source": "git",
            "isRollbackCandidate": deployment.isRollbackCandidate,
            "inspectorUrl": "https://vercel.com/\(owner)/\(project.name)/\(deployment.id)",
            "creator": ["uid": "usr_ci", "username": "ci-bot"],
            "meta": deployment.meta,
        ]
        if deployment.readyState == "READY" && deployment.target == "production" {
            json["readySubstate"] = isProduction ? "PROMOTED" : "STAGED"
        }
        if single {
            json["status"] = deployment.readyState
            json["alias"] = isProduction ? project.domains : []
            json["aliasAssigned"] = isProduction
            json["ownerId"] = project.teamID ?? "usr_personal"
            json["version"] = 2
        }
        return json
    }

    // MARK: - Projects and jobs

    private func readProject(
        _ state: inout State,
        scope: String?,
        project: String,
        rollbackInfo: Bool
    )
        -> VercelAnswer
    {
        guard let index = Self.projectIndex(state, scope: scope, project) else {
            return Self.error(404, "not_found", "Project not found")
        }
        let current = state.projects[index]
        var json: [String: Any] = [
            "id": current.id, "name": current.name, "accountId": current.teamID ?? "usr_personal",
            "framework": "nextjs",
        ]
        var targets: [String: Any] = [:]
        if let production = current.production,
            let deployment = current.deployments.first(where: { $0.id == production })
        {
            targets["production"] = deploymentJSON(deployment, project: current, state: state, single: true)
        }
        json["targets"] = targets
        if rollbackInfo {
            json["lastAliasRequest"] = current.job.map(Self.jobJSON) ?? NSNull()
            if let description = current.description {
                json["rollbackDescription"] = [
                    "userId": "usr_ci", "username": "ci-bot", "description": description,
                    "createdAt": current.job?.requestedAt ?? 0,
                ]
            }
            // Each read of the job moves it one step on (platform-apis.md 1.8).
            Self.advanceJob(&state.projects[index])
        }
        return Self.json(json)
    }

    private static func jobJSON(_ job: VercelEmulatedJob) -> [String: Any] {
        [
            "fromDeploymentId": job.fromDeploymentID ?? NSNull(), "toDeploymentId": job.toDeploymentID,
            "jobStatus": job.jobStatus, "requestedAt": job.requestedAt, "type": job.type,
        ]
    }

    private static func advanceJob(_ project: inout Project) {
        guard var job = project.job else { return }
        switch job.jobStatus {
        case "pending":
            if job.type == "promote" && project.rollingRelease { return }
            job.jobStatus = project.jobOutcome == .skip ? "skipped" : "in-progress"
        case "in-progress":
            switch project.jobOutcome {
            case .succeed, .skip:
                job.jobStatus = "succeeded"
                project.production = job.toDeploymentID
            case .fail(let domains):
                job.jobStatus = "failed"
                project.failedDomains = domains
            }
        default:
            return
        }
        project.job = job
    }

    private func start(
        _ kind: VercelMutation.Kind,
        _ state: inout State,
        scope: String?,
        project: String,
        deployment: String,
        _ incoming: VercelIncoming
    ) -> VercelAnswer {
        guard let index = Self.projectIndex(state, scope: scope, project) else {
            return Self.error(404, "not_found", "Project not found")
        }
        let current = state.projects[index]
        guard let target = current.deployments.first(where: { $0.id == deployment }) else {
            return Self.error(404, "not_found", "Deployment not found")
        }
        guard target.readyState == "READY", target.target == "production" else {
            return Self.error(400, "bad_request", "The deployment is not a READY production deployment")
        }
        if kind == .rollback && !target.isRollbackCandidate {
            return Self.error(422, "bad_request", "The deployment is not eligible for instant rollback")
        }
        if let job = current.job, job.jobStatus == "pending" || job.jobStatus == "in-progress" {
            return Self.error(409, "conflict", "A rollback or promote is already in progress for this project")
        }
        guard current.production != deployment else {
            return Self.error(400, "bad_request", "The deployment already serves production")
        }
        let queued = kind == .promote && current.rollingRelease
        let status = queued ? 202 : 201
        state.projects[index].job = VercelEmulatedJob(
            type: kind.rawValue,
            fromDeploymentID: current.production,
            toDeploymentID: deployment,
            jobStatus: "pending",
            requestedAt: now()
        )
        state.projects[index].jobOutcome = state.nextOutcome ?? .succeed
        state.projects[index].failedDomains = []
        state.nextOutcome = nil
        let description = incoming.query["description"]
        if kind == .rollback { state.projects[index].description = description.map { String($0.prefix(250)) } }
        state.mutations.append(
            VercelMutation(
                kind: kind,
                projectID: current.id,
                deploymentID: deployment,
                path: incoming.path,
                description: description,
                teamID: scope,
                status: status
            )
        )
        return Self.json([:], status: status)
    }

    private func aliases(_ state: State, scope: String?, project: String, query: [String: String]) -> VercelAnswer {
        guard let index = Self.projectIndex(state, scope: scope, project) else {
            return Self.error(404, "not_found", "Project not found")
        }
        let current = state.projects[index]
        let failedOnly = query["failedOnly"] == "true"
        let domains = failedOnly ? current.failedDomains : current.domains
        let base = current.job?.requestedAt ?? 0
        // Entries are stamped one millisecond apart, newest first, for `until` paging.
        var entries = domains.enumerated().map { (stamp: base - Int64($0.offset), domain: $0.element) }
        if let until = query["until"].flatMap({ Int64($0) }) { entries = entries.filter { $0.stamp < until } }
        let limit = max(1, query["limit"].flatMap { Int($0) } ?? 20)
        let page = Array(entries.prefix(limit))
        let status = failedOnly ? "failed" : (current.job?.jobStatus == "succeeded" ? "completed" : "pending")
        let json: [[String: Any]] = page.map { entry in
            [
                "id": "alias_\(entry.stamp)", "status": status,
                "alias": ["alias": entry.domain, "deploymentId": current.job?.toDeploymentID ?? NSNull()],
            ]
        }
        let next: Any = entries.count > limit ? page.last!.stamp : NSNull()
        return Self.json(["aliases": json, "pagination": ["count": page.count, "next": next, "prev": NSNull()]])
    }

    // MARK: - Answers

    private func injectedFailure(status: Int, retryAfter: String?) -> VercelAnswer {
        switch status {
        case 429:
            // Saturating: a test may ask for an absurd Retry-After to see what Rewind makes of it.
            let seconds = retryAfter.flatMap { Int64($0) } ?? 60
            let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
            let (reset, late) = now().addingReportingOverflow(overflow ? .max : milliseconds)
            let resetAt = late ? Int64.max : reset
            var answer = Self.json(
                [
                    "error": [
                        "code": "rate_limited", "message": "Rate limit exceeded",
                        "limit": ["remaining": 0, "reset": resetAt / 1000, "resetMs": resetAt, "total": 100],
                    ]
                ],
                status: 429
            )
            if let retryAfter { answer.headers.append(("Retry-After", retryAfter)) }
            return answer
        case 401: return Self.error(401, "unauthorized", "The token is not valid")
        case 403: return Self.error(403, "forbidden", "Not authorized")
        case 404: return Self.error(404, "not_found", "Not found")
        case 409: return Self.error(409, "conflict", "Conflict")
        case 500...599: return Self.error(status, "internal_server_error", "An unexpected internal error occurred")
        default: return Self.error(status, "bad_request", "Bad request")
        }
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> VercelAnswer {
        json(["error": ["code": code, "message": message]], status: status)
    }

    static func json(_ object: [String: Any], status: Int = 200) -> VercelAnswer {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return VercelAnswer(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    private static func isJSONObject(_ body: Data) -> Bool {
        (try? JSONSerialization.jsonObject(with: body)) is [String: Any]
    }
}
