import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// One GraphQL operation against Railway's public API: the token in the header its kind requires, the
/// request deadline, and every failure — transport, HTTP status or a GraphQL `errors[]` entry answered
/// with HTTP 200 — classified into a ``ProviderError`` whose message says what to fix (naming the
/// variable that holds the token, never its value).
///
/// Values travel only as GraphQL variables; the query texts are constants (``RailwayOperation``).
struct RailwayAPI: Sendable {
    let spec: RailwayProviderSpec
    let exchange: HTTPExchange

    init(spec: RailwayProviderSpec, client: HTTPClient, redactor: Redactor) {
        self.spec = spec
        exchange = HTTPExchange(client: client, redactor: redactor, timeout: spec.timeout)
    }

    /// What a call is for, used in its messages.
    struct Purpose: Sendable {
        /// As in "could not <action> for <service>".
        var action: String
        var service: ServiceName
        /// What "not found" means here, e.g. "Railway does not know deployment d-1".
        var notFound: String
    }

    /// Sends `operation` and decodes `data.<operation.field>`.
    func perform<Value: Decodable>(
        _ operation: RailwayOperation,
        variables: [String: JSONValue],
        as type: Value.Type,
        _ purpose: Purpose
    ) async throws -> Value {
        let request = try render(operation, variables: variables)
        let failure = failure(purpose)
        let answer = try await exchange.send(request, purpose: purpose.action, service: purpose.service) { _ in true }
        let reply = RailwayReply(answer.body, field: operation.field, as: type)
        if !reply.errors.isEmpty, answer.status == 200 || answer.status == 400 {
            throw classify(reply.errors, answer: answer, failure: failure, purpose: purpose)
        }
        if let error = statusError(answer, failure: failure, purpose: purpose) { throw error }
        switch reply.data {
        case .success(let value?):
            return value
        case .success(nil):
            throw failure.error(.badResponse, "Railway answered without `data.\(operation.field)`")
        case .failure:
            let what = reply.isJSON ? "JSON without the expected fields" : "something that is not JSON"
            throw failure.error(.badResponse, "Railway answered \(answer.status) with \(what)")
        }
    }

    /// The Railway service id of `service`, or a permanent error saying where to add it.
    func serviceID(_ service: ServiceName, purpose: Purpose) throws -> String {
        guard let id = spec.railwayServiceID(for: service) else {
            throw ProviderError(
                .rejected,
                "could not \(purpose.action) for \(service): \(Self.missingServiceID(service))"
            )
        }
        return id
    }

    static func missingServiceID(_ service: ServiceName) -> String {
        "no Railway service id for \(service): add it under the provider's services: or set service_id"
    }

    /// How to word a failure of a call made for `purpose`.
    func failure(_ purpose: Purpose) -> FailureContext {
        FailureContext(
            purpose: purpose.action,
            service: purpose.service,
            method: "POST",
            safeURL: Redactor.safeURL(spec.apiURL),
            credentialHeader: spec.tokenKind.header,
            redactor: exchange.redactor
        )
    }

    // MARK: Request

    private func render(_ operation: RailwayOperation, variables: [String: JSONValue]) throws -> RenderedRequest {
        let token = spec.tokenKind == .account ? "Bearer \(spec.token.value)" : spec.token.value
        let headers: [String: ConfigText] = [
            spec.tokenKind.header: ConfigText(token, isSecret: true),
            "Accept": ConfigText("application/json"),
            "Content-Type": ConfigText("application/json"),
        ]
        let body: JSONValue = .object([
            "query": .string(operation.query),
            "operationName": .string(operation.name),
            "variables": .object(variables),
        ])
        do {
            // The body is encoded here, not by RenderedRequest: its `{{…}}` templating must never touch
            // values such as Railway's reference variables (`${{Postgres.DATABASE_URL}}`).
            var request = try RenderedRequest(
                HTTPRequestSpec(method: "POST", url: spec.apiURL, headers: headers),
                values: [:]
            )
            request.body = try JSONEncoder().encode(body)
            return request
        } catch {
            throw ProviderError(.rejected, "the request to \(Redactor.safeURL(spec.apiURL)) cannot be encoded")
        }
    }

    // MARK: Classification

    /// A failure status; nil for 200 (and other 2xx).
    private func statusError(_ answer: HTTPAnswer, failure: FailureContext, purpose: Purpose) -> ProviderError? {
        let status = answer.status
        switch status {
        case 200...299:
            return nil
        case 429:
            let retryAfter = RetryAfter.parse(answer.headers.first(name: "Retry-After"))
            let wait = retryAfter.map { ", retry after \($0.rewindDescription)" } ?? ""
            return failure.error(.rateLimited, "Railway is rate limiting (429)\(wait)", retryAfter: retryAfter)
        case 401, 403:
            return failure.error(.auth, "Railway refused the token (\(status)): \(tokenAdvice())")
        case 404:
            return failure.error(.rejected, "nothing answers at \(Redactor.safeURL(spec.apiURL)) (404): check api_url")
        case 500...599:
            return failure.error(.server, "Railway failed (\(status))")
        case 400...499:
            return failure.error(.rejected, "Railway rejected the request (\(status))")
        default:
            return failure.error(.badResponse, "unexpected status \(status)")
        }
    }

    /// The GraphQL errors of an answer as one ``ProviderError``: the most permanent kind wins.
    private func classify(
        _ errors: [RailwayGraphQLError],
        answer: HTTPAnswer,
        failure: FailureContext,
        purpose: Purpose
    ) -> ProviderError {
        let ranked = errors.map { ($0, $0.kind) }.sorted { $0.1.rank < $1.1.rank }
        let (error, kind) = ranked[0]
        let said = "Railway said: \(error.shortMessage)"
        switch kind {
        case .twoFactor:
            let workspace = error.workspaceName.map { "workspace \($0)" } ?? "the workspace"
            return failure.error(
                .auth,
                "\(said): \(workspace) requires two-factor authentication; put a workspace or project token in "
                    + "\(spec.tokenSource)"
            )
        case .projectTokenNotFound:
            return failure.error(
                .auth,
                "\(said): \(spec.tokenSource) is not a project token Railway knows; create one for environment "
                    + "\(spec.environmentID), or set token_type: account for an account or workspace token"
            )
        case .auth:
            return failure.error(.auth, "\(said): \(tokenAdvice())")
        case .notFound:
            return failure.error(.notFound, "\(purpose.notFound) (\(said))")
        case .rateLimited:
            let retryAfter = RetryAfter.parse(answer.headers.first(name: "Retry-After"))
            return failure.error(.rateLimited, "Railway is rate limiting (\(said))", retryAfter: retryAfter)
        case .server:
            return failure.error(.server, "Railway failed (\(said))")
        case .rejected:
            return failure.error(.rejected, "Railway rejected the request (\(said))")
        }
    }

    /// Which token to check and where it must be allowed, for every authentication failure.
    func tokenAdvice() -> String {
        let scope = "project \(spec.projectID), environment \(spec.environmentID)"
        switch spec.tokenKind {
        case .account:
            return "check that \(spec.tokenSource) can access \(scope) (it is sent as an account or workspace token; "
                + "for a project token set token_type: project)"
        case .project:
            return "check that \(spec.tokenSource) is a project token of \(scope) (it is sent as Project-Access-Token; "
                + "for an account or workspace token set token_type: account)"
        }
    }
}

/// One GraphQL operation Rewind sends: a constant query text with `$variables`, its name, and the root
/// field its answer is read from.
struct RailwayOperation: Sendable {
    var name: String
    var field: String
    var query: String

    private static let deploymentFields = "id status createdAt canRollback canRedeploy serviceId meta"

    /// One page of a service's deployments in an environment (`first`/`after` cursor pagination).
    static let deployments = RailwayOperation(
        name: "Deployments",
        field: "deployments",
        query: """
            query Deployments($input: DeploymentListInput!, $first: Int, $after: String) { \
            deployments(input: $input, first: $first, after: $after) { \
            edges { cursor node { \(deploymentFields) } } pageInfo { hasNextPage endCursor } } }
            """
    )

    /// One deployment by id (the CLI's `DeploymentStatus`, with the fields the rollback checks).
    static let deployment = RailwayOperation(
        name: "Deployment",
        field: "deployment",
        query: "query Deployment($id: String!) { deployment(id: $id) { \(deploymentFields) } }"
    )

    /// The newest deployment and the active ones of a service in an environment.
    static let serviceInstance = RailwayOperation(
        name: "ServiceInstance",
        field: "serviceInstance",
        query: """
            query ServiceInstance($environmentId: String!, $serviceId: String!) { \
            serviceInstance(environmentId: $environmentId, serviceId: $serviceId) { \
            latestDeployment { \(deploymentFields) } activeDeployments { \(deploymentFields) } } }
            """
    )

    /// `Boolean!`: no selection set.
    static let rollback = RailwayOperation(
        name: "DeploymentRollback",
        field: "deploymentRollback",
        query: "mutation DeploymentRollback($id: String!) { deploymentRollback(id: $id) }"
    )

    static let redeploy = RailwayOperation(
        name: "DeploymentRedeploy",
        field: "deploymentRedeploy",
        query: "mutation DeploymentRedeploy($id: String!) { deploymentRedeploy(id: $id) { \(deploymentFields) } }"
    )

    /// `EnvironmentVariables!` is a JSON scalar: no selection set.
    static let variables = RailwayOperation(
        name: "Variables",
        field: "variables",
        query: """
            query Variables($projectId: String!, $environmentId: String!, $serviceId: String, $unrendered: Boolean) { \
            variables(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId, \
            unrendered: $unrendered) }
            """
    )

    static let variableUpsert = RailwayOperation(
        name: "VariableUpsert",
        field: "variableUpsert",
        query: "mutation VariableUpsert($input: VariableUpsertInput!) { variableUpsert(input: $input) }"
    )
}
