/// How the gradual strategy's watch judges improvement of a metric trigger at the reduced share.
///
/// The signal's own schedule cannot do it: a business signal is evaluated every 15 minutes and
/// counts as recovered after 15 minutes, longer than the guide's 10-minute watch. So during the
/// watch the trigger's signal is evaluated every `strategies.gradual.watch_interval` (1 minute by
/// default) over its normal window, against the baseline it fired on, and the watch sees
/// improvement when the last `consecutive` evaluations (the signal's own count, 3 for business)
/// were all within the threshold. No data, an error, or a non-finite value breaks the run.
public struct GradualWatch: Sendable, Equatable {
    public let signal: MetricSignalPolicy
    /// The baseline the trigger fired on (relative thresholds compare with it).
    public let baseline: Double?
    public private(set) var healthyRun = 0
    public private(set) var evaluations = 0

    public init(signal: MetricSignalPolicy, baseline: Double?) {
        self.signal = signal
        self.baseline = baseline
    }

    public enum Reading: Sendable, Equatable {
        case healthy(Double)
        case violating(Double)
        case cannotTell(String)
    }

    /// Feeds one evaluation taken during the watch.
    @discardableResult
    public mutating func observe(_ evaluation: MetricEvaluation) -> Reading {
        evaluations += 1
        let reading: Reading
        switch evaluation.outcome {
        case .value(let value, let samples) where value.isFinite && samples >= signal.minSamples:
            switch signal.threshold.isViolated(by: value, baseline: evaluation.externalBaseline ?? baseline) {
            case false?: reading = .healthy(value)
            case true?: reading = .violating(value)
            case nil: reading = .cannotTell("no baseline for \(signal.name)")
            }
        case .value: reading = .cannotTell("too few samples or a non-finite value")
        case .noData(let why): reading = .cannotTell(why)
        case .error(let why): reading = .cannotTell(why)
        }
        if case .healthy = reading { healthyRun += 1 } else { healthyRun = 0 }
        return reading
    }

    /// The trigger recovered at the reduced share.
    public var improved: Bool { healthyRun >= signal.consecutive }

    /// The fewest evaluations a watch needs to be able to see improvement.
    public static func evaluationsNeeded(_ signal: MetricSignalPolicy) -> Int { max(signal.consecutive, 1) }

    /// Whether a watch of `watch` evaluated every `interval` can ever see `signal` improve.
    public static func canSeeImprovement(_ signal: MetricSignalPolicy, watch: Duration, interval: Duration) -> Bool {
        interval > .zero && interval * evaluationsNeeded(signal) <= watch
    }
}
