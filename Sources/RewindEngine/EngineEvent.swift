import RewindCore

/// What the engine reports as it works, for the demo's live view and for tests. The record of
/// truth is the store; these are a convenience stream.
public enum EngineEvent: Sendable {
    case checkFailed(Observation, count: Int, of: Int)
    case checkRecovered(service: ServiceName, check: String)
    case violation(Violation)
    case decision(incidentID: Int64?, Decision)
    case stepStarted(incidentID: Int64, PlanStep)
    case stepFinished(incidentID: Int64, stepID: String, StepOutcome)
    case verificationAttempt(incidentID: Int64, service: ServiceName, attempt: Int, passed: Bool, detail: String)
    case notified(incidentID: Int64, channel: String, kind: NoticeKind, delivered: Bool)
    case incidentClosed(Incident)
    case deploymentKnownGood(Deployment)
    case providerCalled(incidentID: Int64, service: ServiceName, target: String)
    /// A signal of a suspect deployment left its usual range before its threshold fired (a notice only).
    case earlyWarning(EarlyWarning)
}

/// Why the engine refused a request.
public struct EngineRefusal: RewindError, Equatable {
    public var code: String
    public var message: String
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
