import HTTPTypes
import Hummingbird
import NIOCore
import RewindCore
import RewindEngine
import RewindPorts

/// The operator dashboard, `GET /` (README, "Dashboard").
///
/// - `/`, `/dashboard.js` and `/dashboard.css` are a static shell and its assets: no data, no token.
/// - The shell's script asks for the data with `Authorization: Bearer` and the token the operator
///   typed (kept in `sessionStorage`, never in a URL or a cookie): HTML fragments rendered here by
///   Mustache (`/dashboard/overview`, `/dashboard/incidents/N`, scope `read`), the last hour of each
///   check and signal (`/api/v1/series`), and the live stream (`/api/v1/stream`, ``eventStream()``).
///   The operator's actions post to the API routes the CLI uses (scope `operate`). With no cookie
///   there is nothing for another site to ride on (no CSRF); a page elsewhere cannot send the token.
/// - Every answer here says `Content-Security-Policy` with no inline script or style and
///   `frame-ancestors 'none'`, `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.
extension APIServer {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

    func addDashboardRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in
            Self.page(DashboardTemplates.renderShell(), type: "text/html; charset=utf-8")
        }
        router.get("/dashboard.js") { _, _ in
            Self.page(DashboardAssets.script, type: "text/javascript; charset=utf-8")
        }
        router.get("/dashboard.css") { _, _ in
            Self.page(DashboardAssets.style, type: "text/css; charset=utf-8")
        }
        router.get(
            "/dashboard/overview",
            use: guarded("dashboard", .read) { _, _, _ in
                let view = try await overview()
                return Self.page(DashboardTemplates.render(view), type: "text/html; charset=utf-8")
            })
        router.get(
            "/dashboard/incidents/:id",
            use: guarded("dashboard", .read) { _, context, _ in
                let id = try context.parameters.require("id", as: Int64.self)
                guard let dossier = try await StateQueries.incident(store: store, id: id) else {
                    return problem(.notFound, "there is no incident #\(id)")
                }
                return Self.page(
                    DashboardTemplates.render(IncidentDetailView(dossier)), type: "text/html; charset=utf-8")
            })
        router.get(
            "/api/v1/series",
            use: guarded("series", .read) { request, _, _ in
                let service = request.uri.queryParameters.get("service")
                return json(["series": engine.recentValues.filter { service == nil || $0.service.rawValue == service }])
            })
        router.get("/api/v1/stream", use: guarded("stream", .read) { _, _, _ in eventStream() })
    }

    /// What `/dashboard/overview` shows, read from the store and the engine's status board.
    func overview() async throws -> OverviewView {
        let watched = await engine.watchStatuses()
        let report = try await StateQueries.status(
            store: store, policy: policy, checks: watched.checks, signals: watched.signals,
            monitoring: engine.monitoringStatuses, daemon: true, now: clock.now, config: engine.configStatus)
        var steps: [Int64: [StepRecord]] = [:]
        for incident in report.openIncidents.prefix(20) {
            steps[incident.id] = try await store.steps(incidentID: incident.id)
        }
        return OverviewView(
            report: report, policy: policy, recentValues: engine.recentValues, steps: steps,
            recent: try await store.incidents(limit: 10))
    }

    /// A page or asset of the dashboard, with the headers that keep it to itself.
    static func page(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
