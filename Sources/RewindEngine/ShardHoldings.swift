import RewindCore
import RewindPorts
import Synchronization

/// The shards this replica holds, and every shard's holder as it last read them: written by the
/// ``ShardKeeper``, read by the status endpoint and by what watches the shards' services.
public final class ShardHoldings: Sendable {
    /// How many shards there are (`ha.shards`).
    public let count: Int
    private let state = Mutex<(held: [Int: LeaseGrant], seen: [Int: LeaseGrant], version: Int)>(([:], [:], 0))

    public init(count: Int) {
        self.count = count
    }

    /// The shards this replica holds, with their grants.
    public var held: [Int: LeaseGrant] { state.withLock { $0.held } }

    /// Every shard's grant as last read from the store (expired or not), by shard.
    public var seen: [Int: LeaseGrant] { state.withLock { $0.seen } }

    /// Bumped whenever ``held`` changes.
    var version: Int { state.withLock { $0.version } }

    func hold(_ shard: Int, _ grant: LeaseGrant) {
        state.withLock { state in
            if state.held[shard]?.epoch != grant.epoch { state.version += 1 }
            state.held[shard] = grant
            state.seen[shard] = grant
        }
    }

    func drop(_ shard: Int) {
        state.withLock { state in
            if state.held.removeValue(forKey: shard) != nil { state.version += 1 }
        }
    }

    func saw(_ leases: [Int: LeaseGrant]) {
        state.withLock { $0.seen = leases }
    }
}

/// One shard as `rewind status` shows it: who holds its lease (as this replica last read it) and whether
/// that is the replica answering.
public struct ShardStatus: Sendable, Codable, Equatable {
    public var shard: Int
    /// The replica holding the shard's lease; nil when nobody does (released, or never taken yet).
    public var holder: String?
    public var epoch: Int64?
    /// The replica answering holds it.
    public var mine: Bool

    public init(shard: Int, holder: String?, epoch: Int64?, mine: Bool) {
        self.shard = shard
        self.holder = holder
        self.epoch = epoch
        self.mine = mine
    }
}

extension ShardHoldings {
    /// Every shard, in order, as this replica last saw it.
    public var statuses: [ShardStatus] {
        let (held, seen) = (held, seen)
        return (0..<count).map { shard in
            if let mine = held[shard] {
                return ShardStatus(shard: shard, holder: mine.holder, epoch: mine.epoch, mine: true)
            }
            let other = seen[shard]
            return ShardStatus(shard: shard, holder: other?.holder, epoch: other?.epoch, mine: false)
        }
    }
}
