import RewindCore

/// A fenced write refused: the writer's lease grant is no longer the one in force, because another
/// Rewind instance took the lease over (or this one released it). Nothing of the write was
/// stored. The instance must stop acting; it may only try to acquire the lease again.
public struct StoreFenced: RewindError, Equatable {
    /// The grant the refused writer was bound to.
    public var grant: LeaseGrant
    /// The grant in force now; nil when the lease was released.
    public var current: LeaseGrant?

    public init(grant: LeaseGrant, current: LeaseGrant?) {
        self.grant = grant
        self.current = current
    }

    public var code: String { "store_fenced" }

    public var message: String {
        let this = "this instance (\(grant.holder), lease epoch \(grant.epoch))"
        guard let current else {
            return "\(this) released the writer lease, so it no longer writes to this state; nothing was written"
        }
        return "another Rewind instance (\(current.holder), lease epoch \(current.epoch)) took over writing to this "
            + "state; \(this) stopped writing and wrote nothing — check that only one daemon runs per state, or "
            + "let this one stop"
    }
}
