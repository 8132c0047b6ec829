import Foundation

/// Executes one validated operation against a copy of the emulator's state: authentication, the root
/// fields' resolvers, the selection of the answered fields, and GraphQL errors (HTTP 200, `data: null`,
/// the failing field in `path`) the way Railway answers them.
struct RailwayResolver {
    typealias Deployment = RailwayEmulator.Deployment
    typealias ServiceKey = RailwayEmulator.ServiceKey

    struct FieldError: Error {
        var message: String
        var extensions: [String: RailwayJSON] = [:]

        static let notAuthorized = FieldError(message: "Not Authorized")
    }

    enum Principal {
        /// An account or workspace token: every project.
        case account
        /// A project token: one environment of one project.
        case project(RailwayEmulator.ProjectToken)
    }

    var state: RailwayEmulator.State
    let headers: [String: String]
    let now: Date

    mutating func execute(_ operation: RailwayGQL.Operation, variables: [String: RailwayJSON]) -> RailwayEmulator.Answer
    {
        var data: [String: RailwayJSON] = [:]
        var errors: [RailwayJSON] = []
        let principal = authenticate()
        for field in operation.selections {
            if field.name == "__typename" {
                data[field.responseKey] = .string(operation.type == .query ? "Query" : "Mutation")
                continue
            }
            let arguments = Dictionary(
                field.arguments.map { ($0.name, $0.value.resolved(variables)) },
                uniquingKeysWith: { _, last in last }
            )
            do {
                let value = try resolve(field.name, arguments, try principal.get())
                if let type = RailwaySchema.rootType(of: field.name, in: operation.type),
                    let selections = field.selections
                {
                    data[field.responseKey] = RailwaySchema.project(value, selections, on: type)
                } else {
                    data[field.responseKey] = value
                }
            } catch {
                var entry: [String: RailwayJSON] = [
                    "message": .string(error.message), "path": [.string(field.responseKey)],
                ]
                if !error.extensions.isEmpty { entry["extensions"] = .object(error.extensions) }
                errors.append(.object(entry))
            }
        }
        // Every root field is non-null: one failing makes `data` null.
        var body: [String: RailwayJSON] = ["data": errors.isEmpty ? .object(data) : .null]
        if !errors.isEmpty { body["errors"] = .array(errors) }
        return .json(.object(body))
    }

    // MARK: Authentication

    private func authenticate() -> Result<Principal, FieldError> {
        if let token = headers["project-access-token"] {
            guard let scope = state.projectTokens[token] else {
                return .failure(FieldError(message: "Project Token not found"))
            }
            return .success(.project(scope))
        }
        if let authorization = headers["authorization"], authorization.lowercased().hasPrefix("bearer ") {
            let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
            guard state.accountTokens.contains(token) else { return .failure(.notAuthorized) }
            if let workspace = state.twoFactorWorkspace {
                return .failure(
                    FieldError(
                        message: "Two Factor Authentication Required",
                        extensions: ["workspaceName": .string(workspace)]
                    )
                )
            }
            return .success(.account)
        }
        return .failure(.notAuthorized)
    }

    private func allows(_ principal: Principal, projectID: String, environmentID: String) -> Bool {
        switch principal {
        case .account: true
        case .project(let scope): scope.projectID == projectID && scope.environmentID == environmentID
        }
    }

    // MARK: Resolvers

    private mutating func resolve(
        _ field: String,
        _ arguments: [String: RailwayJSON],
        _ principal: Principal
    )
        throws(FieldError) -> RailwayJSON
    {
        switch field {
        case "deployments": return try deployments(arguments, principal)
        case "deployment": return try deployment(arguments, principal)
        case "serviceInstance": return try serviceInstance(arguments, principal)
        case "variables": return try variables(arguments, principal)
        case "deploymentRollback": return try rollback(arguments, principal)
        case "deploymentRedeploy": return try redeploy(arguments, principal)
        case "deploymentRestart":
            _ = try target(arguments, principal)
            return true
        case "variableUpsert": return try upsert(arguments, principal)
        default: throw FieldError(message: "Cannot query field \"\(field)\"")
        }
    }

    private func deployments(
        _ arguments: [String: RailwayJSON],
        _ principal: Principal
    ) throws(FieldError)
        -> RailwayJSON
    {
        let input = arguments["input"]?.object ?? [:]
        let projectID = input["projectId"]?.string
        let environmentID = input["environmentId"]?.string
        let serviceID = input["serviceId"]?.string
        if case .project(let scope) = principal,
            projectID.map({ $0 != scope.projectID }) == true || environmentID.map({ $0 != scope.environmentID }) == true
        {
            throw .notAuthorized
        }
        var matching = state.deployments.filter { deployment in
            (projectID == nil || deployment.projectID == projectID)
                && (environmentID == nil || deployment.environmentID == environmentID)
                && (serviceID == nil || deployment.serviceID == serviceID)
                && allows(principal, projectID: deployment.projectID, environmentID: deployment.environmentID)
        }
        if let included = input["status"]?["in"]?.array?.compactMap(\.string) {
            matching = matching.filter { included.contains($0.status) }
        }
        if let excluded = input["status"]?["notIn"]?.array?.compactMap(\.string) {
            matching = matching.filter { !excluded.contains($0.status) }
        }
        matching = RailwayEmulator.newestFirst(matching)
        // Relay cursor pagination: `after`/`before` bound the list, then `first` keeps its head and `last` its
        // tail. Newest first, so `before: <cursor>` asks for the deployments newer than that one.
        var start = 0
        var end = matching.count
        if let after = arguments["after"]?.string {
            guard let index = matching.firstIndex(where: { Self.cursor($0) == after }) else {
                throw FieldError(message: "Invalid cursor")
            }
            start = index + 1
        }
        if let before = arguments["before"]?.string {
            guard let index = matching.firstIndex(where: { Self.cursor($0) == before }) else {
                throw FieldError(message: "Invalid cursor")
            }
            end = max(start, index)
        }
        if let first = arguments["first"]?.int {
            guard first >= 0 else { throw FieldError(message: "`first` must not be negative") }
            end = min(end, start + first)
        }
        if let last = arguments["last"]?.int {
            guard last >= 0 else { throw FieldError(message: "`last` must not be negative") }
            start = max(start, end - last)
        }
        let page = Array(matching[start..<end])
        let edges = page.map { RailwayJSON.object(["cursor": .string(Self.cursor($0)), "node": Self.json($0)]) }
        return [
            "edges": .array(edges),
            "pageInfo": [
                "hasNextPage": .bool(end < matching.count), "hasPreviousPage": .bool(start > 0),
                "startCursor": page.first.map { .string(Self.cursor($0)) } ?? .null,
                "endCursor": page.last.map { .string(Self.cursor($0)) } ?? .null,
            ],
        ]
    }

    /// A status read: answers the deployment as it is, then moves it one step along its progression.
    private mutating func deployment(
        _ arguments: [String: RailwayJSON],
        _ principal: Principal
    ) throws(FieldError)
        -> RailwayJSON
    {
        let index = try target(arguments, principal)
        let value = Self.json(state.deployments[index])
        RailwayEmulator.advance(&state, index)
        return value
    }

    private func serviceInstance(
        _ arguments: [String: RailwayJSON],
        _ principal: Principal
    ) throws(FieldError)
        -> RailwayJSON
    {
        let environmentID = arguments["environmentId"]?.string ?? ""
        let serviceID = arguments["serviceId"]?.string ?? ""
        let key = ServiceKey(environmentID: environmentID, serviceID: serviceID)
        guard let projectID = state.projects[key] else { throw FieldError(message: "ServiceInstance not found") }
        guard allows(principal, projectID: projectID, environmentID: environmentID) else { throw .notAuthorized }
        let mine = RailwayEmulator.newestFirst(
            state.deployments.filter { $0.serviceID == serviceID && $0.environmentID == environmentID }
        )
        let active = mine.filter { RailwayEmulator.serving.contains($0.status) || $0.status == "CRASHED" }
        return [
            "id": .string("\(serviceID):\(environmentID)"), "serviceId": .string(serviceID),
            "environmentId": .string(environmentID), "numReplicas": 1, "healthcheckPath": nil,
            "latestDeployment": mine.first.map(Self.json) ?? .null, "activeDeployments": .array(active.map(Self.json)),
        ]
    }

    private func variables(
        _ arguments: [String: RailwayJSON],
        _ principal: Principal
    ) throws(FieldError)
        -> RailwayJSON
    {
        let projectID = arguments["projectId"]?.string ?? ""
        let environmentID = arguments["environmentId"]?.string ?? ""
        guard allows(principal, projectID: projectID, environmentID: environmentID) else { throw .notAuthorized }
        let shared = state.variables[ServiceKey(environmentID: environmentID, serviceID: "")] ?? [:]
        var merged = shared
        if let serviceID = arguments["serviceId"]?.string {
            let key = ServiceKey(environmentID: environmentID, serviceID: serviceID)
            guard state.projects[key] == projectID else { throw FieldError(message: "Service not found") }
            merged.merge(state.variables[key] ?? [:]) { _, own in own }
        }
        if arguments["unrendered"]?.bool != true {
            merged = merged.mapValues { Self.render($0, variables: merged, shared: shared) }
        }
        return .object(merged.mapValues(RailwayJSON.string))
    }

    private mutating func rollback(
        _ arguments: [String: RailwayJSON],
        _ principal: Principal
    ) throws(FieldError)
        -> RailwayJSON
    {
        let source = state.deployments[try target(arguments, principal)]
        guard source.canRollback else { throw FieldError(message: "Deployment cannot be rolled back") }
        let key = ServiceKey(environmentID: source.environmentID, serviceID: source.serviceID)
        state.variables[key] = source.variables
        create(from: source, reason: "rollback", variables: source.variables)
        return true
    }

    private mutating func redeploy(
        _ arguments: [String: RailwayJSON],
        _ principal: Principal
    ) throws(FieldError)
        -> RailwayJSON
    {
        let source = state.deployments[try target(arguments, principal)]
        guard source.canRedeploy else { throw FieldError(message: "Deployment cannot be redeployed") }
        let key = ServiceKey(environmentID: source.environmentID, serviceID: source.serviceID)
        return Self.json(create(from: source, reason: "redeploy", variables: state.variables[key] ?? [:]))
    }

    private mutating func upsert(
        _ arguments: [String: RailwayJSON],
        _ principal: Principal
    ) throws(FieldError)
        -> RailwayJSON
    {
        let input = arguments["input"]?.object ?? [:]
        guard let projectID = input["projectId"]?.string, let environmentID = input["environmentId"]?.string,
            let name = input["name"]?.string, let value = input["value"]?.string
        else {
            throw FieldError(message: "VariableUpsertInput needs projectId, environmentId, name and value")
        }
        guard allows(principal, projectID: projectID, environmentID: environmentID) else { throw .notAuthorized }
        let serviceID = input["serviceId"]?.string
        let key = ServiceKey(environmentID: environmentID, serviceID: serviceID ?? "")
        if serviceID != nil, state.projects[key] != projectID { throw FieldError(message: "Service not found") }
        state.variables[key, default: [:]][name] = value
        if input["skipDeploys"]?.bool != true, let serviceID,
            let live = RailwayEmulator.newestFirst(state.deployments).first(where: {
                $0.serviceID == serviceID && $0.environmentID == environmentID
                    && RailwayEmulator.serving.contains($0.status)
            })
        {
            create(from: live, reason: "variableChange", variables: state.variables[key] ?? [:])
        }
        return true
    }

    // MARK: Helpers

    /// The index of the deployment `arguments["id"]` names, when the principal may see it.
    private func target(_ arguments: [String: RailwayJSON], _ principal: Principal) throws(FieldError) -> Int {
        guard let id = arguments["id"]?.string, let index = state.deployments.firstIndex(where: { $0.id == id }) else {
            throw FieldError(message: "Deployment not found")
        }
        let deployment = state.deployments[index]
        guard allows(principal, projectID: deployment.projectID, environmentID: deployment.environmentID) else {
            throw .notAuthorized
        }
        return index
    }

    /// A new deployment of `source`'s release, at the start of the progression.
    @discardableResult
    private mutating func create(from source: Deployment, reason: String, variables: [String: String]) -> Deployment {
        state.sequence += 1
        let newest = state.deployments.filter { $0.serviceID == source.serviceID }.map(\.createdAt).max()
        let createdAt = max(now, newest.map { $0.addingTimeInterval(0.001) } ?? now)
        var meta = source.meta.object ?? [:]
        meta["reason"] = .string(reason)
        let progression = state.progression
        let deployment = Deployment(
            id: String(format: "00000000-0000-4000-8000-%012d", state.sequence),
            projectID: source.projectID,
            environmentID: source.environmentID,
            serviceID: source.serviceID,
            status: "QUEUED",
            createdAt: createdAt,
            canRollback: true,
            canRedeploy: true,
            meta: .object(meta),
            upcoming: progression,
            variables: variables,
            sourceID: source.sourceID ?? source.id
        )
        state.deployments.append(deployment)
        RailwayEmulator.advance(&state, state.deployments.count - 1)
        return state.deployments[state.deployments.count - 1]
    }

    static func cursor(_ deployment: Deployment) -> String {
        Data("deployment:\(deployment.id)".utf8).base64EncodedString()
    }

    static func json(_ deployment: Deployment) -> RailwayJSON {
        let created = timestamp(deployment.createdAt)
        return [
            "id": .string(deployment.id), "status": .string(deployment.status), "createdAt": .string(created),
            "updatedAt": .string(created), "statusUpdatedAt": .string(created), "url": nil, "staticUrl": nil,
            "meta": deployment.meta, "canRollback": .bool(deployment.canRollback),
            "canRedeploy": .bool(deployment.canRedeploy), "deploymentStopped": false,
            "projectId": .string(deployment.projectID), "environmentId": .string(deployment.environmentID),
            "serviceId": .string(deployment.serviceID), "snapshotId": nil,
        ]
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Replaces `${{NAME}}` and `${{shared.NAME}}` references; references to other services render empty.
    static func render(_ value: String, variables: [String: String], shared: [String: String]) -> String {
        var output = ""
        var rest = Substring(value)
        while let open = rest.range(of: "${{"), let close = rest[open.upperBound...].range(of: "}}") {
            output += rest[..<open.lowerBound]
            let reference = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if reference.hasPrefix("shared.") {
                output += shared[String(reference.dropFirst("shared.".count))] ?? ""
            } else if !reference.contains(".") {
                output += variables[reference] ?? ""
            }
            rest = rest[close.upperBound...]
        }
        return output + rest
    }
}
