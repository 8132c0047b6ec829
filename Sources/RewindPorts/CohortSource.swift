import RewindCore
import Synchronization

/// Reads a canary signal's two cohorts for one look of the canary judge: each cohort's query over
/// `[now − window, now]` at the signal's step (Prometheus `query_range`).
///
/// Contract: never throws — a failed read is ``CohortReading/Outcome/error(_:)``, which the judge
/// counts as inconclusive (never a failed canary). A cohort with no series is an empty sample. The
/// queries in the reading are the ones that ran (placeholders filled and escaped), for the evidence.
public protocol CohortSource: Sendable {
    func read(_ signal: CanarySignalPolicy, service: ServiceName, at now: Timestamp) async -> CohortReading
}

/// No source: every read is an error that says what to configure.
public struct NoCohortSource: CohortSource {
    public init() {}

    public func read(_ signal: CanarySignalPolicy, service: ServiceName, at now: Timestamp) async -> CohortReading {
        CohortReading(
            signal: signal.name, outcome: .error("no Prometheus is configured (monitoring.prometheus.url)"),
            queries: signal.cohorts)
    }
}

/// Cohort values held in memory, for tests and replay: each read answers the values recorded for the
/// service, signal and track inside `[now − window, now]`.
public final class RecordedCohorts: CohortSource {
    private struct Key: Hashable {
        var service: ServiceName
        var signal: String
        var track: CanaryTrack
    }

    private let values = Mutex<[Key: [CohortSample]]>([:])
    private let failure = Mutex<String?>(nil)

    public init() {}

    /// Adds values (any order) to one cohort.
    public func record(_ samples: [CohortSample], service: ServiceName, signal: String, track: CanaryTrack) {
        values.withLock { $0[Key(service: service, signal: signal, track: track), default: []] += samples }
    }

    /// Makes every read fail with `reason` (nil: read normally again).
    public func fail(_ reason: String?) {
        failure.withLock { $0 = reason }
    }

    public func read(_ signal: CanarySignalPolicy, service: ServiceName, at now: Timestamp) async -> CohortReading {
        if let reason = failure.withLock({ $0 }) {
            return CohortReading(signal: signal.name, outcome: .error(reason), queries: signal.cohorts)
        }
        let start = now - signal.window
        func cohort(_ track: CanaryTrack) -> [CohortSample] {
            values.withLock { $0[Key(service: service, signal: signal.name, track: track)] ?? [] }
                .filter { $0.at >= start && $0.at <= now }
                .sorted { $0.at < $1.at }
        }
        return CohortReading(
            signal: signal.name, outcome: .samples(canary: cohort(.canary), stable: cohort(.stable)),
            queries: signal.cohorts)
    }
}
