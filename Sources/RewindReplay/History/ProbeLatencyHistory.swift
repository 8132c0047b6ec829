import RewindCore
import RewindSignals

/// The evaluations of `probe:` signals (percentiles of Rewind's own probe latencies) over recorded probes, with
/// the daemon's own sliding window (``LatencyWindow``): each check's window is as long as the longest signal
/// reading it and needs the most samples any of them needs, exactly as the daemon keeps it. A signal is
/// evaluated every interval from `from + interval`.
public enum ProbeLatencyHistory {
    public static func evaluations(
        policy: Policy, probes: [Observation], from: Timestamp, to: Timestamp
    ) -> [MetricEvaluation] {
        struct Reader {
            var service: ServiceName
            var signal: MetricSignalPolicy
            var key: String
            var quantile: Double
        }
        var windows: [String: LatencyWindow] = [:]
        var schedule = EvaluationSchedule<Reader>()
        for service in policy.services {
            for signal in service.signals {
                guard case .probeLatency(let check, let quantile) = signal.source, signal.interval > .zero else {
                    continue
                }
                // The daemon keys a signal without a check by the service alone, which no probe fills: no data.
                let key = "\(service.name)/\(check ?? "")"
                let current = windows[key]
                windows[key] = LatencyWindow(
                    window: max(current?.window ?? .zero, signal.window),
                    minSamples: max(current?.minSamples ?? 1, signal.minSamples))
                schedule.add(
                    Reader(service: service.name, signal: signal, key: key, quantile: quantile),
                    interval: signal.interval, from: from)
            }
        }
        guard !schedule.isEmpty else { return [] }
        var index = probes.startIndex
        return schedule.evaluations(before: to) { reader, now in
            // Probes recorded up to this evaluation enter their windows first.
            while index < probes.endIndex, probes[index].at <= now {
                let probe = probes[index]
                windows["\(probe.service)/\(probe.check)"]?.record(Double(probe.latencyMs), at: probe.at)
                index += 1
            }
            let window = windows[reader.key]
            let outcome: MetricEvaluation.Outcome
            if let milliseconds = window?.quantile(reader.quantile, at: now) {
                outcome = .value(milliseconds / 1000, samples: window?.count(at: now) ?? 0)
            } else {
                outcome = .noData("\(window?.count(at: now) ?? 0) probes in the window")
            }
            return MetricEvaluation(
                service: reader.service, signal: reader.signal.name, at: now, outcome: outcome,
                query: reader.signal.source.summary)
        }
    }
}
