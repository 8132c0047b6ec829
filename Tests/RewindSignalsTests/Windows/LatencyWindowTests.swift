import Foundation
import RewindCore
import RewindSandbox
import RewindSignals
import Testing

@Suite("Latency window")
struct LatencyWindowTests {
    /// A time on a 30-second boundary, so slots line up with the arithmetic below.
    static let start = Timestamp(millisecondsSinceEpoch: 1_795_773_600_000)

    static func at(_ seconds: Int64) -> Timestamp { start + .seconds(seconds) }

    /// The nearest-rank quantile of a sorted array, which is what an HDR histogram approximates.
    static func reference(_ sorted: [UInt64], _ q: Double) -> Double {
        let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
        return Double(sorted[rank - 1])
    }

    @Test(
        "quantiles match a sorted-array reference within HDR's 3 significant digits",
        arguments: [1, 2, 3]
    )
    func accuracy(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        var window = LatencyWindow()
        var values: [UInt64] = []
        for second in 0..<300 {
            for _ in 0..<20 {
                // Log-uniform between 1 ms and about 60 s: most of HDR's buckets are used.
                let value = UInt64(exp(Double.random(in: 0..<log(60_000), using: &generator)).rounded())
                values.append(value)
                let recorded = window.record(Double(value), at: Self.at(Int64(second)))
                #expect(recorded)
            }
        }
        values.sort()
        let now = Self.at(299)
        #expect(window.count(at: now) == values.count)
        for q in [0.0, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
            let expected = Self.reference(values, q)
            let measured = try #require(window.quantile(q, at: now))
            // 3 significant digits: within 1/1024 of the value (exact below 2048 ms).
            #expect(abs(measured - expected) <= expected / 1024, "q=\(q): \(measured) vs \(expected)")
        }
        let both = try #require(window.quantiles([0.95, 0.99], at: now))
        #expect(both == [window.quantile(0.95, at: now), window.quantile(0.99, at: now)])
    }

    @Test("below 2048 ms quantiles are exact")
    func exactSmallValues() {
        var window = LatencyWindow()
        for value in 1...100 { window.record(Double(value * 13), at: Self.at(10)) }
        #expect(window.quantile(0.95, at: Self.at(10)) == 1235)
        #expect(window.quantile(0.5, at: Self.at(10)) == 650)
        #expect(window.quantile(1, at: Self.at(10)) == 1300)
    }

    @Test(
        "the window slides on the passed-in time: a latency counts for 5 minutes and at most one slot more"
    )
    func sliding() {
        var window = LatencyWindow(window: .seconds(300), slotCount: 10)
        // One latency every 10 s for 10 minutes; the value is its second, to see which are kept.
        for second in stride(from: Int64(0), to: 600, by: 10) {
            window.record(Double(second), at: Self.at(second))
            if second == 20 { #expect(window.count(at: Self.at(29)) == 3) }
        }
        // At 599 s the window is (299, 599]; slots are 30 s, so slot [270, 300) still overlaps it.
        let now = Self.at(599)
        let exact = (0..<60).filter { $0 * 10 > 299 }.count
        #expect(exact == 30)
        #expect(window.count(at: now) == 33)
        #expect(window.quantile(0, at: now) == 270)
        // A slot later, 270–290 are gone.
        #expect(window.count(at: Self.at(600)) == 30)
        #expect(window.quantile(0, at: Self.at(600)) == 300)
        // Long after the last latency the window is empty and a quantile is "no data".
        #expect(window.count(at: Self.at(1_000)) == 0)
        #expect(window.quantile(0.95, at: Self.at(1_000)) == nil)
    }

    @Test("a slow spell leaves the P95 once it has slid out of the window")
    func slowSpellSlidesOut() {
        var window = LatencyWindow()
        for second in stride(from: Int64(0), to: 300, by: 5) {
            window.record(2_500, at: Self.at(second))
        }
        #expect(window.quantile(0.95, at: Self.at(299)) == 2_500)
        for second in stride(from: Int64(300), to: 660, by: 5) {
            window.record(120, at: Self.at(second))
            if second == 420 { #expect(window.quantile(0.95, at: Self.at(420)) == 2_500) }
        }
        #expect(window.quantile(0.95, at: Self.at(655)) == 120)
    }

    @Test("fewer latencies than minSamples is no data")
    func minSamples() {
        var window = LatencyWindow(minSamples: 3)
        window.record(10, at: Self.at(0))
        window.record(20, at: Self.at(1))
        #expect(window.quantile(0.5, at: Self.at(2)) == nil)
        #expect(window.quantiles([0.5], at: Self.at(2)) == nil)
        window.record(30, at: Self.at(2))
        #expect(window.quantile(0.5, at: Self.at(2)) == 20)
    }

    @Test(
        "what record refuses",
        arguments: [
            (-1, false), (.nan, false), (.infinity, false), (0, true), (0.4, true), (12.6, true),
        ] as [(Double, Bool)]
    )
    func refused(latency: Double, accepted: Bool) {
        var window = LatencyWindow()
        let recorded = window.record(latency, at: Self.at(0))
        #expect(recorded == accepted)
        #expect(window.count(at: Self.at(0)) == (accepted ? 1 : 0))
    }

    @Test("whole milliseconds: 12.6 ms is 13, 0.4 ms is 0")
    func rounding() {
        var window = LatencyWindow()
        window.record(12.6, at: Self.at(0))
        window.record(0.4, at: Self.at(0))
        #expect(window.quantile(1, at: Self.at(0)) == 13)
        #expect(window.quantile(0, at: Self.at(0)) == 0)
    }

    @Test("a latency above maxLatency counts as maxLatency")
    func clamped() {
        var window = LatencyWindow(maxLatency: .seconds(10))
        window.record(3_600_000, at: Self.at(0))
        #expect(window.quantile(1, at: Self.at(0)) == 10_000)
    }

    @Test("late latencies are kept while their slot is in the ring, refused after")
    func lateArrivals() {
        var window = LatencyWindow()
        window.record(100, at: Self.at(300))
        let late = window.record(200, at: Self.at(100))
        #expect(late)
        #expect(window.count(at: Self.at(300)) == 2)
        // More than window + one slot behind the newest: the ring no longer has room for it.
        let tooLate = window.record(300, at: Self.at(-31))
        #expect(!tooLate)
        #expect(window.count(at: Self.at(300)) == 2)
    }

    @Test("memory: nothing before the first latency, slots freed when they leave the window")
    func footprint() {
        var window = LatencyWindow()
        #expect(window.estimatedFootprintBytes == 0)
        for second in stride(from: Int64(0), to: 330, by: 10) {
            window.record(1_500, at: Self.at(second))
        }
        let full = window.estimatedFootprintBytes
        // 11 slots (10 plus the one sliding out), each a 2048-entry UInt32 histogram below 2048 ms,
        // which HDR estimates at 512 bytes plus the array's capacity.
        #expect(full > 11 * 2048 * 4)
        #expect(full <= 11 * 9 * 1024)
        window.discardExpired(at: Self.at(10_000))
        #expect(window.estimatedFootprintBytes == 0)
    }
}
