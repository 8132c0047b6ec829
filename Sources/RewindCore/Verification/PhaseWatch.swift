/// Watches a validation phase throughout, not only at its end: the phase's criteria are judged at
/// every look, and a criterion that fails at `consecutive` looks in a row (its signal's own count)
/// fails the phase at once. The improvement criteria ("> 20 % better than at the trigger") are
/// judged at the end only: a service is allowed time to improve.
///
/// A look counts for a signal only once the signal's window lies wholly inside the phase: before
/// that, the window still holds samples from before the rollback (a 5-minute P95 read one second
/// after the rollback is the bad version's P95), and failing the phase on them would blame the
/// rollback for what it replaced.
public struct PhaseWatch: Sendable, Equatable {
    public let signals: [MetricSignalPolicy]
    /// Failed looks in a row, per criterion.
    public private(set) var runs: [String: Int] = [:]

    public init(signals: [MetricSignalPolicy]) {
        self.signals = signals
    }

    /// Feeds the judgement of one look, `elapsed` into the phase; returns the criterion that failed
    /// its count of looks in a row, if one did (the phase fails now).
    public mutating func observe(_ result: PhaseResult, elapsed: Duration) -> PhaseCheck? {
        var failing: Set<String> = []
        for check in result.checks where check.outcome == .failed {
            guard let signal = signals.first(where: { $0.name == check.name }), elapsed >= signal.window else {
                continue
            }
            failing.insert(check.name)
            let run = runs[check.name, default: 0] + 1
            runs[check.name] = run
            if run >= max(signal.consecutive, 1) {
                return PhaseCheck(
                    name: check.name, outcome: .failed,
                    detail: "\(check.detail), \(run) look\(run == 1 ? "" : "s") in a row during the phase")
            }
        }
        for name in runs.keys where !failing.contains(name) { runs[name] = 0 }
        return nil
    }
}
