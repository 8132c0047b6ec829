import Histogram
import RewindCore

/// Latencies (milliseconds) over a sliding time window, for P95/P99 triggers.
///
/// A ring of per-slot HDR histograms (3 significant digits): recording touches one slot, a
/// quantile merges the slots that overlap `(now - window, now]`. A latency is counted for at least
/// `window` and forgotten at most one slot (`window / slotCount`) later. Quantiles are exact below
/// 2048 ms and within 0.1 % above; latencies are recorded in whole milliseconds, and one above
/// `maxLatency` counts as `maxLatency`.
///
/// Memory: each slot's histogram grows with the largest latency it holds: about 8.5 KiB per slot
/// below 2 s, 12.5 KiB below 4 s, up to 53 KiB at one hour (see ``estimatedFootprintBytes``).
/// Slots are allocated on first use and freed when they leave the window.
///
/// A value type owned by one task; time is always passed in, never read.
public struct LatencyWindow: Sendable {
    public static let defaultWindow: Duration = .seconds(300)

    public let window: Duration
    /// Quantiles are nil below this many latencies in the window.
    public let minSamples: Int
    public let maxLatency: Duration
    private var ring: SlotRing<Histogram<UInt32>>

    /// - Parameters:
    ///   - window: how far back a quantile looks; the guide's default is 5 minutes.
    ///   - slotCount: how finely the window slides; more slots cost more memory.
    ///   - minSamples: below this many latencies a quantile is nil ("no data", not "fine").
    ///   - maxLatency: the largest latency told apart; longer ones are recorded as this.
    public init(
        window: Duration = defaultWindow,
        slotCount: Int = 10,
        minSamples: Int = 1,
        maxLatency: Duration = .seconds(3600)
    ) {
        precondition(maxLatency.milliseconds >= 2, "maxLatency must be at least 2 ms")
        self.window = window
        self.minSamples = max(1, minSamples)
        self.maxLatency = maxLatency
        ring = SlotRing(window: window, slotCount: slotCount)
    }

    /// Records one latency. Returns false, recording nothing, for a negative or non-finite latency
    /// or a time too far behind the newest one recorded.
    @discardableResult
    public mutating func record(_ ms: Double, at: Timestamp) -> Bool {
        guard ms.isFinite, ms >= 0 else { return false }
        let limit = UInt64(maxLatency.milliseconds)
        let value = ms >= Double(limit) ? limit : UInt64(ms.rounded())
        return ring.update(at: at, make: Self.emptyHistogram) { histogram in
            histogram.record(value)
        }
    }

    /// The latency (ms) that a fraction `q` (0...1) of the window's latencies are at or below:
    /// `quantile(0.95, at: now)` is the P95. Nil when the window holds fewer than `minSamples`.
    public func quantile(_ q: Double, at now: Timestamp) -> Double? {
        quantiles([q], at: now)?.first
    }

    /// Several quantiles from one merge of the window, in the order asked.
    public func quantiles(_ qs: [Double], at now: Timestamp) -> [Double]? {
        precondition(qs.allSatisfy { (0...1).contains($0) }, "a quantile is between 0 and 1")
        guard let merged = merged(at: now), merged.totalCount >= UInt64(minSamples) else { return nil }
        return qs.map { Double(merged.valueAtPercentile($0 * 100)) }
    }

    /// How many latencies the window holds at `now`.
    public func count(at now: Timestamp) -> Int {
        Int(ring.slots(at: now).reduce(0) { $0 + $1.totalCount })
    }

    /// Frees slots that left the window. Recording does this too; call it when a signal goes quiet.
    public mutating func discardExpired(at now: Timestamp) {
        ring.discardExpired(at: now)
    }

    /// Bytes held by the slot histograms (HDR's own conservative estimate).
    public var estimatedFootprintBytes: Int {
        ring.heldSlots.reduce(0) { $0 + $1.estimatedFootprintInBytes }
    }

    private func merged(at now: Timestamp) -> Histogram<UInt32>? {
        let slots = ring.slots(at: now)
        guard !slots.isEmpty else { return nil }
        var merged = Self.emptyHistogram()
        for slot in slots { merged.add(slot) }
        return merged
    }

    /// Starts at unit resolution up to 2047 ms and grows to fit the largest latency recorded.
    private static func emptyHistogram() -> Histogram<UInt32> {
        Histogram<UInt32>(numberOfSignificantValueDigits: .three)
    }
}
