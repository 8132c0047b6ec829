import Logging
import RewindCore
import RewindPorts

/// Shows each incident step on the platform of its service, where the platform's users look
/// (``IncidentStepAnnouncing``: a Kubernetes Event on the workload). Best effort: one call after the step's outcome
/// is journaled, cut off after ``deadline``; a failure is logged once and changes nothing. A platform that does not
/// announce is never called.
struct StepAnnouncer: Sendable {
    /// The longest an announcement may hold up the incident.
    static let deadline: Duration = .seconds(5)

    let providers: [ServiceName: any PlatformProvider]
    let clock: any RewindClock
    let redactor: Redactor
    let logger: Logger

    func announce(_ announcement: StepAnnouncement, service: ServiceName) async {
        guard let platform = providers[service] as? any IncidentStepAnnouncing, platform.announcesSteps else { return }
        let safe = StepAnnouncement(
            incidentID: announcement.incidentID, reason: announcement.reason, warning: announcement.warning,
            message: redactor.redact(announcement.message))
        do {
            try await withDeadline(Self.deadline, clock: clock) {
                try await platform.announce(safe, service: service)
            }
        } catch {
            logger.warning(
                "could not show an incident step on the platform",
                metadata: [
                    "rewind.service": "\(service)", "rewind.incident.id": "\(announcement.incidentID)",
                    "rewind.reason": "\(announcement.reason)",
                    "rewind.error":
                        "\(redactor.redact((error as? ProviderError)?.message ?? String(describing: error)))",
                ])
        }
    }

    /// A finished plan step: `RewindRollback`, `RewindTrafficShifted`, `RewindStep` (`…Failed`, a Warning, when it
    /// failed), with why the incident was opened.
    static func announcement(of step: PlanStep, outcome: StepOutcome, incident: Incident) -> StepAnnouncement {
        let word =
            switch step.action {
            case .rollback: "Rollback"
            case .setTraffic, .reduceTraffic: "TrafficShifted"
            default: "Step"
            }
        let failed = !outcome.isSuccess
        return StepAnnouncement(
            incidentID: incident.id, reason: "Rewind\(word)\(failed ? "Failed" : "")", warning: failed,
            message: "\(step.summary()): \(outcome.summary) (why: \(incident.summary))")
    }

    /// A finished verification: `RewindVerified`, or `RewindVerificationFailed` (a Warning).
    static func announcement(
        verified service: ServiceName, passed: Bool, results: [String], incident: Incident
    ) -> StepAnnouncement {
        StepAnnouncement(
            incidentID: incident.id, reason: passed ? "RewindVerified" : "RewindVerificationFailed", warning: !passed,
            message: "\(service) \(passed ? "recovered" : "did not recover") after the rollback: "
                + (results.last ?? "no attempt"))
    }
}
