import Foundation
import Hummingbird
import Logging
import Prometheus
import RewindCore
import RewindEngine
import RewindPorts

/// The daemon's HTTP face: `/healthz`, `/metrics`, and the `/api/v1` used by the CLI.
///
/// Reads go straight to the store. Everything that changes state goes to the engine (one
/// writer) and needs `Authorization: Bearer <token>` when a token is configured; the composition
/// root refuses to listen beyond loopback without one.
public struct APIServer: Sendable {
    let engine: RewindEngine
    let store: any RewindStore
    let policy: Policy
    let token: String?
    let registry: PrometheusCollectorRegistry
    let clock: any RewindClock
    let logger: Logger
    let redactor: Redactor

    public init(engine: RewindEngine, store: any RewindStore, policy: Policy, token: String?, registry: PrometheusCollectorRegistry,
                clock: any RewindClock, logger: Logger = Logger(label: "rewind.server"), redactor: Redactor = Redactor()) {
        self.redactor = redactor
        self.engine = engine
        self.store = store
        self.policy = policy
        self.token = token
        self.registry = registry
        self.clock = clock
        self.logger = logger
    }

    public func makeApplication(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> Application<RouterResponder<BasicRequestContext>>
    {
        Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "rewind"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in json(["status": "ok"]) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        let api = router.group("api/v1")
        api.get("status") { _, _ in
            json(try await StateQueries.status(store: store, policy: policy, checks: engine.checkStatuses, signals: engine.signalStatuses,
                                               monitoring: engine.monitoringStatuses, daemon: true, now: clock.now))
        }
        api.get("history") { request, _ in
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 50
            return json(try await store.incidents(limit: min(max(limit, 1), 1000)))
        }
        api.get("incidents/:id") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let detail = try await StateQueries.incident(store: store, id: id) else {
                return problem(.notFound, "there is no incident #\(id)")
            }
            return json(detail)
        }
        api.post("incidents/:id/ack") { request, context in
            if let denied = authorize(request) { return denied }
            let id = try context.parameters.require("id", as: Int64.self)
            let body: AckBody
            switch await decode(AckBody.self, request, context) {
            case .value(let value): body = value
            case .rejected(let response): return response
            }
            switch await engine.acknowledge(incidentID: id, by: body.by) {
            case .success(let incident): return json(incident)
            case .failure(let refusal): return problem(refusal.code == "not_found" ? .notFound : .conflict, refusal.message)
            }
        }
        api.get("incidents/:id/tasks") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            return json(try await store.tasks(incidentID: id))
        }
        api.post("incidents/:id/tasks/:task") { request, context in
            if let denied = authorize(request) { return denied }
            let id = try context.parameters.require("id", as: Int64.self)
            let taskID = try context.parameters.require("task")
            let body: TaskBody
            switch await decode(TaskBody.self, request, context) {
            case .value(let value): body = value
            case .rejected(let response): return response
            }
            guard let state = IncidentTask.State(rawValue: body.state) else {
                return problem(.badRequest, "unknown state '\(body.state)'; use one of: \(IncidentTask.State.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            do {
                return json(try await engine.updateTask(incidentID: id, taskID: taskID, state: state, note: body.note))
            } catch let refusal as EngineRefusal {
                return problem(.notFound, refusal.message)
            }
        }
        router.post("hooks/pagerduty") { request, context in
            if let denied = authorize(request) { return denied }
            let body: PagerDutyWebhook
            switch await decode(PagerDutyWebhook.self, request, context) {
            case .value(let value): body = value
            case .rejected(let response): return response
            }
            guard body.event.eventType == "incident.acknowledged" else {
                return json(["ignored": body.event.eventType])
            }
            guard let key = body.event.data.incidentKey ?? body.event.data.dedupKey, key.hasPrefix("rewind/incident/"),
                let id = Int64(key.dropFirst("rewind/incident/".count))
            else {
                logger.notice("a PagerDuty acknowledgement named no Rewind incident", metadata: ["rewind.path": "/hooks/pagerduty"])
                return problem(.unprocessableContent, "the event's incident_key is not a Rewind dedup key (rewind/incident/N)")
            }
            let who = body.event.agent?.summary ?? "PagerDuty"
            switch await engine.acknowledge(incidentID: id, by: "\(who) (PagerDuty)") {
            case .success(let incident): return json(incident)
            case .failure(let refusal): return problem(refusal.code == "not_found" ? .notFound : .conflict, refusal.message)
            }
        }
        api.get("freeze") { _, _ in
            let freeze = try await store.currentFreeze().flatMap { $0.isActive(at: clock.now) ? $0 : nil }
            return json(FreezeState(frozen: freeze != nil, freeze: freeze))
        }
        api.post("deployments") { request, context in
            if let denied = authorize(request) { return denied }
            let body: DeploymentBody
            switch await decode(DeploymentBody.self, request, context) {
            case .value(let value): body = value
            case .rejected(let response): return response
            }
            guard policy.service(ServiceName(body.service)) != nil else {
                return problem(.unprocessableContent, "unknown service '\(body.service)'; known: \(policy.services.map(\.name.rawValue).joined(separator: ", "))")
            }
            guard !body.id.isEmpty, body.id.count <= 200 else { return problem(.badRequest, "id must be 1 to 200 characters") }
            let now = clock.now
            let deployment = Deployment(service: ServiceName(body.service), id: body.id, version: body.version ?? body.id, deployedAt: now,
                                        commit: body.commit, author: body.author)
            let recorded = try await engine.recordDeployment(deployment)
            let frozen = try await store.currentFreeze().map { $0.isActive(at: now) } ?? false
            return json(RecordedDeployment(deployment: recorded, deployedDuringFreeze: frozen), status: .created)
        }
        api.post("rollbacks") { request, context in
            if let denied = authorize(request) { return denied }
            let body: RollbackBody
            switch await decode(RollbackBody.self, request, context) {
            case .value(let value): body = value
            case .rejected(let response): return response
            }
            guard !body.reason.trimmingCharacters(in: .whitespaces).isEmpty else { return problem(.badRequest, "reason is required") }
            let rollback = RewindEngine.ManualRollbackRequest(
                service: ServiceName(body.service), to: body.to, reason: body.reason, force: body.force ?? false)
            switch await engine.requestRollback(rollback) {
            case .success(let id):
                if body.wait == true {
                    return json(await engine.waitForIncident(id), status: .ok)
                }
                return json(["incident": id], status: .accepted)
            case .failure(let refusal):
                return problem(refusal.code == "unknown_service" ? .notFound : .conflict, refusal.message)
            }
        }
        api.post("freeze") { request, context in
            if let denied = authorize(request) { return denied }
            let body: FreezeBody
            switch await decode(FreezeBody.self, request, context) {
            case .value(let value): body = value
            case .rejected(let response): return response
            }
            guard let duration = Duration.parseRewind(body.duration), duration > .zero else {
                return problem(.badRequest, "invalid duration '\(body.duration)': use \(Duration.acceptedForms)")
            }
            let now = clock.now
            let freeze = Freeze(until: now + duration, reason: body.reason, setAt: now)
            try await engine.setFreeze(freeze)
            return json(FreezeState(frozen: true, freeze: freeze))
        }
        api.delete("freeze") { request, _ in
            if let denied = authorize(request) { return denied }
            try await engine.setFreeze(nil)
            return json(FreezeState(frozen: false, freeze: nil))
        }
        addIntakeRoutes(to: router)
        return router
    }

    /// nil when allowed; a 401 response otherwise. Compares in constant time.
    func authorize(_ request: Request) -> Response? {
        guard let token else { return nil }
        let presented = request.headers[.authorization] ?? ""
        if constantTimeEquals(presented, "Bearer \(token)") { return nil }
        logger.notice("refused an API call without a valid token", metadata: ["rewind.path": "\(request.uri.path)"])
        return problem(.unauthorized, "missing or wrong bearer token: send Authorization: Bearer <server.token>")
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: BasicRequestContext) async -> Decoded<T> {
        do {
            let buffer = try await request.body.collect(upTo: 64 * 1024)
            return .value(try JSONDecoder().decode(T.self, from: Data(buffer: buffer)))
        } catch let error as DecodingError {
            let reason = describe(error)
            logger.notice("rejected a malformed request", metadata: ["rewind.path": "\(request.uri.path)", "rewind.reason": "\(reason)"])
            return .rejected(problem(.badRequest, "malformed JSON body: \(reason)"))
        } catch {
            logger.notice("rejected a request body", metadata: ["rewind.path": "\(request.uri.path)"])
            return .rejected(problem(.contentTooLarge, "the body is larger than 64 KiB or unreadable"))
        }
    }
}

enum Decoded<T> {
    case value(T)
    case rejected(Response)
}

struct DeploymentBody: Decodable {
    var service: String
    var id: String
    var version: String?
    var commit: String?
    var author: String?
}

struct RollbackBody: Decodable {
    var service: String
    var to: String?
    var reason: String
    /// `rewind rollback --force`: accept a target that is not known good and skip verification
    /// (journaled). A JSON boolean; anything else is a 400 naming the field.
    var force: Bool?
    var wait: Bool?
}

struct AckBody: Decodable {
    var by: String
}

struct TaskBody: Decodable {
    var state: String
    var note: String?
}

/// The part of a PagerDuty v3 webhook Rewind reads (`incident.acknowledged`). PagerDuty lets a
/// webhook subscription send custom headers: set `Authorization: Bearer <server.token>`.
struct PagerDutyWebhook: Decodable {
    struct Event: Decodable {
        var eventType: String
        var data: DataObject
        var agent: Agent?
        enum CodingKeys: String, CodingKey { case eventType = "event_type", data, agent }
    }
    struct DataObject: Decodable {
        var incidentKey: String?
        var dedupKey: String?
        enum CodingKeys: String, CodingKey { case incidentKey = "incident_key", dedupKey = "dedup_key" }
    }
    struct Agent: Decodable {
        var summary: String?
    }
    var event: Event
}

struct FreezeBody: Decodable {
    var duration: String
    var reason: String
}

public struct FreezeState: Codable, Sendable {
    public var frozen: Bool
    public var freeze: Freeze?
    public init(frozen: Bool, freeze: Freeze?) {
        self.frozen = frozen
        self.freeze = freeze
    }
}

public struct RecordedDeployment: Codable, Sendable {
    public var deployment: Deployment
    public var deployedDuringFreeze: Bool
    public init(deployment: Deployment, deployedDuringFreeze: Bool) {
        self.deployment = deployment
        self.deployedDuringFreeze = deployedDuringFreeze
    }
}

func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
    json(["error": message], status: status)
}

func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map(\.stringValue).joined(separator: ".")
        return keys.isEmpty ? "" : " at \(keys)"
    }
    switch error {
    case .keyNotFound(let key, let context): return "missing field '\(key.stringValue)'\(path(context))"
    case .typeMismatch(let type, let context): return "expected \(type)\(path(context))"
    case .valueNotFound(let type, let context): return "missing \(type)\(path(context))"
    case .dataCorrupted(let context): return "not valid JSON\(path(context))"
    @unknown default: return "not valid JSON"
    }
}

/// Equal strings in time that depends only on their lengths.
func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
    let a = Array(lhs.utf8)
    let b = Array(rhs.utf8)
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for index in 0..<max(a.count, b.count) {
        difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
    }
    return difference == 0
}
