/// When a signal of a suspect deployment raises an early warning (``EarlyWarningState``): how far from its
/// own recent range, for how long, and where that range comes from.
///
/// An early warning is a notice and nothing else: it never opens an incident and never rolls back.
public struct EarlyWarningPolicy: Sendable, Equatable, Hashable {
    /// Off: the signal is never watched for early warnings.
    public var enabled: Bool
    /// The robust z a value must exceed, in the signal's bad direction (the Iglewicz–Hoaglin rule: 3.5).
    public var threshold: Double
    /// Evaluations in a row beyond the threshold before it warns, so that one noisy point does not.
    public var persistence: Int
    /// How many past weeks' same hour make the baseline when Prometheus has them.
    public var weeks: Int
    /// The hours before the deployment went live that make the baseline when no past week has data.
    public var hours: Int
    /// Fewer finite baseline values than this is "no baseline": the signal does not warn.
    public var minSamples: Int

    public init(
        enabled: Bool = true, threshold: Double = Defaults.earlyWarningThreshold,
        persistence: Int = Defaults.earlyWarningPersistence, weeks: Int = Defaults.earlyWarningWeeks,
        hours: Int = Defaults.earlyWarningHours, minSamples: Int = Defaults.earlyWarningMinSamples
    ) {
        self.enabled = enabled
        self.threshold = threshold
        self.persistence = persistence
        self.weeks = weeks
        self.hours = hours
        self.minSamples = minSamples
    }

    /// The accepted ranges, checked by the configuration reader.
    public static let thresholdRange = 1.0...100.0
    public static let persistenceRange = 1...100
    public static let weeksRange = 0...12
    public static let hoursRange = 1...168
    public static let minSamplesRange = 3...100_000
}

extension Defaults {
    /// Iglewicz and Hoaglin's cut-off for the modified z-score: |z| > 3.5 is a potential outlier.
    public static let earlyWarningThreshold = 3.5
    /// Three evaluations in a row (1.5 minutes at the performance interval of 30 s).
    public static let earlyWarningPersistence = 3
    /// The same hour of the last four weeks.
    public static let earlyWarningWeeks = 4
    /// Else the six hours before the deployment went live.
    public static let earlyWarningHours = 6
    /// A baseline needs at least twenty values.
    public static let earlyWarningMinSamples = 20
}
