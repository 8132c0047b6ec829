import Foundation
import RewindCore

/// Reproducible "realistic" request latencies in milliseconds: a log-normal body (median 80 ms,
/// σ 0.6, so P95 ≈ 215 ms and P99 ≈ 325 ms) with a slow tail of `tailFraction` of the requests
/// spread evenly over `tail`. Generated once, from a fixed seed, so every run records the same values.
struct Latencies: Sendable {
    /// The body only: every latency is far below 2 s (the HDR histograms' smallest size).
    static let typical = Latencies(tailFraction: 0, tail: 0...0)
    /// 0.5 % of requests slow, between 1 and 3 s: each slot's histogram grows to cover 4 s.
    static let slowTail = Latencies(tailFraction: 0.005, tail: 1_000...3_000)
    /// 0.5 % of requests between 1 s and 1 h (the window's `maxLatency`): the largest histograms.
    static let hourTail = Latencies(tailFraction: 0.005, tail: 1_000...3_600_000)

    /// A power of two, so that an index wraps with a mask.
    static let count = 1 << 16

    let values: [Double]

    init(tailFraction: Double, tail: ClosedRange<Double>, seed: UInt64 = 0x5EED_1A7E) {
        var random = SplitMix64(seed: seed)
        values = (0..<Self.count).map { _ in
            if random.nextUnit() < tailFraction {
                return tail.lowerBound + random.nextUnit() * (tail.upperBound - tail.lowerBound)
            }
            return exp(log(80) + 0.6 * random.nextGaussian())
        }
    }

    /// The `n`th latency, wrapping around.
    subscript(_ n: Int) -> Double { values[n & (Self.count - 1)] }
}

/// A small, fast, reproducible generator (Steele, Lea and Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Standard normal (Box–Muller).
    mutating func nextGaussian() -> Double {
        let u = max(nextUnit(), .leastNonzeroMagnitude)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * nextUnit())
    }
}

extension Timestamp {
    /// A fixed starting time for signal time (2027-01-15), so runs are comparable.
    static let benchmarkEpoch = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)
}
