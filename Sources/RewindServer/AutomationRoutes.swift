import Foundation
import Hummingbird
import RewindCore
import RewindEngine
import RewindPorts

/// `GET /api/v1/automation` (the pauses in force) and `POST /api/v1/automation` (pause or resume,
/// `operate` scope): `rewind pause [SERVICE]`, `rewind resume [SERVICE]` and the dashboard.
extension APIServer {
    func addAutomationRoutes(to api: RouterGroup<BasicRequestContext>) {
        api.get(
            "automation",
            use: guarded("automation", .read) { _, _, _ in
                json(AutomationState(pauses: try await store.automationPauses()))
            })
        api.post(
            "automation",
            use: guarded("automation", .operate) { request, context, caller in
                let body: AutomationBody
                switch await decode(AutomationBody.self, request, context) {
                case .value(let value): body = value
                case .rejected(let response): return response
                }
                if let service = body.service, policy.service(ServiceName(service)) == nil {
                    return problem(
                        .unprocessableContent,
                        "unknown service '\(service)'; known: \(policy.services.map(\.name.rawValue).joined(separator: ", "))"
                    )
                }
                let service = body.service.map { ServiceName($0) }
                let change: AutomationChange
                if body.paused {
                    let reason = body.reason?.trimmingCharacters(in: .whitespaces) ?? ""
                    guard !reason.isEmpty, reason.count <= 500 else {
                        return problem(.badRequest, "reason is required to pause automation (at most 500 characters)")
                    }
                    change = .pause(
                        AutomationPause(service: service, reason: reason, setAt: clock.now, setBy: caller.actor))
                } else {
                    change = .resume(service: service)
                }
                try await engine.setAutomation(change)
                return json(AutomationState(pauses: try await store.automationPauses()))
            })
    }
}

/// The body of `POST /api/v1/automation`.
public struct AutomationBody: Codable, Sendable {
    /// True pauses, false resumes.
    public var paused: Bool
    /// The service; omitted: every service (resuming every service lifts each service's pause too).
    public var service: String?
    /// Why, required when pausing.
    public var reason: String?

    public init(paused: Bool, service: String?, reason: String?) {
        self.paused = paused
        self.service = service
        self.reason = reason
    }
}

/// The automation pauses in force: what `GET /api/v1/automation` answers.
public struct AutomationState: Codable, Sendable, Equatable {
    public var pauses: [AutomationPause]

    public init(pauses: [AutomationPause]) {
        self.pauses = pauses
    }
}
