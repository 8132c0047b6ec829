/// The journal entry of one plan step: intent before the platform is called, the operation it
/// accepted, the outcome after. Restart logic reads it to never repeat a rollback.
public struct StepRecord: Sendable, Equatable, Codable {
    public enum State: Sendable, Equatable, Codable {
        case intent
        case accepted(operationID: String?)
        case done(StepOutcome)
    }

    public var incidentID: Int64
    public var stepID: String
    public var state: State
    public var at: Timestamp

    public init(incidentID: Int64, stepID: String, state: State, at: Timestamp) {
        self.incidentID = incidentID
        self.stepID = stepID
        self.state = state
        self.at = at
    }

    public var outcome: StepOutcome? {
        if case .done(let outcome) = state { return outcome }
        return nil
    }

    public var operationID: String? {
        if case .accepted(let id) = state { return id }
        return nil
    }
}
