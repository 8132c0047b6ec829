/// One look at one canary metric: its canary and stable samples compared.
public struct CanaryComparison: Sendable, Equatable, Hashable, Codable {
    /// The look this was (1-based, counting the looks that had enough samples).
    public var look: Int
    /// Mann–Whitney `U₁` of the canary sample against stable, its z and its one-sided p in the bad direction.
    public var u: Double
    public var z: Double
    public var p: Double
    /// The level this look may fail at (the α-spending increment).
    public var level: Double
    /// The canary's median over stable's (1.1: 10 % higher).
    public var effect: Double
    public var canaryMedian: Double
    public var stableMedian: Double
    public var canaryCount: Int
    public var stableCount: Int

    public init(
        look: Int, u: Double, z: Double, p: Double, level: Double, effect: Double, canaryMedian: Double,
        stableMedian: Double, canaryCount: Int, stableCount: Int
    ) {
        self.look = look
        self.u = u
        self.z = z
        self.p = p
        self.level = level
        self.effect = effect
        self.canaryMedian = canaryMedian
        self.stableMedian = stableMedian
        self.canaryCount = canaryCount
        self.stableCount = stableCount
    }
}

/// The verdict on one canary metric at one look.
public enum CanaryMetricVerdict: Sendable, Equatable, Hashable {
    /// No significant change in the bad direction as large as the minimum effect.
    case pass(CanaryComparison)
    /// Significantly worse, by at least the minimum effect.
    case fail(CanaryComparison)
    /// Not judged (too few samples, no data, a source error), and why. Spends no α, never fails.
    case inconclusive(String)

    public var comparison: CanaryComparison? {
        switch self {
        case .pass(let comparison), .fail(let comparison): comparison
        case .inconclusive: nil
        }
    }
}

/// The judge's pure decisions: one metric at one look, and the canary score over the metrics.
public enum CanaryJudge {
    /// Judges one metric at look `look` (1-based: the looks with enough samples so far, this one included).
    ///
    /// Fails when the one-sided Mann–Whitney p-value in the bad direction is at most the look's
    /// α-spending level *and* the ratio of medians is at least `1 + minEffect` (`increase`) or at most
    /// `1 − minEffect` (`decrease`). Inconclusive when either cohort has fewer than `minSamples` values.
    public static func judge(
        canary: [Double], stable: [Double], policy: CanaryJudgePolicy, look: Int
    ) -> CanaryMetricVerdict {
        let needed = max(policy.minSamples, 1)
        guard canary.count >= needed, stable.count >= needed else {
            return .inconclusive(
                "too few samples: canary \(canary.count), stable \(stable.count); \(needed) per cohort needed")
        }
        guard
            let test = MannWhitneyU.test(canary, stable, alternative: policy.direction.alternative)
        else { return .inconclusive("a cohort has no samples") }
        let canaryMedian = median(canary)
        let stableMedian = median(stable)
        let effect = ratio(canaryMedian, stableMedian)
        let comparison = CanaryComparison(
            look: look, u: test.u, z: test.z, p: test.p, level: policy.spending.level(look: look), effect: effect,
            canaryMedian: canaryMedian, stableMedian: stableMedian, canaryCount: canary.count,
            stableCount: stable.count)
        let mattersEnough =
            switch policy.direction {
            case .increase: effect >= 1 + policy.minEffect
            case .decrease: effect <= 1 - policy.minEffect
            }
        return test.p <= comparison.level && mattersEnough ? .fail(comparison) : .pass(comparison)
    }

    /// The canary score: 100 × the weight of the passing metrics over the weight of the judged ones
    /// (inconclusive metrics are left out). Nil when no metric was judged.
    public static func score(_ verdicts: [(verdict: CanaryMetricVerdict, weight: Double)]) -> Double? {
        var judged = 0.0
        var passed = 0.0
        for (verdict, weight) in verdicts {
            switch verdict {
            case .pass:
                judged += weight
                passed += weight
            case .fail: judged += weight
            case .inconclusive: break
            }
        }
        guard judged > 0 else { return nil }
        return 100 * passed / judged
    }

    /// What a score means under `thresholds`; `inconclusive` with no score.
    public static func outcome(score: Double?, thresholds: CanaryScoreThresholds) -> CanaryOutcome {
        guard let score else { return .inconclusive }
        if score >= thresholds.pass { return .pass }
        if score >= thresholds.marginal { return .marginal }
        return .fail
    }

    /// The median (the mean of the two middle values of an even count); NaN when empty.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// canary / stable, with 0/0 = 1 (no change) and x/0 = ±∞.
    static func ratio(_ canary: Double, _ stable: Double) -> Double {
        if stable == 0 { return canary == 0 ? 1 : (canary > 0 ? .infinity : -.infinity) }
        return canary / stable
    }
}

/// The canary's overall verdict at one look.
public enum CanaryOutcome: String, Sendable, Codable, Hashable, CaseIterable {
    case pass, marginal, fail
    /// No metric had enough samples: never a rollback.
    case inconclusive
}
