/// The Mann–Whitney U test of two independent samples, by the normal approximation with the tie
/// correction and the continuity correction — exactly what
/// `scipy.stats.mannwhitneyu(x, y, alternative=…, method="asymptotic", use_continuity=True)` computes
/// (the fixtures in `Tests/RewindCoreTests/Fixtures/mann-whitney.json` come from it; see
/// `scripts/canary-fixtures.py`):
///
/// - `U₁ = R₁ − n₁(n₁+1)/2`, with `R₁` the sum of `x`'s ranks in the pooled sample (ties get their
///   average rank), and `U₂ = n₁n₂ − U₁`.
/// - `σ = √(n₁n₂/12 · ((n+1) − Σ(t³−t)/(n(n−1))))`, `t` running over the sizes of the groups of ties.
/// - `greater` (x tends to be larger): `z = (U₁ − n₁n₂/2 − ½)/σ`, `p = Q(z)`; `less`: the same with `U₂`;
///   `twoSided`: `U = max(U₁, U₂)`, `p = min(1, 2·Q(z))`.
///
/// One difference from scipy: when every value in both samples is the same, σ is 0 and scipy answers
/// NaN; this answers `z = 0` and `p = 1` — equal samples are no evidence of a difference.
public struct MannWhitneyU: Sendable, Equatable {
    /// Which difference the test looks for.
    public enum Alternative: String, Sendable, Codable, Hashable, CaseIterable {
        /// x and y differ either way.
        case twoSided = "two-sided"
        /// x tends to be larger than y.
        case greater
        /// x tends to be smaller than y.
        case less
    }

    /// `U₁`, the statistic of the first sample (what scipy reports whatever the alternative).
    public var u: Double
    /// The standardized statistic the p-value comes from (with the continuity correction).
    public var z: Double
    public var p: Double
    public var alternative: Alternative
    public var xCount: Int
    public var yCount: Int

    /// Tests `x` against `y`; nil when either sample is empty.
    public static func test(_ x: [Double], _ y: [Double], alternative: Alternative) -> MannWhitneyU? {
        let n1 = Double(x.count)
        let n2 = Double(y.count)
        guard !x.isEmpty, !y.isEmpty else { return nil }
        let ranking = PooledRanks(x, y)
        let u1 = ranking.firstRankSum - n1 * (n1 + 1) / 2
        let u2 = n1 * n2 - u1
        let n = n1 + n2
        let variance = n1 * n2 / 12 * ((n + 1) - ranking.tieTerm / (n * (n - 1)))
        let statistic: Double
        let sides: Double
        switch alternative {
        case .greater: (statistic, sides) = (u1, 1)
        case .less: (statistic, sides) = (u2, 1)
        case .twoSided: (statistic, sides) = (max(u1, u2), 2)
        }
        guard variance > 0 else {
            return MannWhitneyU(u: u1, z: 0, p: 1, alternative: alternative, xCount: x.count, yCount: y.count)
        }
        let z = (statistic - n1 * n2 / 2 - 0.5) / variance.squareRoot()
        let p = min(1, max(0, sides * StandardNormal.survival(z)))
        return MannWhitneyU(u: u1, z: z, p: p, alternative: alternative, xCount: x.count, yCount: y.count)
    }
}

/// Ranks of two samples pooled together: the first sample's rank sum, ties given their average rank,
/// and the tie term `Σ(t³ − t)` over the groups of tied values.
struct PooledRanks {
    var firstRankSum = 0.0
    var tieTerm = 0.0

    init(_ x: [Double], _ y: [Double]) {
        // (value, from the first sample), sorted by value.
        let pooled = (x.map { ($0, true) } + y.map { ($0, false) }).sorted { $0.0 < $1.0 }
        var start = 0
        while start < pooled.count {
            var end = start + 1
            while end < pooled.count, pooled[end].0 == pooled[start].0 { end += 1 }
            // Positions start..<end share the ranks start+1 … end: their average is (start + 1 + end) / 2.
            let rank = Double(start + 1 + end) / 2
            let tied = Double(end - start)
            tieTerm += tied * tied * tied - tied
            for index in start..<end where pooled[index].1 { firstRankSum += rank }
            start = end
        }
    }
}
