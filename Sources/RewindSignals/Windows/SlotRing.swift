import RewindCore

/// A sliding time window cut into equal slots, each holding an accumulator (a histogram, a sum).
///
/// Slot `k` holds the samples with `k * slot <= at < (k + 1) * slot` (milliseconds since the
/// epoch). A query at `now` reads every slot that overlaps `(now - window, now]`, so a sample is
/// counted for at least `window` and forgotten at most one slot later. The ring keeps
/// `slotCount + 1` slots; a sample older than that behind the newest one is refused. Queries read
/// whole slots, so a sample later than `now` but in the slot of `now` counts (callers query at the
/// latest time they know). Time is always passed in, never read.
struct SlotRing<Slot: Sendable>: Sendable {
    private struct Entry: Sendable {
        var index: Int64
        var slot: Slot
    }

    let windowMilliseconds: Int64
    let slotMilliseconds: Int64
    private var entries: [Entry?]
    private var newestIndex: Int64?

    init(window: Duration, slotCount: Int) {
        precondition(slotCount >= 1, "a window needs at least one slot")
        let window = window.milliseconds
        precondition(window >= Int64(slotCount), "a window needs at least 1 ms per slot")
        windowMilliseconds = window
        slotMilliseconds = (window + Int64(slotCount) - 1) / Int64(slotCount)
        entries = Array(repeating: nil, count: slotCount + 1)
    }

    /// Updates the slot of `at`, creating it with `make` when it is new. Returns false (and changes
    /// nothing) when `at` is too far behind the newest sample for the ring to hold it.
    mutating func update(at: Timestamp, make: () -> Slot, _ change: (inout Slot) -> Void) -> Bool {
        let index = slotIndex(at)
        if let newestIndex, index < newestIndex - Int64(entries.count - 1) { return false }
        if newestIndex.map({ index > $0 }) ?? true {
            newestIndex = index
            discard(before: index - Int64(entries.count - 1))
        }
        let position = Int(index.modulo(Int64(entries.count)))
        if entries[position]?.index != index {
            entries[position] = Entry(index: index, slot: make())
        }
        change(&entries[position]!.slot)
        return true
    }

    /// The slots that overlap `(now - window, now]`, oldest first.
    func slots(at now: Timestamp) -> [Slot] {
        let range = indices(at: now)
        return entries.compactMap { $0 }.filter { range.contains($0.index) }.sorted {
            $0.index < $1.index
        }.map(\.slot)
    }

    /// Frees the slots that no longer overlap the window at `now`.
    mutating func discardExpired(at now: Timestamp) {
        discard(before: indices(at: now).lowerBound)
    }

    /// Every slot still held, expired or not.
    var heldSlots: [Slot] { entries.compactMap { $0?.slot } }

    private mutating func discard(before oldest: Int64) {
        for position in entries.indices where entries[position].map({ $0.index < oldest }) ?? false {
            entries[position] = nil
        }
    }

    private func indices(at now: Timestamp) -> ClosedRange<Int64> {
        let newest = slotIndex(now)
        let oldest = (now.millisecondsSinceEpoch - windowMilliseconds).flooredDivision(
            by: slotMilliseconds
        )
        return oldest...newest
    }

    private func slotIndex(_ at: Timestamp) -> Int64 {
        at.millisecondsSinceEpoch.flooredDivision(by: slotMilliseconds)
    }
}

extension Int64 {
    fileprivate func flooredDivision(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    fileprivate func modulo(_ divisor: Int64) -> Int64 {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
