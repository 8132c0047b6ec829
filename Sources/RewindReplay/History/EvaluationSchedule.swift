import RewindCore

/// The evaluation schedule of signals whose values replay computes itself (`probe:`, `pushed:`): each signal is
/// evaluated every `interval` from `from + interval` (as a watcher started at `from` does) until `to`, all
/// signals in time order, a tie going to the signal listed first.
struct EvaluationSchedule<Reader> {
    private var readers: [(reader: Reader, interval: Duration, next: Timestamp)] = []

    /// Adds a signal read by `reader` every `interval` from `from + interval`.
    mutating func add(_ reader: Reader, interval: Duration, from: Timestamp) {
        readers.append((reader, interval, from + interval))
    }

    var isEmpty: Bool { readers.isEmpty }

    /// Every evaluation before `to`, in order: `evaluate` is called with the reader due and the time, once per
    /// evaluation, so it can first feed its windows the inputs up to that time.
    mutating func evaluations(
        before to: Timestamp, _ evaluate: (Reader, Timestamp) -> MetricEvaluation
    ) -> [MetricEvaluation] {
        var evaluations: [MetricEvaluation] = []
        while let due = readers.indices.min(by: { readers[$0].next < readers[$1].next }), readers[due].next < to {
            let now = readers[due].next
            evaluations.append(evaluate(readers[due].reader, now))
            readers[due].next = now + readers[due].interval
        }
        return evaluations
    }
}
