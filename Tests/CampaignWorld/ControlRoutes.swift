import Foundation
import Hummingbird
import RewindSandbox

/// The campaign scripts' side door into the world (never the daemon's):
///
/// - `GET  /counters` → JSON: rollback calls per platform and service, traffic moves, command runs, live
///   deployments, frontend's new share, the messages each notification sink accepted;
/// - `POST /deploy?service=S&id=ID&health=healthy|failing&share=0.2&conversion=0.025&errors=0.5` → deploys;
/// - `POST /faults?railway_delay_ms=600&railway_field=deploymentRollback&sink_failures=2` → arms faults;
/// - `POST /command/started?service=S`, `POST /command/rollback?service=S&to=ID`, `GET /command/current?service=S`:
///   what the rollback and current commands of the `cmd` service call.
struct ControlRoutes: Sendable {
    let world: CampaignWorld

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("counters") { _, _ in json(world.counters()) }
        router.post("deploy") { request, _ -> Response in
            let query = request.uri.queryParameters
            guard let service = query["service"].map(String.init), let id = query["id"].map(String.init) else {
                return Response(status: .badRequest)
            }
            let behavior: SandboxBehavior = query["health"] == "failing" ? .failing(status: 503) : .healthy
            var requests = CampaignWorld.RequestBehavior()
            if let conversion = query["conversion"].flatMap({ Double(String($0)) }) { requests.conversion = conversion }
            if let errors = query["errors"].flatMap({ Double(String($0)) }) { requests.errorRatio = errors }
            world.deploy(
                service: service, id: id, behavior: behavior, share: query["share"].flatMap { Double(String($0)) },
                requests: requests)
            return Response(status: .ok)
        }
        // Faults that widen a phase a kill should land in: a slow Railway call, failing notification sinks.
        router.post("faults") { request, _ -> Response in
            let query = request.uri.queryParameters
            if let ms = query["railway_delay_ms"].flatMap({ Int(String($0)) }) {
                world.railway.delayNext(1, by: .milliseconds(ms), field: query["railway_field"].map(String.init))
            }
            if let count = query["sink_failures"].flatMap({ Int(String($0)) }) {
                world.sinks.failNext(count, path: "/slack", status: 503, retryAfter: 1)
            }
            return Response(status: .ok)
        }
        router.post("command/started") { request, _ -> Response in
            world.commandStarted(service: String(request.uri.queryParameters["service"] ?? ""))
            return Response(status: .ok)
        }
        router.post("command/rollback") { request, _ -> Response in
            let query = request.uri.queryParameters
            let done = world.commandRolledBack(service: String(query["service"] ?? ""), to: String(query["to"] ?? ""))
            return Response(status: done ? .ok : .notFound)
        }
        router.get("command/current") { request, _ -> String in
            (world.sandbox.live(service: String(request.uri.queryParameters["service"] ?? ""))?.id ?? "") + "\n"
        }
        return router
    }

    private func json(_ value: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
