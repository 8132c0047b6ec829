import RewindCore

/// What a shard's holder last showed of its services' checks and signals (`ha.shards`), kept in the shared state
/// so that every replica's status shows every service, whichever replica watches it.
public struct ShardStatusRow: Sendable, Equatable {
    public var shard: Int
    /// The replica that published it, and the epoch of its shard lease then.
    public var holder: String
    public var epoch: Int64
    /// When it was published (the holder's clock).
    public var at: Timestamp
    /// The statuses, as the engine encodes them (opaque to the store).
    public var statuses: String

    public init(shard: Int, holder: String, epoch: Int64, at: Timestamp, statuses: String) {
        self.shard = shard
        self.holder = holder
        self.epoch = epoch
        self.at = at
        self.statuses = statuses
    }
}

/// The shards' status rows: one per shard, replaced by its holder.
///
/// ``publishShardStatuses(_:shard:grant:at:)`` writes only while `grant` is the shard's lease in force (``StoreFenced``
/// otherwise), so a replica paused past its lease cannot overwrite what the new holder shows.
public protocol ShardStatusBoard: Sendable {
    func publishShardStatuses(_ statuses: String, shard: Int, grant: LeaseGrant, at: Timestamp) async throws

    /// Every shard's last row, by shard.
    func shardStatuses() async throws -> [Int: ShardStatusRow]
}
