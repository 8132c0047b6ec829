/// A signal's own recent range, summarised robustly: the median and the median absolute deviation
/// (MAD) of a sample of its past values.
///
/// The median and the MAD ignore up to half the sample being wild (a past incident, a scrape gap
/// filled with spikes), where a mean and a standard deviation are dragged by one outlier. The robust
/// z of a value `x` is
///
///     z = (x − median) / (1.4826 · MAD)
///
/// 1.4826 = 1 / Φ⁻¹(3/4) makes `1.4826 · MAD` estimate the standard deviation of normal data, so the
/// z reads like a normal z-score (the modified z of Iglewicz and Hoaglin uses 0.6745 = 1 / 1.4826).
///
/// **MAD = 0.** When more than half the baseline is one value (an error rate that sat at 0, a gauge
/// that did not move), the MAD is 0 and every change would be infinitely far. The scale then falls
/// back to the mean absolute deviation around the median times 1.2533 (√(π/2), which makes it
/// estimate the standard deviation of normal data too); when that is 0 as well (a constant
/// baseline), to ``relativeFloor`` of the median's magnitude, and to ``absoluteFloor`` when the
/// median is 0. So a flat signal warns only when it moves by a tenth of its level (or, at 0, leaves 0
/// by more than 3.5 · 10⁻⁶ at the default threshold), not on rounding noise.
public struct RobustBaseline: Sendable, Equatable, Hashable {
    /// Where the sample came from.
    public enum Origin: String, Sendable, Equatable, Hashable {
        /// The same hour of past weeks.
        case pastWeeks = "past_weeks"
        /// The hours before the deployment went live.
        case lastHours = "last_hours"
    }

    public static let madScale = 1.4826
    public static let meanDeviationScale = 1.2533
    public static let relativeFloor = 0.1
    public static let absoluteFloor = 1e-6

    public let median: Double
    public let mad: Double
    /// What a unit of z is worth: `1.4826 · MAD`, or the fall-backs above when the MAD is 0.
    public let scale: Double
    /// How many finite values the sample held.
    public let samples: Int
    public let origin: Origin

    /// The baseline of `sample`'s finite values; nil ("no baseline") with fewer than `minSamples` of them.
    public init?(_ sample: [Double], origin: Origin, minSamples: Int) {
        let values = sample.filter(\.isFinite).sorted()
        guard !values.isEmpty, values.count >= minSamples else { return nil }
        let median = Self.median(ofSorted: values)
        let deviations = values.map { abs($0 - median) }
        let mad = Self.median(ofSorted: deviations.sorted())
        var scale = Self.madScale * mad
        if scale == 0 {
            scale = Self.meanDeviationScale * deviations.reduce(0, +) / Double(deviations.count)
        }
        if scale == 0 {
            scale = median == 0 ? Self.absoluteFloor : Self.relativeFloor * abs(median)
        }
        self.median = median
        self.mad = mad
        self.scale = scale
        self.samples = values.count
        self.origin = origin
    }

    /// The robust z of `value`: how many scales it lies above (positive) or below the median.
    public func z(_ value: Double) -> Double { (value - median) / scale }

    /// The median of a sorted, non-empty array (the mean of the two middle values for an even count).
    static func median(ofSorted values: [Double]) -> Double {
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }
}
