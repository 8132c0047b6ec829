import RewindCore

/// A ``StateChange`` that cannot mean anything: refused before anything is written.
public struct InvalidStateChange: RewindError, Equatable {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    public var code: String { "store_invalid_change" }

    static func placeholderWithoutNewIncident(_ summary: String) -> InvalidStateChange {
        InvalidStateChange(
            message: "a state change (\(summary)) refers to incident \(StateChange.newIncidentID), the placeholder for "
                + "the incident it creates, but creates none; this is a bug in Rewind: use the incident's id")
    }
}
