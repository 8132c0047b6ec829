import Logging

/// A loop's failure that repeats round after round (a state that stays unreachable), logged once until a round
/// goes through again: one line per outage, not one per round.
struct RepeatedFailure {
    private var failing = false

    /// Logs `message` with `error` at `level`, unless the previous round failed too.
    mutating func failed(
        _ message: Logger.Message, _ error: any Error, level: Logger.Level = .warning, logger: Logger,
        metadata: Logger.Metadata = [:]
    ) {
        defer { failing = true }
        guard !failing else { return }
        logger.log(level: level, message, metadata: metadata.merging(["rewind.error": "\(error)"]) { $1 })
    }

    /// A round went through; true when the ones before it had failed.
    @discardableResult
    mutating func succeeded() -> Bool {
        defer { failing = false }
        return failing
    }
}
