/// How the canary judge spends its false-failure budget α over repeated looks: a Lan–DeMets
/// spending function of the O'Brien–Fleming type over a planned number of looks.
///
/// Look `k` of `K` (information time `t = k/K`) may fail the canary only when its p-value is at
/// most the increment `α(t_k) − α(t_{k−1})`, where
///
///     α(t) = 2 − 2·Φ(z_{1−α/2} / √t),   α(0) = 0,   α(1) = α.
///
/// The increments add up to α, so by the union bound the chance that *any* of the `K` looks fails
/// an A/A canary is at most α — whatever the dependence between looks (cumulative or sliding
/// samples alike), at the price of being conservative. O'Brien–Fleming spends almost nothing on the
/// first looks, when samples are small and a fixed-α judge (Kayenta's) fails good canaries most
/// often, and keeps most of α for the last looks, when the samples are largest. After `K` looks α
/// is spent: the levels are 0 and the judge can no longer fail the canary (it passed its analysis).
///
/// See docs/how-rewind-decides.md ("The canary judge") for why this rule and not an always-valid test.
public struct AlphaSpending: Sendable, Equatable, Hashable {
    /// The false-failure budget over all looks (one-sided: the bad direction only).
    public let alpha: Double
    /// The planned number of looks (≥ 1).
    public let maxLooks: Int
    private let critical: Double

    public init(alpha: Double, maxLooks: Int) {
        precondition(alpha > 0 && alpha < 1, "α is a probability strictly between 0 and 1")
        precondition(maxLooks >= 1, "at least one look is planned")
        self.alpha = alpha
        self.maxLooks = maxLooks
        critical = StandardNormal.upperQuantile(alpha / 2)
    }

    /// α spent by the end of look `look` (1-based): `α(min(look, K) / K)`; 0 before the first look.
    public func spent(through look: Int) -> Double {
        guard look > 0 else { return 0 }
        if look >= maxLooks { return alpha }
        let time = Double(look) / Double(maxLooks)
        return 2 * StandardNormal.survival(critical / time.squareRoot())
    }

    /// The significance level of look `look` (1-based): what this look may spend. 0 after the last planned look.
    public func level(look: Int) -> Double {
        guard look >= 1, look <= maxLooks else { return 0 }
        return max(0, spent(through: look) - spent(through: look - 1))
    }
}
