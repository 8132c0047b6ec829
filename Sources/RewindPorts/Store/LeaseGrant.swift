import RewindCore

/// The writer lease as one instance was granted it: who, the epoch that fences its writes, until
/// when it holds it (the holder's clock), and where the holder answers (its advertised URL).
public struct LeaseGrant: Sendable, Hashable, Codable {
    /// The instance's id (host and process, say): unique among instances sharing the state.
    public var holder: String
    /// Increases whenever the lease changes hands; a store bound to this grant refuses to write
    /// once the stored epoch differs.
    public var epoch: Int64
    public var until: Timestamp
    /// The holder's API as other replicas reach it (`server.advertise_url`): where a standby sends
    /// a change with a 307. Nil when the holder advertises none.
    public var advertiseURL: String?

    public init(holder: String, epoch: Int64, until: Timestamp, advertiseURL: String? = nil) {
        self.holder = holder
        self.epoch = epoch
        self.until = until
        self.advertiseURL = advertiseURL
    }

    /// True while `now < until`: until then no other instance may take the lease over.
    public func isHeld(at now: Timestamp) -> Bool { now < until }
}
