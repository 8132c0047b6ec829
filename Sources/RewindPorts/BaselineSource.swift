import RewindCore
import Synchronization

/// A signal's past values for the early-warning baseline of one deployment (``EarlyWarningState``): the
/// same hour (the hour before the deployment went live) of each of the last `weeks` weeks; when those hold
/// fewer than `minSamples` finite values, the last `hours` hours before it went live.
///
/// Contract: never throws — a failed read is an empty sample with the reason in ``BaselineSample/error``,
/// which makes "no baseline" (the signal does not warn). The engine reads it once per deployment and
/// keeps it while the deployment is suspect.
public protocol BaselineSource: Sendable {
    func baseline(of signal: MetricSignalPolicy, service: ServiceName, liveAt: Timestamp) async -> BaselineSample
}

/// The values a ``BaselineSource`` found, and where they came from.
public struct BaselineSample: Sendable, Equatable {
    public var values: [Double]
    public var origin: RobustBaseline.Origin
    public var error: String?

    public init(values: [Double], origin: RobustBaseline.Origin, error: String? = nil) {
        self.values = values
        self.origin = origin
        self.error = error
    }

    /// The robust baseline under `policy`; nil ("no baseline") with too few finite values.
    public func robust(_ policy: EarlyWarningPolicy) -> RobustBaseline? {
        RobustBaseline(values, origin: origin, minSamples: policy.minSamples)
    }
}

/// No source: every signal has no baseline, so nothing warns.
public struct NoBaselineSource: BaselineSource {
    public init() {}

    public func baseline(of signal: MetricSignalPolicy, service: ServiceName, liveAt: Timestamp) async -> BaselineSample
    {
        BaselineSample(values: [], origin: .lastHours, error: "no Prometheus is configured (monitoring.prometheus.url)")
    }
}

/// Baselines held in memory, for tests: each read answers the sample recorded for the service and signal,
/// and counts the reads (the engine must read once per deployment).
public final class RecordedBaselines: BaselineSource {
    private struct Key: Hashable {
        var service: ServiceName
        var signal: String
    }

    private let samples = Mutex<[Key: BaselineSample]>([:])
    private let readCount = Mutex(0)

    public init() {}

    public func record(_ sample: BaselineSample, service: ServiceName, signal: String) {
        samples.withLock { $0[Key(service: service, signal: signal)] = sample }
    }

    /// How many reads were answered.
    public var reads: Int { readCount.withLock { $0 } }

    public func baseline(of signal: MetricSignalPolicy, service: ServiceName, liveAt: Timestamp) async -> BaselineSample
    {
        readCount.withLock { $0 += 1 }
        return samples.withLock { $0[Key(service: service, signal: signal.name)] }
            ?? BaselineSample(values: [], origin: .lastHours)
    }
}
