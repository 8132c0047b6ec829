import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Metrics
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
            do {
                body = Array(buffer: try await request.body.collect(upTo: AlertmanagerWebhook.defaultMaxBodyBytes + 1))
            } catch {
                return rejected("/hooks/alertmanager", IntakeRejection(.tooLarge, "the body is larger than \(AlertmanagerWebhook.defaultMaxBodyBytes) bytes"), body: [])
            }
            if let denied = authorizeWebhook(request, body: body, policy: alerts) { return denied }
            let mapping = AlertMapping(serviceLabel: alerts.serviceLabel, categoryLabel: alerts.categoryLabel, severityLabel: alerts.severityLabel)
            switch AlertmanagerWebhook.parse(body, mapping: mapping) {
            case .failure(let rejection):
                return rejected("/hooks/alertmanager", rejection, body: body)
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
                    Counter(label: "rewind_alerts_unmapped_total").increment(by: unmapped.count)
                    logger.warning("alerts without a watched service", metadata: [
                        "rewind.alerts": "\(unmapped.joined(separator: ","))", "rewind.service_label": "\(alerts.serviceLabel)",
                    ])
                }
                engine.receive(alerts: accepted)
                return json(IntakeReceipt(accepted: accepted.count, unmapped: unmapped))
            }
        }
        router.post("api/v1/events") { request, _ in
            if let denied = authorize(request) { return denied }
            let limits = PushLimits(maxBodyBytes: policy.monitoring.push.maxBodyBytes, maxEvents: policy.monitoring.push.maxEvents)
            let body: [UInt8]
            do {
                body = Array(buffer: try await request.body.collect(upTo: limits.maxBodyBytes + 1))
            } catch {
                return rejected("/api/v1/events", IntakeRejection(.tooLarge, "the body is larger than \(limits.maxBodyBytes) bytes"), body: [])
            }
            switch PushedEvents.parse(body, limits: limits, now: clock.now) {
            case .failure(let rejection):
                return rejected("/api/v1/events", rejection, body: body)
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
                        values.append(PushedValue(service: service, signal: metric.signal, value: metric.value, at: metric.at))
                    case .security(let finding):
                        securityAlerts.append(
                            ExternalAlert(
                                origin: .pushed, service: service, category: .security, severity: AlertSeverity.parse(finding.severity),
                                name: finding.name, firing: true, at: finding.at, fingerprint: "pushed/\(finding.name)", summary: finding.detail))
                    }
                }
                guard unknown.isEmpty else {
                    let known = policy.services.map(\.name.rawValue).joined(separator: ", ")
                    return rejected("/api/v1/events", IntakeRejection(.invalid, "unknown service \(unknown.sorted().joined(separator: ", ")); known: \(known)"), body: body, status: .unprocessableContent)
                }
                engine.receive(pushed: values)
                engine.receive(alerts: securityAlerts)
                Counter(label: "rewind_events_total", dimensions: [("kind", "metric")]).increment(by: values.count)
                Counter(label: "rewind_events_total", dimensions: [("kind", "security")]).increment(by: securityAlerts.count)
                return json(IntakeReceipt(accepted: events.count, unmapped: []), status: .accepted)
            }
        }
    }

    /// Alertmanager authenticates with a bearer token (`alertmanager.token`, else the API token)
    /// or an HMAC-SHA256 signature of the body (`alertmanager.hmac_secret`).
    func authorizeWebhook(_ request: Request, body: [UInt8], policy: AlertIntakePolicy) -> Response? {
        let header = request.headers[.authorization]
        if let secret = policy.hmacSecret?.value,
            let name = HTTPField.Name(WebhookAuth.signatureHeader), let signature = request.headers[name]
        {
            let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
            if WebhookAuth.verifySignature(header: signature, expected: Array(mac)) { return nil }
        }
        let tokens = [policy.token?.value, token].compactMap { $0 }
        if tokens.isEmpty && policy.hmacSecret == nil { return nil }
        if tokens.contains(where: { WebhookAuth.verifyBearer(header: header, token: $0) }) { return nil }
        logger.notice("refused a webhook without valid credentials", metadata: ["rewind.path": "\(request.uri.path)"])
        Counter(label: "rewind_intake_rejected_total", dimensions: [("endpoint", request.uri.path), ("reason", "unauthorized")]).increment()
        return problem(.unauthorized, "missing or wrong credentials: send Authorization: Bearer <monitoring.alertmanager.token> or a valid \(WebhookAuth.signatureHeader)")
    }

    func externalAlert(_ alert: IncomingAlert, policy: AlertIntakePolicy) -> ExternalAlert? {
        guard let service = alert.service.map({ ServiceName($0) }), self.policy.service(service) != nil else { return nil }
        let category = alert.category.flatMap { SignalCategory(rawValue: $0.lowercased()) } ?? policy.defaultCategory
        let name = alert.name ?? "unnamed"
        return ExternalAlert(
            origin: .alertmanager, service: service, category: category, severity: AlertSeverity.parse(alert.severity), name: name,
            firing: alert.firing, at: alert.firing ? alert.startsAt : (alert.endsAt ?? clock.now),
            fingerprint: alert.fingerprint ?? "\(name)/\(alert.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
            summary: alert.annotations["summary"] ?? alert.annotations["description"])
    }

    /// Answers 4xx with the reason, and keeps what was refused: logged with the start of the body, and counted.
    func rejected(_ endpoint: String, _ rejection: IntakeRejection, body: [UInt8], status: HTTPResponse.Status? = nil) -> Response {
        let start = String(decoding: body.prefix(2048), as: UTF8.self)
        logger.warning("rejected an intake body", metadata: [
            "rewind.path": "\(endpoint)", "rewind.reason": "\(rejection.reason)", "rewind.body_bytes": "\(body.count)",
            "rewind.body_start": "\(redactor.redact(start))",
        ])
        Counter(label: "rewind_intake_rejected_total", dimensions: [("endpoint", endpoint), ("reason", rejection.kind.rawValue)]).increment()
        return problem(status ?? HTTPResponse.Status(code: rejection.httpStatus), rejection.reason)
    }
}

struct IntakeReceipt: Codable {
    var accepted: Int
    var unmapped: [String]
}
