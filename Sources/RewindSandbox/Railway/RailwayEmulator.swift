import Foundation
import Synchronization

/// The state of an emulated Railway (platform-apis.md §2), served by ``RailwayEmulatorServer`` at
/// `POST /graphql/v2`: projects' services with their deployments and variables, the tokens it accepts,
/// faults to inject, and everything it received. Thread-safe.
///
/// What it answers, as the public API does:
/// - queries `deployments` (Relay cursor pagination, `first`/`after` and `last`/`before`;
///   `status: { in, notIn }`), `deployment`, `serviceInstance`
///   (`latestDeployment`, `activeDeployments`), `variables`; mutations `deploymentRollback` (`Boolean!`),
///   `deploymentRedeploy`, `deploymentRestart`, `variableUpsert`. Anything else is a validation error (HTTP
///   400), as is a selection set on a `Boolean!` field or a missing required argument;
/// - authentication: `Authorization: Bearer <account token>`, or `Project-Access-Token: <project token>`
///   scoped to one environment. A missing or unknown token answers HTTP 200 with `errors[]`:
///   `Not Authorized` (or `Project Token not found`);
/// - a rollback or redeploy creates a new deployment (`meta.reason` `rollback`/`redeploy`, the target's
///   `commitHash`) whose status moves through ``progression`` one step per `deployment(id:)` read; when it
///   goes live the deployment it replaced becomes `REMOVED`. A rollback also restores the target's variables;
/// - every answer carries `X-RateLimit-Limit/Remaining/Reset`; ``limitRequests(to:resetAfter:)`` makes it
///   answer 429 with `Retry-After` once the budget is spent.
///
/// ```swift
/// let railway = RailwayEmulator()
/// railway.addAccountToken("acct-token")
/// railway.addDeployment(id: "d-old", projectID: "p-1", environmentID: "e-1", serviceID: "s-1",
///                       status: "REMOVED", commitHash: "77aa")
/// railway.addDeployment(id: "d-new", projectID: "p-1", environmentID: "e-1", serviceID: "s-1", commitHash: "9e1f")
/// railway.failNext(1, status: 429, retryAfter: 7)
/// …
/// railway.mutations.map(\.field)      // ["deploymentRollback"]
/// ```
public final class RailwayEmulator: Sendable {
    /// A deployment as the emulator holds it.
    public struct Deployment: Sendable, Equatable {
        public var id: String
        public var projectID: String
        public var environmentID: String
        public var serviceID: String
        public var status: String
        public var createdAt: Date
        public var canRollback: Bool
        public var canRedeploy: Bool
        public var meta: RailwayJSON
        /// The statuses still to come: each `deployment(id:)` read moves one step.
        public var upcoming: [String]
        /// The service variables it was deployed with; a rollback to it restores them.
        public var variables: [String: String]
        /// For a deployment the emulator created (rollback, redeploy, variable change): the deployment whose
        /// build it runs, followed back to one that was deployed, not created. Nil for deployments added.
        public var sourceID: String? = nil

        public var commitHash: String? { meta["commitHash"]?.string }
        /// `rollback` or `redeploy` for the deployments the emulator created.
        public var reason: String? { meta["reason"]?.string }
    }

    /// One request the emulator received, and what it answered.
    public struct Request: Sendable {
        /// `operationName` from the body, else the operation's own name.
        public var operationName: String?
        /// The root field (`deploymentRollback`); nil when the body could not be parsed.
        public var field: String?
        public var isMutation: Bool
        /// The GraphQL variables as sent.
        public var variables: RailwayJSON
        /// The query text as sent.
        public var query: String?
        /// Header names lowercased.
        public var headers: [String: String]
        public var status: Int
        /// The answer's body parsed as JSON; nil when it was not JSON (an injected malformed answer).
        public var answer: RailwayJSON?

        /// The `errors[].message` of the answer.
        public var errorMessages: [String] { answer?["errors"]?.array?.compactMap { $0["message"]?.string } ?? [] }
    }

    struct Fault: Sendable {
        enum Kind: Sendable {
            case status(Int, retryAfter: Int?, body: String?)
            case graphQLError(message: String, code: String?)
            case delay(Duration)
            case malformed
        }

        var remaining: Int
        /// The root field it applies to; nil for any request.
        var field: String?
        var kind: Kind
    }

    struct ProjectToken: Sendable {
        var projectID: String
        var environmentID: String
    }

    struct ServiceKey: Sendable, Hashable {
        var environmentID: String
        var serviceID: String
    }

    struct RateLimit: Sendable {
        var limit: Int
        var remaining: Int
        var resetSeconds: Int
    }

    struct State: Sendable {
        var accountTokens: Set<String> = []
        var projectTokens: [String: ProjectToken] = [:]
        var twoFactorWorkspace: String?
        var deployments: [Deployment] = []
        /// Project of each service (known from its deployments or `addService`).
        var projects: [ServiceKey: String] = [:]
        /// Variables by environment and service; the service id is empty for shared variables.
        var variables: [ServiceKey: [String: String]] = [:]
        var progression = ["INITIALIZING", "DEPLOYING", "SUCCESS"]
        var faults: [Fault] = []
        var rateLimit: RateLimit?
        var received: [Request] = []
        var sequence = 0
        var pauses: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextPause: UInt64 = 0
        var stopped = false
    }

    let state = Mutex(State())

    public init() {}

    // MARK: - Configuration

    /// Accepts `token` as `Authorization: Bearer <token>` (an account or workspace token: every project).
    public func addAccountToken(_ token: String) {
        state.withLock { _ = $0.accountTokens.insert(token) }
    }

    /// Accepts `token` as `Project-Access-Token: <token>` for one environment of one project.
    public func addProjectToken(_ token: String, projectID: String, environmentID: String) {
        state.withLock { $0.projectTokens[token] = ProjectToken(projectID: projectID, environmentID: environmentID) }
    }

    /// With a workspace name, account tokens are refused with `Two Factor Authentication Required`.
    public func requireTwoFactor(workspace: String?) {
        state.withLock { $0.twoFactorWorkspace = workspace }
    }

    /// The statuses a deployment created by a rollback or redeploy goes through, one per status read.
    /// Default `INITIALIZING → DEPLOYING → SUCCESS`; end with `FAILED` or `CRASHED` for a rollback that fails.
    public var progression: [String] {
        get { state.withLock { $0.progression } }
        set { state.withLock { $0.progression = newValue.isEmpty ? ["SUCCESS"] : newValue } }
    }

    /// Registers a service with no deployment yet.
    public func addService(projectID: String, environmentID: String, serviceID: String) {
        state.withLock { $0.projects[ServiceKey(environmentID: environmentID, serviceID: serviceID)] = projectID }
    }

    /// Adds a deployment as it is (seeding does not change other deployments). It records the service's
    /// current variables as the ones it runs with.
    @discardableResult
    public func addDeployment(
        id: String,
        projectID: String,
        environmentID: String,
        serviceID: String,
        status: String = "SUCCESS",
        createdAt: Date = Date(),
        commitHash: String? = nil,
        meta: RailwayJSON? = nil,
        canRollback: Bool = true,
        canRedeploy: Bool = true
    ) -> Deployment {
        state.withLock { state in
            let key = ServiceKey(environmentID: environmentID, serviceID: serviceID)
            state.projects[key] = projectID
            var metadata = meta?.object ?? [:]
            if let commitHash { metadata["commitHash"] = .string(commitHash) }
            let deployment = Deployment(
                id: id,
                projectID: projectID,
                environmentID: environmentID,
                serviceID: serviceID,
                status: status,
                createdAt: createdAt,
                canRollback: canRollback,
                canRedeploy: canRedeploy,
                meta: .object(metadata),
                upcoming: [],
                variables: state.variables[key] ?? [:]
            )
            state.deployments.append(deployment)
            return deployment
        }
    }

    /// A deployment made outside Rewind (`railway up`): it goes live at once, and the deployment it
    /// replaces becomes `REMOVED`, as on Railway.
    @discardableResult
    public func deploy(
        id: String,
        projectID: String,
        environmentID: String,
        serviceID: String,
        createdAt: Date = Date(),
        commitHash: String? = nil
    ) -> Deployment {
        let added = addDeployment(
            id: id, projectID: projectID, environmentID: environmentID, serviceID: serviceID, status: "DEPLOYING",
            createdAt: createdAt, commitHash: commitHash
        )
        return state.withLock { state in
            guard let index = state.deployments.lastIndex(where: { $0.id == id }) else { return added }
            state.deployments[index].upcoming = ["SUCCESS"]
            Self.advance(&state, index)
            return state.deployments[index]
        }
    }

    /// Replaces the variables of a service (or, with `serviceID` nil, the environment's shared ones).
    public func setVariables(
        _ variables: [String: String],
        projectID: String,
        environmentID: String,
        serviceID: String?
    ) {
        state.withLock { state in
            let key = ServiceKey(environmentID: environmentID, serviceID: serviceID ?? "")
            state.variables[key] = variables
            if serviceID != nil { state.projects[key] = projectID }
        }
    }

    // MARK: - Faults

    /// The next `count` requests (for `field` only, when given) answer HTTP `status`, with `Retry-After`
    /// when given and `body` (JSON `errors[]` by default).
    public func failNext(_ count: Int, status: Int, retryAfter: Int? = nil, body: String? = nil, field: String? = nil) {
        addFault(count, field, .status(status, retryAfter: retryAfter, body: body))
    }

    /// The next `count` requests answer HTTP 200 with `{"data":null,"errors":[{"message": message}]}`.
    public func graphQLErrorNext(_ count: Int, message: String, code: String? = nil, field: String? = nil) {
        addFault(count, field, .graphQLError(message: message, code: code))
    }

    /// The next `count` requests are answered only after `delay` — or at once after ``releaseDelayed()``
    /// or when the server shuts down — so that a client's deadline fires first.
    public func delayNext(_ count: Int, by delay: Duration, field: String? = nil) {
        addFault(count, field, .delay(delay))
    }

    /// The next `count` requests answer HTTP 200 with a body that is not JSON.
    public func malformedNext(_ count: Int, field: String? = nil) {
        addFault(count, field, .malformed)
    }

    /// Allows `limit` more requests; after that every request answers 429 with `Retry-After: resetAfter`.
    public func limitRequests(to limit: Int, resetAfter: Int = 60) {
        state.withLock { $0.rateLimit = RateLimit(limit: limit, remaining: limit, resetSeconds: resetAfter) }
    }

    /// Answers the requests held by ``delayNext(_:by:field:)`` now.
    public func releaseDelayed() {
        let pauses = state.withLock { state in
            defer { state.pauses.removeAll() }
            return Array(state.pauses.values)
        }
        for pause in pauses { pause.resume() }
    }

    private func addFault(_ count: Int, _ field: String?, _ kind: Fault.Kind) {
        state.withLock { $0.faults.append(Fault(remaining: count, field: field, kind: kind)) }
    }

    // MARK: - Inspection

    /// Every request received, oldest first.
    public var requests: [Request] { state.withLock { $0.received } }

    /// The mutations received, oldest first (rejected ones included; see ``Request/status``).
    public var mutations: [Request] { requests.filter(\.isMutation) }

    /// The service's deployments, newest first.
    public func deployments(serviceID: String) -> [Deployment] {
        state.withLock { Self.newestFirst($0.deployments.filter { $0.serviceID == serviceID }) }
    }

    public func deployment(id: String) -> Deployment? {
        state.withLock { $0.deployments.first { $0.id == id } }
    }

    /// The newest deployment of the service that serves (`SUCCESS` or `SLEEPING`).
    public func liveDeployment(serviceID: String) -> Deployment? {
        deployments(serviceID: serviceID).first { Self.serving.contains($0.status) }
    }

    /// The service's own variables (without the shared ones).
    public func variables(environmentID: String, serviceID: String) -> [String: String] {
        state.withLock { $0.variables[ServiceKey(environmentID: environmentID, serviceID: serviceID)] ?? [:] }
    }

    /// Moves every deployment still in flight to the end of its progression.
    public func finishInFlight() {
        state.withLock { state in
            for index in state.deployments.indices where !state.deployments[index].upcoming.isEmpty {
                while !state.deployments[index].upcoming.isEmpty { Self.advance(&state, index) }
            }
        }
    }

    // MARK: - Serving

    /// What the emulator answers.
    struct Answer: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: Data

        static func json(_ value: RailwayJSON, status: Int = 200, headers: [(String, String)] = []) -> Answer {
            Answer(
                status: status,
                headers: [("Content-Type", "application/json; charset=utf-8")] + headers,
                body: value.encoded
            )
        }

        static func errors(_ messages: [String], status: Int, code: String) -> Answer {
            let entries = messages.map {
                RailwayJSON.object(["message": .string($0), "extensions": ["code": .string(code)]])
            }
            return json(["errors": .array(entries)], status: status)
        }
    }

    /// Answers one `POST /graphql/v2`; the request is recorded either way.
    func answer(body: Data, headers: [String: String]) async -> Answer {
        let request = RailwayRequest(body: body)
        var answer: Answer
        if let fault = takeFault(for: request.field) {
            answer = await apply(fault, to: request, headers: headers)
        } else {
            answer = serve(request, headers: headers)
        }
        answer.headers += rateLimitHeaders()
        record(request, headers: headers, answer: answer)
        return answer
    }

    private func apply(_ fault: Fault, to request: RailwayRequest, headers: [String: String]) async -> Answer {
        switch fault.kind {
        case .status(let status, let retryAfter, let body):
            var answer =
                body.map {
                    Answer(status: status, headers: [("Content-Type", "application/json")], body: Data($0.utf8))
                }
                ?? Answer.errors([Self.reasonPhrase(status)], status: status, code: "HTTP_\(status)")
            if let retryAfter { answer.headers.append(("Retry-After", String(retryAfter))) }
            return answer
        case .graphQLError(let message, let code):
            var entry: [String: RailwayJSON] = ["message": .string(message)]
            if let field = request.field { entry["path"] = [.string(field)] }
            if let code { entry["extensions"] = ["code": .string(code)] }
            return .json(["data": nil, "errors": [.object(entry)]])
        case .delay(let delay):
            await pause(for: delay)
            return serve(request, headers: headers)
        case .malformed:
            return Answer(
                status: 200,
                headers: [("Content-Type", "application/json")],
                body: Data("{\"data\": {\"deploy".utf8)
            )
        }
    }

    private func serve(_ request: RailwayRequest, headers: [String: String]) -> Answer {
        if let limited = spendRateLimit() { return limited }
        let operation: RailwayGQL.Operation
        switch request.operation {
        case .success(let parsed): operation = parsed
        case .failure(let failure): return .errors([failure.message], status: 400, code: failure.code)
        }
        let invalid = RailwaySchema.validate(operation)
        guard invalid.isEmpty else { return .errors(invalid, status: 400, code: "GRAPHQL_VALIDATION_FAILED") }
        let variables = request.variables.object ?? [:]
        for definition in operation.variables
        where definition.isRequired && (variables[definition.name] ?? .null).isNull {
            return .errors(
                ["Variable \"$\(definition.name)\" of required type \"\(definition.type)\" was not provided."],
                status: 400,
                code: "BAD_USER_INPUT"
            )
        }
        return state.withLock { state in
            var resolver = RailwayResolver(state: state, headers: headers, now: Date())
            let answer = resolver.execute(operation, variables: variables)
            state = resolver.state
            return answer
        }
    }

    // MARK: Helpers

    private func takeFault(for field: String?) -> Fault? {
        state.withLock { state in
            guard
                let index = state.faults.firstIndex(where: {
                    $0.remaining > 0 && ($0.field == nil || $0.field == field)
                })
            else { return nil }
            state.faults[index].remaining -= 1
            let fault = state.faults[index]
            if fault.remaining == 0 { state.faults.remove(at: index) }
            return fault
        }
    }

    private func spendRateLimit() -> Answer? {
        state.withLock { state -> Answer? in
            guard var limit = state.rateLimit else { return nil }
            guard limit.remaining > 0 else {
                var answer = Answer.errors(["Rate limit exceeded"], status: 429, code: "RATE_LIMITED")
                answer.headers.append(("Retry-After", String(limit.resetSeconds)))
                return answer
            }
            limit.remaining -= 1
            state.rateLimit = limit
            return nil
        }
    }

    private func rateLimitHeaders() -> [(String, String)] {
        let limit = state.withLock { $0.rateLimit } ?? RateLimit(limit: 10_000, remaining: 10_000, resetSeconds: 3600)
        let reset = Int(Date().timeIntervalSince1970) + limit.resetSeconds
        return [
            ("X-RateLimit-Limit", String(limit.limit)), ("X-RateLimit-Remaining", String(limit.remaining)),
            ("X-RateLimit-Reset", String(reset)),
        ]
    }

    private func record(_ request: RailwayRequest, headers: [String: String], answer: Answer) {
        let received = Request(
            operationName: request.operationName,
            field: request.field,
            isMutation: request.isMutation,
            variables: request.variables,
            query: request.query,
            headers: headers,
            status: answer.status,
            answer: RailwayJSON.parse(answer.body)
        )
        state.withLock { $0.received.append(received) }
    }

    /// Waits until `delay` passed, ``releaseDelayed()`` was called or the server stopped.
    private func pause(for delay: Duration) async {
        let id = state.withLock { state in
            state.nextPause += 1
            return state.nextPause
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: delay) }
            group.addTask { await self.waitForRelease(id) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRelease(_ id: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.stopped || Task.isCancelled { return true }
                    state.pauses[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.pauses.removeValue(forKey: id) }?.resume()
        }
    }

    /// The server is stopping: held requests are answered and no new one is held.
    func stopDelaying() {
        state.withLock { $0.stopped = true }
        releaseDelayed()
    }

    static let serving: Set<String> = ["SUCCESS", "SLEEPING"]

    static func newestFirst(_ deployments: [Deployment]) -> [Deployment] {
        deployments.enumerated().sorted { a, b in
            a.element.createdAt != b.element.createdAt ? a.element.createdAt > b.element.createdAt : a.offset > b.offset
        }.map(\.element)
    }

    /// Moves deployment `index` one step; once it serves, the deployments it replaced become `REMOVED`.
    static func advance(_ state: inout State, _ index: Int) {
        guard !state.deployments[index].upcoming.isEmpty else { return }
        let next = state.deployments[index].upcoming.removeFirst()
        state.deployments[index].status = next
        guard serving.contains(next) else { return }
        let live = state.deployments[index]
        for other in state.deployments.indices
        where other != index && state.deployments[other].serviceID == live.serviceID
            && state.deployments[other].environmentID == live.environmentID
            && (serving.contains(state.deployments[other].status) || state.deployments[other].status == "CRASHED")
        {
            state.deployments[other].status = "REMOVED"
            state.deployments[other].upcoming = []
        }
    }

    private static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "HTTP \(status)"
        }
    }
}

/// A request body as the emulator reads it.
struct RailwayRequest: Sendable {
    struct Failure: Error, Sendable {
        var message: String
        var code: String
    }

    var query: String?
    var operationName: String?
    var variables: RailwayJSON
    var operation: Result<RailwayGQL.Operation, Failure>

    var field: String? { try? operation.get().selections.first?.name }
    var isMutation: Bool { (try? operation.get().type) == .mutation }

    init(body: Data) {
        let json = RailwayJSON.parse(body)
        query = json?["query"]?.string
        variables = json?["variables"] ?? .null
        let requestedName = json?["operationName"]?.string
        operationName = requestedName
        guard let json, json.object != nil else {
            operation = .failure(Failure(message: "POST body sent invalid JSON.", code: "BAD_REQUEST"))
            return
        }
        guard let query, !query.isEmpty else {
            operation = .failure(
                Failure(message: "GraphQL operations must contain a non-empty `query`.", code: "BAD_REQUEST")
            )
            return
        }
        let operations: [RailwayGQL.Operation]
        do {
            operations = try RailwayGQL.parse(query)
        } catch {
            operation = .failure(Failure(message: error.message, code: "GRAPHQL_PARSE_FAILED"))
            return
        }
        if let requestedName {
            guard let named = operations.first(where: { $0.name == requestedName }) else {
                operation = .failure(
                    Failure(message: "Unknown operation named \"\(requestedName)\".", code: "BAD_USER_INPUT")
                )
                return
            }
            operation = .success(named)
        } else if operations.count == 1 {
            operation = .success(operations[0])
            operationName = operations[0].name
        } else {
            operation = .failure(
                Failure(
                    message: "Must provide operation name if query contains multiple operations.",
                    code: "BAD_USER_INPUT"
                )
            )
        }
    }
}
