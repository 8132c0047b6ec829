import RewindCore
import RewindPorts
import RewindSignals

/// The evaluations of `pushed:` signals over the values the daemon received (``ReceivedEventLog``), with the
/// daemon's own sliding window (``ValueWindow``), fed as the daemon feeds it: each value enters its window when it
/// was received, at the time the application gave it, and a window is as long as the longest signal reading it.
/// A signal is evaluated every interval from `from + interval` (as a watcher started at `from` does): the mean of
/// its window, or no data when the window is empty — exactly what the daemon's metric source answers.
///
/// `values` should start a window before `from` (the longest ``longestWindow(of:)``), so that the first
/// evaluations see what the daemon's windows held.
public enum PushedValueHistory {
    public static func evaluations(
        policy: Policy, values: [ReceivedValue], from: Timestamp, to: Timestamp
    ) -> [MetricEvaluation] {
        struct Reader {
            var service: ServiceName
            var signal: MetricSignalPolicy
            var key: String
        }
        var windows: [String: ValueWindow] = [:]
        var schedule = EvaluationSchedule<Reader>()
        for service in policy.services {
            for signal in service.signals {
                guard case .pushed(let name) = signal.source, signal.interval > .zero else { continue }
                let key = "\(service.name)/\(name)"
                windows[key] = ValueWindow(window: max(windows[key]?.window ?? .zero, signal.window))
                schedule.add(
                    Reader(service: service.name, signal: signal, key: key), interval: signal.interval, from: from)
            }
        }
        guard !schedule.isEmpty else { return [] }
        let values = values.sortedStably(by: \.receivedAt)
        var index = values.startIndex
        return schedule.evaluations(before: to) { reader, now in
            // Values received up to this evaluation enter their windows first.
            while index < values.endIndex, values[index].receivedAt <= now {
                let pushed = values[index].value
                windows["\(pushed.service)/\(pushed.signal)"]?.record(pushed.value, at: pushed.at)
                index += 1
            }
            let window = windows[reader.key]
            let outcome: MetricEvaluation.Outcome
            if let mean = window?.mean(at: now) {
                outcome = .value(mean, samples: window?.count(at: now) ?? 0)
            } else {
                outcome = .noData("no values pushed in the last \(reader.signal.window.rewindDescription)")
            }
            return MetricEvaluation(
                service: reader.service, signal: reader.signal.name, at: now, outcome: outcome,
                query: reader.signal.source.summary)
        }
    }

    /// The longest window of the policy's `pushed:` signals: how long before the period replay reads the values.
    public static func longestWindow(of policy: Policy) -> Duration {
        var longest = Duration.zero
        for service in policy.services {
            for signal in service.signals {
                if case .pushed = signal.source { longest = max(longest, signal.window) }
            }
        }
        return longest
    }
}
