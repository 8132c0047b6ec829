import Foundation
import Hummingbird

/// The simulated deployment platform's API:
///
/// - `GET  /v1/services/{service}/deployments` → `{"deployments":[{"id","version","created_at"}]}`, newest first
/// - `GET  /v1/services/{service}/current` → `{"id","version"}`
/// - `POST /v1/services/{service}/rollback` `{"deployment":"<id>"}` → 202 `{"id":"op-N","status":"in_progress"}`
/// - `GET  /v1/operations/{id}` → `{"id","status","service","deployment"}`
/// - `POST /v1/services/{service}/deploy` `{"id","version","behavior"}` → makes it live
///
/// Errors are `{"error":"…"}`: 401 without the bearer token, 404 for unknown names, 400 for a bad body.
struct PlatformRoutes: Sendable {
    let world: SandboxWorld

    func router() -> Router<SandboxRequestContext> {
        let router = Router(context: SandboxRequestContext.self)
        router.add(middleware: PlatformGate(world: world))
        let services = router.group("v1/services/:service")
        services.get("deployments") { _, context in listDeployments(context) }
        services.get("current") { _, context in current(context) }
        services.post("rollback") { request, context in try await rollback(request, context) }
        services.post("deploy") { request, context in try await deploy(request, context) }
        router.get("v1/operations/:id") { _, context in operation(context) }
        return router
    }

    // MARK: Routes

    private struct DeploymentJSON: Encodable {
        var id: String
        var version: String
        var createdAt: String

        enum CodingKeys: String, CodingKey {
            case id, version
            case createdAt = "created_at"
        }
    }

    private func listDeployments(_ context: SandboxRequestContext) -> Response {
        let service = context.parameters.get("service") ?? ""
        guard let deployments = world.deployments(service: service) else { return unknownService(service) }
        let json = deployments.map {
            DeploymentJSON(id: $0.id, version: $0.version, createdAt: $0.createdAt.formatted(.iso8601))
        }
        return JSONResponse.make(["deployments": json])
    }

    private func current(_ context: SandboxRequestContext) -> Response {
        let service = context.parameters.get("service") ?? ""
        guard world.isKnown(service: service) else { return unknownService(service) }
        guard let live = world.live(service: service) else {
            return JSONResponse.error("service \(service) has no live deployment", status: 404)
        }
        return JSONResponse.make(["id": live.id, "version": live.version])
    }

    private struct RollbackRequest: Decodable {
        var deployment: String
    }

    private func rollback(_ request: Request, _ context: SandboxRequestContext) async throws -> Response {
        let service = context.parameters.get("service") ?? ""
        guard let body = try await decode(RollbackRequest.self, from: request) else {
            return JSONResponse.error("the body must be {\"deployment\":\"<id>\"}", status: 400)
        }
        switch world.startRollback(service: service, deploymentID: body.deployment) {
        case .success(let operation):
            return JSONResponse.make(["id": operation.id, "status": operation.status.rawValue], status: 202)
        case .failure(.unknownService):
            return unknownService(service)
        case .failure(.unknownDeployment):
            return JSONResponse.error("unknown deployment \(body.deployment) of service \(service)", status: 404)
        }
    }

    private func operation(_ context: SandboxRequestContext) -> Response {
        let id = context.parameters.get("id") ?? ""
        guard let operation = world.operation(id: id) else {
            return JSONResponse.error("unknown operation \(id)", status: 404)
        }
        return JSONResponse.make([
            "id": operation.id, "status": operation.status.rawValue, "service": operation.service,
            "deployment": operation.deploymentID,
        ])
    }

    private struct DeployRequest: Decodable {
        var id: String
        var version: String?
        var behavior: String?
        /// The status of a `failing` deployment (default 500).
        var status: Int?
        /// The pattern of a `flapping` deployment (default 2 failures, 1 success).
        var failures: Int?
        var successes: Int?

        var sandboxBehavior: SandboxBehavior? {
            switch behavior ?? "healthy" {
            case "healthy": .healthy
            case "failing": .failing(status: status ?? 500)
            case "flapping": .flapping(failures: failures ?? 2, successes: successes ?? 1)
            case "hanging": .hanging
            case "dropping", "dropping_connection": .droppingConnection
            default: nil
            }
        }
    }

    private func deploy(_ request: Request, _ context: SandboxRequestContext) async throws -> Response {
        let service = context.parameters.get("service") ?? ""
        guard world.isKnown(service: service) else { return unknownService(service) }
        guard let body = try await decode(DeployRequest.self, from: request), let behavior = body.sandboxBehavior else {
            return JSONResponse.error(
                "the body must be {\"id\",\"version\",\"behavior\":\"healthy|failing|flapping|hanging|dropping\"}",
                status: 400
            )
        }
        let deployment = SandboxDeployment(id: body.id, version: body.version ?? body.id, behavior: behavior)
        world.deploy(service: service, deployment)
        return JSONResponse.make(["id": deployment.id, "version": deployment.version], status: 201)
    }

    // MARK: Helpers

    private func unknownService(_ service: String) -> Response {
        JSONResponse.error("unknown service \(service)", status: 404)
    }

    private func decode<Body: Decodable>(_ type: Body.Type, from request: Request) async throws -> Body? {
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        return try? JSONDecoder().decode(type, from: Data(buffer.readableBytesView))
    }
}

/// Runs before every platform route: answers an injected failure if one is armed, then checks the
/// bearer token when the world requires one.
struct PlatformGate: RouterMiddleware {
    typealias Context = SandboxRequestContext
    let world: SandboxWorld

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let status = world.takeInjectedPlatformFailure() {
            var headers = HTTPFields()
            if status == 429 { headers[.retryAfter] = "1" }
            return JSONResponse.error("injected platform failure (\(status))", status: status, headers: headers)
        }
        if let token = world.platformToken, request.headers[.authorization] != "Bearer \(token)" {
            return JSONResponse.error("missing or invalid bearer token", status: 401)
        }
        return try await next(request, context)
    }
}
