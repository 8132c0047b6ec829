import Hummingbird
import Logging
import RewindCore
import RewindEngine

/// `POST /api/v1/deployments/mark-good` (`operate` scope, `rewind deployments mark-good SERVICE ID`): a
/// suspect deployment Rewind saw becomes known good through the supervisor; 404 for a service or
/// deployment it does not know, 409 for one marked bad, already known good, or in an incident.
extension APIServer {
    func addMarkGoodRoute(to api: RouterGroup<BasicRequestContext>) {
        api.post(
            "deployments/mark-good",
            use: guarded("mark-good", .operate) { request, context, caller in
                let body: MarkGoodBody
                switch await decode(MarkGoodBody.self, request, context) {
                case .value(let value): body = value
                case .rejected(let response): return response
                }
                switch await engine.markGood(service: ServiceName(body.service), deploymentID: body.id) {
                case .success(let deployment):
                    logger.notice(
                        "a deployment was marked known good",
                        metadata: [
                            "rewind.service": "\(body.service)", "rewind.deployment": "\(deployment.label)",
                            "rewind.actor": "\(caller.actor)",
                        ])
                    return json(deployment)
                case .failure(let refusal):
                    return problem(
                        ["unknown_service", "not_found"].contains(refusal.code) ? .notFound : .conflict, refusal.message
                    )
                }
            })
    }
}

/// The body of `POST /api/v1/deployments/mark-good`.
public struct MarkGoodBody: Codable, Sendable {
    public var service: String
    public var id: String

    public init(service: String, id: String) {
        self.service = service
        self.id = id
    }
}
