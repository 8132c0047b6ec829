import RewindCore

/// The writer lease as one instance was granted it: who, the epoch that fences its writes, and
/// until when it holds it (the holder's clock).
public struct LeaseGrant: Sendable, Hashable, Codable {
    /// The instance's id (host and process, say): unique among instances sharing the state.
    public var holder: String
    /// Increases whenever the lease changes hands; a store bound to this grant refuses to write
    /// once the stored epoch differs.
    public var epoch: Int64
    public var until: Timestamp

    public init(holder: String, epoch: Int64, until: Timestamp) {
        self.holder = holder
        self.epoch = epoch
        self.until = until
    }

    /// True while `now < until`: until then no other instance may take the lease over.
    public func isHeld(at now: Timestamp) -> Bool { now < until }
}
