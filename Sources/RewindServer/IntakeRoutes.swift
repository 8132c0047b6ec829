import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RewindCore
import RewindEngine
import RewindPorts
import RewindSignals

/// `POST /hooks/alertmanager` (Alertmanager's webhook, payload version 4) and `POST /api/v1/events`
/// (metric values and security events pushed by applications).
///
/// A malformed body gets a 400 (413 when too large) with the exact reason; it is logged with the
/// reason and the start of the body, and counted in `rewind_intake_rejected_total` — never
/// silently dropped.
extension APIServer {
    func addIntakeRoutes(to router: Router<BasicRequestContext>) {
        let alerts = policy.monitoring.alerts
        router.post("hooks/alertmanager") { request, _ in
            let body: [UInt8]
            switch await admitAlertmanager(request, policy: alerts) {
            case .success(let admitted): body = admitted
            case .failure(let refused): return refused.response
            }
            // Alertmanager sends again after a 5xx, so an alert refused here reaches the leader.
            if let standby = standbyRefusal() { return standby }
            let mapping = AlertMapping(
                serviceLabel: alerts.serviceLabel, categoryLabel: alerts.categoryLabel,
                severityLabel: alerts.severityLabel)
            switch AlertmanagerWebhook.parse(body, mapping: mapping) {
            case .failure(let rejection):
                return rejected(.alertmanager, rejection, body: body)
            case .success(let incoming):
                var accepted: [ExternalAlert] = []
                var unmapped: [String] = []
                for alert in incoming {
                    guard let mapped = externalAlert(alert, policy: alerts) else {
                        unmapped.append(alert.name ?? "unnamed")
                        continue
                    }
                    accepted.append(mapped)
                }
                if !unmapped.isEmpty {
                    engine.metrics.alertsUnmapped(unmapped.count)
                    logger.warning(
                        "alerts without a watched service",
                        metadata: [
                            "rewind.alerts": "\(unmapped.joined(separator: ","))",
                            "rewind.service_label": "\(alerts.serviceLabel)",
                        ])
                }
                engine.receive(alerts: accepted)
                return json(IntakeReceipt(accepted: accepted.count, unmapped: unmapped))
            }
        }
        router.post(
            "api/v1/events",
            use: guarded("events", .events) { request, _, _ in
                let limits = PushLimits(
                    maxBodyBytes: policy.monitoring.push.maxBodyBytes, maxEvents: policy.monitoring.push.maxEvents)
                let body: [UInt8]
                do {
                    body = Array(buffer: try await request.body.collect(upTo: limits.maxBodyBytes + 1))
                } catch {
                    return rejected(
                        .events, IntakeRejection(.tooLarge, "the body is larger than \(limits.maxBodyBytes) bytes"),
                        body: [])
                }
                switch PushedEvents.parse(body, limits: limits, now: clock.now) {
                case .failure(let rejection):
                    return rejected(.events, rejection, body: body)
                case .success(let events):
                    var values: [PushedValue] = []
                    var securityAlerts: [ExternalAlert] = []
                    var unknown: Set<String> = []
                    for event in events {
                        let service = ServiceName(event.service)
                        guard policy.service(service) != nil else {
                            unknown.insert(event.service)
                            continue
                        }
                        switch event {
                        case .metric(let metric):
                            values.append(
                                PushedValue(service: service, signal: metric.signal, value: metric.value, at: metric.at)
                            )
                        case .security(let finding):
                            securityAlerts.append(
                                ExternalAlert(
                                    origin: .pushed, service: service, category: .security,
                                    severity: AlertSeverity.parse(finding.severity),
                                    name: finding.name, firing: true, at: finding.at,
                                    fingerprint: "pushed/\(finding.name)", summary: finding.detail))
                        }
                    }
                    guard unknown.isEmpty else {
                        let known = policy.services.map(\.name.rawValue).joined(separator: ", ")
                        return rejected(
                            .events,
                            IntakeRejection(
                                .invalid, "unknown service \(unknown.sorted().joined(separator: ", ")); known: \(known)"
                            ), body: body, status: .unprocessableContent)
                    }
                    engine.receive(pushed: values)
                    engine.receive(alerts: securityAlerts)
                    engine.metrics.eventsPushed(kind: "metric", count: values.count)
                    engine.metrics.eventsPushed(kind: "security", count: securityAlerts.count)
                    return json(IntakeReceipt(accepted: events.count, unmapped: []), status: .accepted)
                }
            })
    }

    /// Alertmanager's credentials, checked before its body is read: a bearer token
    /// (`monitoring.alertmanager.token`, or an API token with the `events` scope), or — when
    /// `monitoring.alertmanager.hmac_secret` is set and the request carries a signature — an
    /// HMAC-SHA256 of `<X-Rewind-Timestamp>.<body>` whose timestamp is at most 5 minutes from now.
    /// Only that last case reads the body (at most the size limit) before the credentials are
    /// known good. Without any credential configured (loopback only) the hook is open. Returns the
    /// body.
    func admitAlertmanager(_ request: Request, policy: AlertIntakePolicy) async -> Result<[UInt8], Refused> {
        let limit = AlertmanagerWebhook.defaultMaxBodyBytes
        let authorization = request.headers[.authorization]
        let alertToken = policy.token.map { WebhookAuth.verifyBearer(header: authorization, token: $0.value) } ?? false
        let apiToken =
            !access.tokens.isEmpty
            && access.caller(authorization: authorization)?.scopes.contains(.events) == true
        let open = access.tokens.isEmpty && policy.token == nil && policy.hmacSecret == nil
        let signature = HTTPField.Name(WebhookAuth.signatureHeader).flatMap { request.headers[$0] }
        if alertToken || apiToken || open {
            if let refused = Self.requireJSON(request) { return .failure(Refused(response: refused)) }
            return await alertmanagerBody(request, limit: limit)
        }
        guard let secret = policy.hmacSecret?.value, let signature else {
            return .failure(
                unauthorizedWebhook(
                    "missing or wrong credentials: send Authorization: Bearer <monitoring.alertmanager.token> or a signed request (\(WebhookAuth.timestampHeader), \(WebhookAuth.signatureHeader))"
                ))
        }
        let timestamp = HTTPField.Name(WebhookAuth.timestampHeader).flatMap { request.headers[$0] }
        if let stale = WebhookAuth.timestampProblem(header: timestamp, now: clock.now) {
            return .failure(unauthorizedWebhook(stale))
        }
        if let refused = Self.requireJSON(request) { return .failure(Refused(response: refused)) }
        let body: [UInt8]
        switch await alertmanagerBody(request, limit: limit) {
        case .success(let read): body = read
        case .failure(let refused): return .failure(refused)
        }
        let message = WebhookAuth.signedMessage(timestamp: timestamp ?? "", body: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        guard WebhookAuth.verifySignature(header: signature, expected: Array(mac)) else {
            return .failure(
                unauthorizedWebhook(
                    "\(WebhookAuth.signatureHeader) does not match: sign \"<\(WebhookAuth.timestampHeader)>.<body>\" with HMAC-SHA256 and the shared secret"
                ))
        }
        return .success(body)
    }

    private func alertmanagerBody(_ request: Request, limit: Int) async -> Result<[UInt8], Refused> {
        do {
            return .success(Array(buffer: try await request.body.collect(upTo: limit)))
        } catch {
            return .failure(
                Refused(
                    response: rejected(
                        .alertmanager, IntakeRejection(.tooLarge, "the body is larger than \(limit) bytes"), body: [])))
        }
    }

    private func unauthorizedWebhook(_ reason: String) -> Refused {
        logger.notice(
            "refused a webhook without valid credentials",
            metadata: ["rewind.route": "alertmanager", "rewind.reason": "\(reason)"])
        engine.metrics.intakeRejected(endpoint: IntakeEndpoint.alertmanager.rawValue, reason: "unauthorized")
        return Refused(response: refusal(.unauthorized, reason))
    }

    func externalAlert(_ alert: IncomingAlert, policy: AlertIntakePolicy) -> ExternalAlert? {
        guard let service = alert.service.map({ ServiceName($0) }), self.policy.service(service) != nil else {
            return nil
        }
        let category = alert.category.flatMap { SignalCategory(rawValue: $0.lowercased()) } ?? policy.defaultCategory
        let name = alert.name ?? "unnamed"
        return ExternalAlert(
            origin: .alertmanager, service: service, category: category, severity: AlertSeverity.parse(alert.severity),
            name: name,
            firing: alert.firing, at: alert.firing ? alert.startsAt : (alert.endsAt ?? clock.now),
            fingerprint: alert.fingerprint
                ?? "\(name)/\(alert.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
            summary: alert.annotations["summary"] ?? alert.annotations["description"])
    }

    /// Answers 4xx with the reason, and keeps what was refused: logged with the start of the body, and counted.
    func rejected(
        _ endpoint: IntakeEndpoint, _ rejection: IntakeRejection, body: [UInt8], status: HTTPResponse.Status? = nil
    ) -> Response {
        let start = String(decoding: body.prefix(2048), as: UTF8.self)
        logger.warning(
            "rejected an intake body",
            metadata: [
                "rewind.endpoint": "\(endpoint.rawValue)", "rewind.reason": "\(rejection.reason)",
                "rewind.body_bytes": "\(body.count)",
                "rewind.body_start": "\(redactor.redact(start))",
            ])
        engine.metrics.intakeRejected(endpoint: endpoint.rawValue, reason: rejection.kind.rawValue)
        let status = status ?? HTTPResponse.Status(code: rejection.httpStatus)
        // A body over the limit was not read to its end: stop reading it.
        return rejection.kind == .tooLarge ? refusal(status, rejection.reason) : problem(status, rejection.reason)
    }
}

/// The intake routes, by name: the `endpoint` label of their metrics (never the request path).
enum IntakeEndpoint: String {
    case alertmanager, events, slack
}

struct IntakeReceipt: Codable {
    var accepted: Int
    var unmapped: [String]
}
