/// The standard normal distribution's tail and its inverse, in pure Swift (RewindCore has no libm).
///
/// The upper tail is `Q(z) = erfc(z / √2) / 2`, with `erfc` from two expansions that need no tabulated
/// constants: the all-positive Taylor series `erf(x) = 2/√π · e^(−x²) · Σ (2x²)ⁿ x / (1·3·…·(2n+1))` below
/// `x = 3`, and Laplace's continued fraction `erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3⁄2/(x + …))))`
/// (modified Lentz) above. Both agree with scipy's `norm.sf` to about 1e-11 relative or better on |z| ≤ 37.
public enum StandardNormal {
    /// P(Z > z): the one-sided p-value of a z statistic.
    public static func survival(_ z: Double) -> Double {
        if z.isNaN { return .nan }
        return erfc(z / 2.0.squareRoot()) / 2
    }

    /// P(Z ≤ z).
    public static func cumulative(_ z: Double) -> Double {
        survival(-z)
    }

    /// The z with `survival(z) == p`, for 0 < p < 1 (e.g. `upperQuantile(0.025)` ≈ 1.959964). Found by
    /// bisection on ``survival(_:)``, so it is exactly as accurate as the tail it inverts.
    public static func upperQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "a tail probability is between 0 and 1")
        var low = -40.0
        var high = 40.0
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if middle == low || middle == high { break }
            if survival(middle) > p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// The complementary error function.
    static func erfc(_ x: Double) -> Double {
        if x < 0 { return 2 - erfc(-x) }
        if x < 3 { return 1 - erfSeries(x) }
        return erfcContinuedFraction(x)
    }

    private static let rootPi = 1.772_453_850_905_516_0

    private static func erfSeries(_ x: Double) -> Double {
        let twiceSquare = 2 * x * x
        var term = x
        var sum = x
        var n = 0.0
        while true {
            n += 1
            term *= twiceSquare / (2 * n + 1)
            let next = sum + term
            if next == sum { break }
            sum = next
        }
        return 2 / rootPi * (-x * x).exponential * sum
    }

    private static func erfcContinuedFraction(_ x: Double) -> Double {
        // erfc(x)·√π·e^(x²) = 1/(x + a₁/(x + a₂/(x + …))) with aₖ = k/2; modified Lentz.
        let tiny = 1e-300
        var f = x
        var c = x
        var d = 0.0
        var k = 1.0
        while k < 5000 {
            let a = k / 2
            d = x + a * d
            if abs(d) < tiny { d = tiny }
            c = x + a / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = c * d
            f *= delta
            if abs(delta - 1) < 1e-16 { break }
            k += 1
        }
        return (-x * x).exponential / rootPi / f
    }
}

extension Double {
    /// e^self, by range reduction (e^x = 2^k · e^r with |r| ≤ ln 2 / 2) and a Taylor series for e^r.
    var exponential: Double {
        if self.isNaN { return .nan }
        if self > 709.8 { return .infinity }
        if self < -745.2 { return 0 }
        let ln2 = 0.693_147_180_559_945_3
        let k = (self / ln2).rounded()
        let r = self - k * ln2
        var term = 1.0
        var sum = 1.0
        var n = 0.0
        while true {
            n += 1
            term *= r / n
            let next = sum + term
            if next == sum { break }
            sum = next
        }
        // Scale by 2^k in two steps so that neither factor overflows or underflows on its own.
        let half = Int(k) / 2
        return sum * Double(sign: .plus, exponent: half, significand: 1)
            * Double(sign: .plus, exponent: Int(k) - half, significand: 1)
    }
}
