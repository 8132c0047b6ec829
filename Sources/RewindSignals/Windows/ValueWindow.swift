import RewindCore

/// One value at one time.
public struct TimedValue: Sendable, Equatable {
    public var value: Double
    public var at: Timestamp

    public init(value: Double, at: Timestamp) {
        self.value = value
        self.at = at
    }
}

/// Pushed metric values (conversion rate, queue length, …) over a sliding time window: count,
/// mean and the latest value. Same slot ring as ``LatencyWindow``: a value is counted for at least
/// `window` and forgotten at most one slot later. Plain arithmetic; time is passed in, never read.
public struct ValueWindow: Sendable {
    private struct Slot: Sendable {
        var count = 0
        var sum = 0.0
        var last: TimedValue?
    }

    public let window: Duration
    private var ring: SlotRing<Slot>

    public init(window: Duration = LatencyWindow.defaultWindow, slotCount: Int = 10) {
        self.window = window
        ring = SlotRing(window: window, slotCount: slotCount)
    }

    /// Records one value. Returns false, recording nothing, for a non-finite value or a time too
    /// far behind the newest one recorded.
    @discardableResult
    public mutating func record(_ value: Double, at: Timestamp) -> Bool {
        guard value.isFinite else { return false }
        return ring.update(at: at, make: { Slot() }) { slot in
            slot.count += 1
            slot.sum += value
            if slot.last.map({ at >= $0.at }) ?? true { slot.last = TimedValue(value: value, at: at) }
        }
    }

    public func count(at now: Timestamp) -> Int {
        ring.slots(at: now).reduce(0) { $0 + $1.count }
    }

    /// The mean of the window's values; nil when it holds none.
    public func mean(at now: Timestamp) -> Double? {
        let slots = ring.slots(at: now)
        let count = slots.reduce(0) { $0 + $1.count }
        guard count > 0 else { return nil }
        return slots.reduce(0.0) { $0 + $1.sum } / Double(count)
    }

    /// The most recent value in the window (the later one recorded when two share a time). Like every
    /// query, it reads whole slots: a value recorded after `now` in the slot of `now` counts.
    public func last(at now: Timestamp) -> TimedValue? {
        ring.slots(at: now).compactMap(\.last).last
    }

    public mutating func discardExpired(at now: Timestamp) {
        ring.discardExpired(at: now)
    }
}
