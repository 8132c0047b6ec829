import HTTPTypes
import Hummingbird
import NIOCore

/// One simulated service: `GET /health` answers as the live deployment's behavior says;
/// `GET /` always answers 200 with the same identity, so a demo can show which version serves.
struct ServiceRoutes: Sendable {
    let world: SandboxWorld
    let service: String

    /// What both routes answer (`status` is `ok` or `failing`).
    struct Identity: Encodable {
        var service: String
        var deployment: String
        var version: String
        var status: String
    }

    func router() -> Router<SandboxRequestContext> {
        let router = Router(context: SandboxRequestContext.self)
        router.get("health") { _, context in try await health(context: context) }
        router.get("/") { _, _ in identity() }
        return router
    }

    private func health(context: SandboxRequestContext) async throws -> Response {
        guard let (deployment, answer) = world.answerHealthCheck(service: service) else {
            return noLiveDeployment()
        }
        switch answer {
        case .respond(let status, let healthy):
            return respond(deployment, status: status, healthy: healthy)
        case .respondAfter(let milliseconds, let status):
            try await Task.sleep(for: .milliseconds(milliseconds))
            return respond(deployment, status: status, healthy: true)
        case .hang:
            try await hang(on: context.channel)
            throw CancellationError()
        case .dropConnection:
            context.channel.close(promise: nil)
            throw CancellationError()
        }
    }

    private func identity() -> Response {
        guard let deployment = world.live(service: service) else { return noLiveDeployment() }
        return respond(deployment, status: 200, healthy: deployment.behavior == .healthy)
    }

    private func respond(_ deployment: SandboxDeployment, status: Int, healthy: Bool) -> Response {
        let body = Identity(
            service: service, deployment: deployment.id, version: deployment.version,
            status: healthy ? "ok" : "failing"
        )
        var headers = HTTPFields()
        headers[HTTPField.Name("X-Deployment")!] = deployment.id
        return JSONResponse.make(body, status: status, headers: headers)
    }

    private func noLiveDeployment() -> Response {
        JSONResponse.error("service \(service) has no live deployment", status: 503)
    }

    /// Waits until the client closes the connection; when the server stops, closes it.
    private func hang(on channel: any Channel) async throws {
        try await withTaskCancellationHandler {
            try await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}
