import Foundation
import RewindCore
import Testing

/// The canary judge's statistics against scipy: `Tests/Fixtures/canary-statistics.json`, written by
/// `scripts/canary-fixtures.py` with `scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=True)`,
/// `scipy.stats.norm` and the O'Brien–Fleming-type spending function. Tolerances: U exactly; z, p, the normal
/// tail and the spent α within 1e-9 relative (the tail is computed in pure Swift, by series and continued
/// fraction, and agrees to about 1e-11 or better).
@Suite("Canary statistics: Mann–Whitney U, the normal tail and α-spending against scipy")
struct CanaryStatisticsTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            var name: String
            var x: [Double]
            var y: [Double]
            var results: [Result]
        }
        struct Result: Decodable {
            var alternative: String
            var u: Double
            var z: Double
            var p: Double
        }
        struct Tail: Decodable {
            var z: Double
            var sf: Double
        }
        struct Quantile: Decodable {
            var p: Double
            var z: Double
        }
        struct Spending: Decodable {
            var alpha: Double
            var maxLooks: Int
            var spent: [Double]
        }
        var scipy: String
        var mannWhitney: [Case]
        var normalSf: [Tail]
        var normalUpperQuantile: [Quantile]
        var spending: [Spending]
    }

    static let reference: Reference = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/canary-statistics.json")
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(Reference.self, from: Data(contentsOf: url))
        } catch {
            fatalError("cannot read \(url.path): \(error); regenerate it with scripts/canary-fixtures.py")
        }
    }()

    static func close(_ actual: Double, _ expected: Double, relative: Double = 1e-9) -> Bool {
        if actual == expected { return true }
        if expected == 0 { return abs(actual) <= 1e-12 }
        return abs(actual - expected) <= relative * max(abs(expected), Double.leastNormalMagnitude)
    }

    @Test("the fixture covers ties, small and large samples and all three alternatives")
    func fixtureCoverage() {
        let cases = Self.reference.mannWhitney
        #expect(cases.count >= 10)
        #expect(cases.contains { Set($0.x + $0.y).count < $0.x.count + $0.y.count })
        #expect(cases.contains { $0.x.count <= 3 })
        #expect(cases.contains { $0.x.count >= 1000 })
        #expect(Set(cases.flatMap { $0.results.map(\.alternative) }) == ["two-sided", "greater", "less"])
    }

    @Test("U, z and p equal scipy's mannwhitneyu for every case", arguments: Self.reference.mannWhitney)
    func mannWhitneyMatchesScipy(_ sample: Reference.Case) throws {
        for expected in sample.results {
            let alternative = try #require(MannWhitneyU.Alternative(rawValue: expected.alternative))
            let test = try #require(MannWhitneyU.test(sample.x, sample.y, alternative: alternative))
            #expect(test.u == expected.u, "\(sample.name) \(expected.alternative): U")
            #expect(Self.close(test.z, expected.z), "\(sample.name) \(expected.alternative): z \(test.z)")
            #expect(Self.close(test.p, expected.p), "\(sample.name) \(expected.alternative): p \(test.p)")
        }
    }

    @Test("the normal tail and its inverse equal scipy's norm.sf and norm.isf")
    func normalTail() {
        for tail in Self.reference.normalSf {
            #expect(Self.close(StandardNormal.survival(tail.z), tail.sf), "sf(\(tail.z))")
        }
        for quantile in Self.reference.normalUpperQuantile {
            #expect(Self.close(StandardNormal.upperQuantile(quantile.p), quantile.z), "isf(\(quantile.p))")
        }
    }

    @Test("α spent through each look follows 2 − 2Φ(z/√t) and ends at α; the levels add up to α")
    func spending() {
        for plan in Self.reference.spending {
            let spending = AlphaSpending(alpha: plan.alpha, maxLooks: plan.maxLooks)
            for (index, expected) in plan.spent.enumerated() {
                #expect(
                    Self.close(spending.spent(through: index + 1), expected), "look \(index + 1) of \(plan.maxLooks)")
            }
            let levels = (1...plan.maxLooks).map { spending.level(look: $0) }
            #expect(Self.close(levels.reduce(0, +), plan.alpha, relative: 1e-12))
            #expect(levels.allSatisfy { $0 >= 0 })
            // O'Brien–Fleming: the first look may spend almost nothing, the last the most.
            #expect(levels[0] < 1e-6 || plan.maxLooks < 10)
            #expect(levels.last == levels.max())
            #expect(spending.level(look: plan.maxLooks + 1) == 0)
            #expect(spending.level(look: 0) == 0)
        }
    }

    @Test("equal samples are no evidence: z 0 and p 1 where scipy answers NaN")
    func allTied() throws {
        let test = try #require(MannWhitneyU.test([3, 3, 3], [3, 3], alternative: .greater))
        #expect(test.u == 3)
        #expect(test.z == 0)
        #expect(test.p == 1)
        #expect(MannWhitneyU.test([], [1], alternative: .twoSided) == nil)
    }
}
