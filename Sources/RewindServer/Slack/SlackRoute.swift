import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RewindCore
import RewindEngine
import RewindPorts

/// `POST /hooks/slack`: the clicks on the buttons of Rewind's Slack messages (the Slack app's
/// Interactivity Request URL). Authenticated by Slack's signature with a `slack_chat` channel's
/// `signing_secret` (``SlackSignature``), not by a token; 404 when no channel has one. A click goes
/// the engine's way as any operator's request: Acknowledge acknowledges the incident, Roll back now
/// asks for a manual rollback of the service an observed incident named — each recorded with the Slack
/// user as the actor. Slack wants an answer within 3 s: the answer is 200 with what happened as
/// `text` (or why nothing did); the incident's own notices tell the channel the rest.
extension APIServer {
    /// Slack's interactivity payloads repeat the message's blocks: up to about 150 KiB for Rewind's.
    static let slackBodyLimit = 512 * 1024

    func addSlackRoute(to router: Router<BasicRequestContext>) {
        router.post("hooks/slack") { request, _ in
            guard !slackSigningSecrets.isEmpty else {
                return problem(
                    .notFound, "Slack's buttons are off: no slack_chat channel has a signing_secret")
            }
            let body: [UInt8]
            do {
                body = Array(buffer: try await request.body.collect(upTo: Self.slackBodyLimit))
            } catch {
                return refusal(.contentTooLarge, "the body is larger than \(Self.slackBodyLimit) bytes")
            }
            if let reason = SlackSignature.problem(
                body: body, timestamp: header(request, SlackSignature.timestampHeader),
                signature: header(request, SlackSignature.signatureHeader), secrets: slackSigningSecrets,
                now: clock.now)
            {
                logger.notice(
                    "refused a Slack request without a valid signature",
                    metadata: ["rewind.route": "slack", "rewind.reason": "\(reason)"])
                engine.metrics.intakeRejected(endpoint: IntakeEndpoint.slack.rawValue, reason: "unauthorized")
                return refusal(.unauthorized, reason)
            }
            if let standby = standbyRefusal() { return standby }
            switch SlackInteraction.parse(body) {
            case .failure(let rejection):
                engine.metrics.intakeRejected(endpoint: IntakeEndpoint.slack.rawValue, reason: "invalid")
                return problem(.badRequest, rejection.reason)
            case .success(let click):
                let answer = await answer(click)
                logger.notice(
                    "a Slack button was clicked",
                    metadata: [
                        "rewind.action": "\(click.action.rawValue)", "rewind.incident.id": "\(click.incidentID)",
                        "rewind.actor": "\(click.actor)", "rewind.outcome": "\(answer)",
                    ])
                return json(["text": answer])
            }
        }
    }

    private func header(_ request: Request, _ name: String) -> String? {
        HTTPField.Name(name).flatMap { request.headers[$0] }
    }

    /// What the click did, in a sentence for the person who clicked.
    private func answer(_ click: SlackInteraction) async -> String {
        switch click.action {
        case .acknowledge:
            switch await engine.acknowledge(incidentID: click.incidentID, by: click.actor) {
            case .success: return "Incident #\(click.incidentID) acknowledged by \(click.actor): its escalation stops."
            case .failure(let refusal): return "Incident #\(click.incidentID) was not acknowledged: \(refusal.message)"
            }
        case .rollBackNow:
            guard let incident = try? await store.incident(id: click.incidentID) else {
                return "There is no incident #\(click.incidentID)."
            }
            guard incident.mode == .observe, let service = incident.violation?.service ?? incident.services.first
            else {
                return "Incident #\(click.incidentID) was not only observed: Rewind acted on it already."
            }
            let request = RewindEngine.ManualRollbackRequest(
                service: service, to: nil,
                reason: "roll back now, from Slack: incident #\(click.incidentID) was only observed", actor: click.actor
            )
            switch await engine.requestRollback(request) {
            case .success(let id): return "Rolling \(service) back: incident #\(id), asked by \(click.actor)."
            case .failure(let refusal): return "\(service) was not rolled back: \(refusal.message)"
            }
        }
    }
}
