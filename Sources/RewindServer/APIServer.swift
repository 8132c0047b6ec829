import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus
import RewindCore
import RewindEngine
import RewindPorts

/// The daemon's HTTP face: `/healthz`, `/readyz`, `/metrics`, the `/api/v1` used by the CLI, the
/// webhooks, and the operator dashboard at `/` (``addDashboardRoutes(to:)``).
///
/// Reads go straight to the store. Everything that changes state goes to the engine (one
/// writer). Every route but the probes and `/metrics` needs a bearer token with the route's
/// scope once any token is configured (``APIAccess``); the composition root refuses to listen
/// beyond loopback without one. Before routing, ``RequestGate`` refuses odd paths and foreign
/// `Host`s; credentials are checked before a body is read, and a request with a body must say
/// `Content-Type: application/json` (a browser cannot send that cross-origin without asking).
public struct APIServer: Sendable {
    /// How many connections the server keeps, and for how long an idle one; how many live streams
    /// (`/api/v1/stream`) it keeps open, and how often it writes a heartbeat on them.
    public struct Limits: Sendable {
        public var idleTimeout: Duration
        public var maxConnections: Int
        public var maxStreams: Int
        public var heartbeat: Duration

        public init(
            idleTimeout: Duration = Defaults.serverIdleTimeout, maxConnections: Int = Defaults.serverMaxConnections,
            maxStreams: Int = 16, heartbeat: Duration = .seconds(15)
        ) {
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
            self.maxStreams = maxStreams
            self.heartbeat = heartbeat
        }
    }

    let engine: RewindEngine
    let store: any RewindStore
    /// The policy in force: the engine's, so a reload (SIGHUP) shows at once.
    var policy: Policy { engine.policy }
    let access: APIAccess
    let limits: Limits
    /// The live streams open now (``eventStream()``), at most ``Limits/maxStreams``.
    let streams: StreamSlots
    let registry: PrometheusCollectorRegistry
    let clock: any RewindClock
    let logger: Logger
    let stateGauges = StateGauges()
    /// The signing secrets of the `slack_chat` channels: they sign the clicks on Rewind's Slack buttons.
    let slackSigningSecrets: [String]
    /// Each request is a server span (Hummingbird's `TracingMiddleware`, on the process's tracer):
    /// on when the daemon exports traces (`tracing.otlp_endpoint`).
    let tracesRequests: Bool
    /// The engine's redactor: it knows the secrets of the configuration in force.
    var redactor: Redactor { engine.redactor }

    public init(
        engine: RewindEngine, store: any RewindStore, access: APIAccess, limits: Limits = Limits(),
        registry: PrometheusCollectorRegistry, clock: any RewindClock, slackSigningSecrets: [String] = [],
        tracesRequests: Bool = false, logger: Logger = Logger(label: "rewind.server")
    ) {
        self.slackSigningSecrets = slackSigningSecrets
        self.tracesRequests = tracesRequests
        self.engine = engine
        self.store = store
        self.access = access
        self.limits = limits
        self.streams = StreamSlots(limit: limits.maxStreams)
        self.registry = registry
        self.clock = clock
        self.logger = logger
    }

    public func makeApplication(
        host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    )
        -> Application<RouterResponder<BasicRequestContext>>
    {
        let (seconds, attoseconds) = limits.idleTimeout.components
        let idle = TimeAmount.milliseconds(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        return Application(
            router: router(),
            server: .http1(configuration: .init(additionalChannelHandlers: [CloseAfterRefusal()], idleTimeout: idle)),
            configuration: .init(
                address: .hostname(host, port: port), serverName: "rewind",
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let routes = RouteIndex()
        // First: middleware applies only to the routes added after it, and to "not found".
        // The redactor in force when the error happens: a reload (SIGHUP) may bring new secrets.
        let engine = engine
        // Outermost, so a request's span covers the whole answer, a refusal or problem included. It records
        // the method, path, query, route, status and user agent: no header, so never a token.
        if tracesRequests { router.add(middleware: TracingMiddleware()) }
        router.add(middleware: ProblemAnswers(routes: routes, redact: { engine.redactor.redact($0) }))
        router.add(middleware: RequestGate(access: access))
        addHealthRoutes(to: router)
        addOpenAPIRoute(to: router)
        router.get("/metrics") { _, _ in
            await stateGauges.sample(store: store, metrics: engine.metrics, now: clock.now)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        let api = router.group("api/v1")
        api.get(
            "version",
            use: guarded("version", .read) { _, _, _ in
                json(["version": RewindVersion.current, "api": RewindVersion.api])
            })
        api.get(
            "status",
            use: guarded("status", .read) { _, _, _ in
                let watched = await engine.watchStatuses()
                return json(
                    try await StateQueries.status(
                        store: store, policy: policy, checks: watched.checks, signals: watched.signals,
                        monitoring: engine.monitoringStatuses, daemon: true, now: clock.now, config: engine.configStatus
                    ).answered(by: engine.health, assignment: engine.shardAssignment))
            })
        api.get(
            "history",
            use: guarded("history", .read) { request, _, _ in
                let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 50
                return json(try await store.incidents(limit: min(max(limit, 1), 1000)))
            })
        api.get(
            "incidents/:id",
            use: guarded("incident", .read) { _, context, _ in
                let id = try context.parameters.require("id", as: Int64.self)
                guard let detail = try await StateQueries.incident(store: store, id: id) else {
                    return problem(.notFound, "there is no incident #\(id)")
                }
                return json(detail)
            })
        api.post(
            "incidents/:id/ack",
            use: guarded("ack", .operate) { request, context, caller in
                let id = try context.parameters.require("id", as: Int64.self)
                let body: AckBody
                switch await decode(AckBody.self, request, context) {
                case .value(let value): body = value
                case .rejected(let response): return response
                }
                switch await engine.acknowledge(incidentID: id, by: Self.person(body.by, caller: caller)) {
                case .success(let incident): return json(incident)
                case .failure(let refusal):
                    return problem(refusal.code == "not_found" ? .notFound : .conflict, refusal.message)
                }
            })
        api.get(
            "incidents/:id/tasks",
            use: guarded("tasks", .read) { _, context, _ in
                let id = try context.parameters.require("id", as: Int64.self)
                return json(try await store.tasks(incidentID: id))
            })
        api.post(
            "incidents/:id/tasks/:task",
            use: guarded("task", .operate) { request, context, caller in
                let id = try context.parameters.require("id", as: Int64.self)
                let taskID = try context.parameters.require("task")
                let body: TaskBody
                switch await decode(TaskBody.self, request, context) {
                case .value(let value): body = value
                case .rejected(let response): return response
                }
                guard let state = IncidentTask.State(rawValue: body.state) else {
                    return problem(
                        .badRequest,
                        "unknown state '\(body.state)'; use one of: \(IncidentTask.State.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                do {
                    return json(
                        try await engine.updateTask(
                            incidentID: id, taskID: taskID, state: state, note: body.note, by: caller.actor))
                } catch let refusal as EngineRefusal {
                    return problem(.notFound, refusal.message)
                }
            })
        router.post(
            "hooks/pagerduty",
            use: guarded("pagerduty", .operate) { request, context, caller in
                let body: PagerDutyWebhook
                switch await decode(PagerDutyWebhook.self, request, context) {
                case .value(let value): body = value
                case .rejected(let response): return response
                }
                guard body.event.eventType == "incident.acknowledged" else {
                    return json(["ignored": body.event.eventType])
                }
                guard let key = body.event.data.incidentKey ?? body.event.data.dedupKey,
                    key.hasPrefix("rewind/incident/"),
                    let id = Int64(key.dropFirst("rewind/incident/".count))
                else {
                    logger.notice(
                        "a PagerDuty acknowledgement named no Rewind incident", metadata: ["rewind.route": "pagerduty"])
                    return problem(
                        .unprocessableContent, "the event's incident_key is not a Rewind dedup key (rewind/incident/N)")
                }
                let who = body.event.agent?.summary ?? "PagerDuty"
                switch await engine.acknowledge(incidentID: id, by: Self.person("\(who) (PagerDuty)", caller: caller)) {
                case .success(let incident): return json(incident)
                case .failure(let refusal):
                    return problem(refusal.code == "not_found" ? .notFound : .conflict, refusal.message)
                }
            })
        api.get(
            "freeze",
            use: guarded("freeze", .read) { _, _, _ in
                let freeze = try await store.currentFreeze().flatMap { $0.isActive(at: clock.now) ? $0 : nil }
                return json(FreezeState(frozen: freeze != nil, freeze: freeze))
            })
        api.post(
            "deployments",
            use: guarded("deployments", .operate) { request, context, caller in
                let body: DeploymentBody
                switch await decode(DeploymentBody.self, request, context) {
                case .value(let value): body = value
                case .rejected(let response): return response
                }
                guard policy.service(ServiceName(body.service)) != nil else {
                    return problem(
                        .unprocessableContent,
                        "unknown service '\(body.service)'; known: \(policy.services.map(\.name.rawValue).joined(separator: ", "))"
                    )
                }
                // Ids and versions reach providers' command lines and URLs: one rule for both.
                if let invalid = DeploymentIdentifier.check(body.id, as: "id")
                    ?? DeploymentIdentifier.check(body.version ?? body.id, as: "version")
                {
                    return problem(.badRequest, invalid.message)
                }
                let now = clock.now
                let deployment = Deployment(
                    service: ServiceName(body.service), id: body.id, version: body.version ?? body.id, deployedAt: now,
                    commit: body.commit, author: body.author)
                let recorded = try await engine.recordDeployment(deployment)
                logger.notice(
                    "a deployment was recorded",
                    metadata: [
                        "rewind.service": "\(body.service)", "rewind.deployment": "\(recorded.label)",
                        "rewind.actor": "\(caller.actor)",
                    ])
                let frozen = try await store.currentFreeze().map { $0.isActive(at: now) } ?? false
                return json(RecordedDeployment(deployment: recorded, deployedDuringFreeze: frozen), status: .created)
            })
        api.post(
            "rollbacks",
            use: guarded("rollbacks", .operate) { request, context, caller in
                let body: RollbackBody
                switch await decode(RollbackBody.self, request, context) {
                case .value(let value): body = value
                case .rejected(let response): return response
                }
                guard !body.reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                    return problem(.badRequest, "reason is required")
                }
                let rollback = RewindEngine.ManualRollbackRequest(
                    service: ServiceName(body.service), to: body.to, reason: body.reason, force: body.force ?? false,
                    actor: caller.actor)
                switch await engine.requestRollback(rollback) {
                case .success(let id):
                    if body.wait == true {
                        return json(await engine.waitForIncident(id), status: .ok)
                    }
                    return json(["incident": id], status: .accepted)
                case .failure(let refusal):
                    return refused(refusal)
                }
            })
        api.post(
            "promotions",
            use: guarded("promotions", .operate) { request, context, caller in
                let body: PromotionBody
                switch await decode(PromotionBody.self, request, context) {
                case .value(let value): body = value
                case .rejected(let response): return response
                }
                switch await engine.promote(service: ServiceName(body.service), by: caller.actor) {
                case .success(let result):
                    logger.notice(
                        "a contained rollout was promoted",
                        metadata: [
                            "rewind.service": "\(body.service)", "rewind.incident.id": "\(result.incidentID)",
                            "rewind.actor": "\(caller.actor)",
                        ])
                    return json(result)
                case .failure(let refusal):
                    return refused(refusal)
                }
            })
        api.post(
            "freeze",
            use: guarded("freeze", .operate) { request, context, caller in
                let body: FreezeBody
                switch await decode(FreezeBody.self, request, context) {
                case .value(let value): body = value
                case .rejected(let response): return response
                }
                guard let duration = Duration.parseRewind(body.duration), duration > .zero else {
                    return problem(.badRequest, "invalid duration '\(body.duration)': use \(Duration.acceptedForms)")
                }
                let now = clock.now
                let freeze = Freeze(until: now + duration, reason: body.reason, setAt: now, setBy: caller.actor)
                try await engine.setFreeze(freeze)
                logger.notice(
                    "deployments frozen",
                    metadata: ["rewind.until": "\(freeze.until.iso8601)", "rewind.actor": "\(caller.actor)"])
                return json(FreezeState(frozen: true, freeze: freeze))
            })
        api.delete(
            "freeze",
            use: guarded("freeze", .operate, body: false) { _, _, caller in
                try await engine.setFreeze(nil)
                logger.notice("deployments unfrozen", metadata: ["rewind.actor": "\(caller.actor)"])
                return json(FreezeState(frozen: false, freeze: nil))
            })
        addAutomationRoutes(to: api)
        addMarkGoodRoute(to: api)
        addIntakeRoutes(to: router)
        addSlackRoute(to: router)
        addDashboardRoutes(to: router)
        routes.load(from: router)
        return router
    }

    /// Who acknowledged, as recorded: the person the body names and the token that said so.
    static func person(_ named: String, caller: APIAccess.Caller) -> String {
        caller == .anonymous ? named : "\(named) via \(caller.actor)"
    }

    typealias Handler = @Sendable (Request, BasicRequestContext, APIAccess.Caller) async throws -> Response

    /// A route that needs `scope`: the token is checked from the headers before anything of the
    /// body is read (401 without a valid token, 403 without the scope), then — for a route that
    /// takes a body — its `Content-Type` (415 unless JSON). `route` names it in logs, never the
    /// request path. An admitted request is logged once answered (route, method, status, caller,
    /// milliseconds: reads at debug, changes at info) and counted in `rewind_api_requests_total`;
    /// refusals before admission are counted only, so that no unauthenticated client grows the log.
    func guarded(
        _ route: String, _ scope: APIScope, body: Bool? = nil, _ handler: @escaping Handler
    )
        -> @Sendable (Request, BasicRequestContext) async throws -> Response
    {
        { request, context in
            let started = ContinuousClock.now
            switch admit(request, route: route, scope: scope, body: body ?? (request.method == .post)) {
            case .success(let caller):
                let response = try await handler(request, context, caller)
                let elapsed = ContinuousClock.now - started
                engine.metrics.apiRequest(route: route, status: response.status.code, elapsed: elapsed)
                logger.log(
                    level: scope == .read ? .debug : .info, "api request",
                    metadata: [
                        "rewind.route": "\(route)", "rewind.method": "\(request.method.rawValue)",
                        "rewind.status": "\(response.status.code)", "rewind.actor": "\(caller.actor)",
                        "rewind.ms": "\(elapsed.milliseconds)",
                    ])
                return response
            case .failure(let refused):
                engine.metrics.apiRequest(route: route, status: refused.response.status.code, elapsed: nil)
                return refused.response
            }
        }
    }

    struct Refused: Error {
        var response: Response
    }

    func admit(_ request: Request, route: String, scope: APIScope, body: Bool) -> Result<APIAccess.Caller, Refused> {
        switch access.decide(authorization: request.headers[.authorization], scope: scope) {
        case .unauthenticated:
            logger.notice("refused an API call without a valid token", metadata: ["rewind.route": "\(route)"])
            return .failure(
                Refused(
                    response: refusal(
                        .unauthorized,
                        "missing or wrong bearer token: send Authorization: Bearer <token> (server.token or server.tokens)"
                    )))
        case .forbidden(let caller):
            logger.notice(
                "refused an API call outside the token's scopes",
                metadata: ["rewind.route": "\(route)", "rewind.actor": "\(caller.actor)"])
            return .failure(
                Refused(
                    response: refusal(.forbidden, "\(caller.actor) lacks the '\(scope.rawValue)' scope this call needs")
                ))
        case .admitted(let caller):
            // Webhooks (/hooks/…) get the 503: their senders retry on a 5xx but neither follow nor re-sign a redirect.
            let redirectable = request.uri.path.hasPrefix("/api/") ? request : nil
            if scope != .read, let standby = standbyRefusal(redirecting: redirectable) {
                return .failure(Refused(response: standby))
            }
            if body, let refused = Self.requireJSON(request) { return .failure(Refused(response: refused)) }
            return .success(caller)
        }
    }

    /// On a standby replica, the answer to anything that changes state; nil on the leader. Reads are served from
    /// the shared state on every replica.
    ///
    /// - With `request` and a leader that advertises its URL (`server.advertise_url`, published with its lease):
    ///   307 to the same path and query there, so that a client that follows it sends the same method and body
    ///   to the leader. The body says the same in problem details, for a client that follows no redirect.
    /// - Otherwise — no URL known, a request saying `Rewind-Redirect: never` (the dashboard: a browser would
    ///   follow the 307 to another origin, where Rewind answers no CORS preflight, and show nothing useful), or a
    ///   webhook (no `request`: its sender would not follow or re-sign a redirect): 503 naming the replica that leads (and its
    ///   URL when known), with `Retry-After: 1` (a takeover takes a few seconds).
    func standbyRefusal(redirecting request: Request? = nil) -> Response? {
        let health = engine.health
        guard health.standby else { return nil }
        let leader = health.leaderInstance ?? "another replica"
        let follows = request.map { $0.headers[Self.redirectPreference]?.lowercased() != "never" } ?? false
        if let request, follows, let url = health.leaderURL {
            let target = url + request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
            return ProblemDetails(
                .temporaryRedirect,
                detail: "this Rewind replica (\(health.instance)) is a standby: \(leader) holds the writer lease and "
                    + "acts; send this change to it at \(url)"
            ).response(headers: [.location: target])
        }
        let whereTo = health.leaderURL.map { " at \($0)" } ?? ""
        var response = problem(
            .serviceUnavailable,
            "this Rewind replica (\(health.instance)) is a standby: \(leader)\(whereTo) "
                + "holds the writer lease and acts; send changes to it (or through the load balancer in front of "
                + "the replicas, whose readiness check is /readyz)")
        response.headers[.retryAfter] = "1"
        return response
    }

    /// `Rewind-Redirect: never`: a standby answers a change with 503 instead of a 307 (see ``standbyRefusal``).
    static let redirectPreference = HTTPField.Name("Rewind-Redirect")!

    /// 415 unless the request says `Content-Type: application/json` (parameters such as
    /// `charset` allowed). A browser sends that cross-origin only after a preflight Rewind never
    /// answers, so a web page cannot post to the API.
    static func requireJSON(_ request: Request) -> Response? {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
            .lowercased()
        if type == "application/json" { return nil }
        return refusal(
            .unsupportedMediaType,
            "send the body as JSON with Content-Type: application/json (got \(type.map { "'\($0.prefix(60))'" } ?? "none"))"
        )
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: BasicRequestContext) async -> Decoded<T> {
        do {
            let buffer = try await request.body.collect(upTo: 64 * 1024)
            return .value(try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView)))
        } catch let error as DecodingError {
            let reason = describe(error)
            logger.notice("rejected a malformed request", metadata: ["rewind.reason": "\(reason)"])
            return .rejected(problem(.badRequest, "malformed JSON body: \(reason)"))
        } catch {
            logger.notice("rejected a request body larger than 64 KiB")
            return .rejected(refusal(.contentTooLarge, "the body is larger than 64 KiB or unreadable"))
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

/// `rewind promote SERVICE`.
struct PromotionBody: Decodable {
    var service: String
}

struct AckBody: Decodable {
    var by: String
}

struct TaskBody: Decodable {
    var state: String
    var note: String?
}

/// The part of a PagerDuty v3 webhook Rewind reads (`incident.acknowledged`). PagerDuty lets a
/// webhook subscription send custom headers: set `Authorization: Bearer <token>` with a token
/// that has the `operate` scope.
struct PagerDutyWebhook: Decodable {
    struct Event: Decodable {
        var eventType: String
        var data: DataObject
        var agent: Agent?
        enum CodingKeys: String, CodingKey {
            case eventType = "event_type"
            case data, agent
        }
    }
    struct DataObject: Decodable {
        var incidentKey: String?
        var dedupKey: String?
        enum CodingKeys: String, CodingKey {
            case incidentKey = "incident_key"
            case dedupKey = "dedup_key"
        }
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

func json<T: Encodable>(
    _ value: T, status: HTTPResponse.Status = .ok, contentType: String = "application/json"
) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return Response(
        status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// An engine's refusal of an operator's request: 404 for a service it does not know, 409 otherwise.
func refused(_ refusal: EngineRefusal) -> Response {
    problem(refusal.code == "unknown_service" ? .notFound : .conflict, refusal.message)
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
