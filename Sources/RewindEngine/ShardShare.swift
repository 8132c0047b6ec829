import RewindCore
import RewindPorts

/// How replicas share the shards (`ha.shards`), as one replica decides at each look: pure, so that every
/// replica applies the same rule to what it read from the store.
///
/// Each live replica holds about `ceil(shards / replicas)`: one that holds fewer takes free shards (never
/// taken, released, or expired), preferring those whose index falls to its own rank among the live replicas
/// (shard `k` to rank `k % replicas`), so that replicas starting together do not race for the same ones; one
/// that holds more releases its highest shards, which the others take within one look. A replica that died
/// stops being live when its announcement runs out — the same lifetime as its leases — so the survivors' share
/// rises just as its leases expire.
struct ShardShare: Equatable {
    /// Shards to try to take, in order.
    var take: [Int]
    /// Shards to release (held beyond this replica's share).
    var release: [Int]

    /// - Parameters:
    ///   - held: the shards this replica holds (its renewals went through).
    ///   - replicas: the live replicas read from the store; `me` counts whether listed or not.
    ///   - leases: every shard's grant as read from the store. A shard is free when nobody holds it, its lease ran
    ///     out, or the store still names `me` for a shard this replica stopped holding (taking it again renews it).
    static func decide(
        shards: Int, me: String, held: Set<Int>, replicas: [String], leases: [Int: LeaseGrant], now: Timestamp
    ) -> ShardShare {
        let live = Array(Set(replicas).union([me])).sorted()
        let share = (shards + live.count - 1) / live.count
        let mine = held.sorted()
        if mine.count > share { return ShardShare(take: [], release: Array(mine.suffix(mine.count - share))) }
        let rank = live.firstIndex(of: me) ?? 0
        let free = (0..<shards).filter { shard in
            guard !held.contains(shard), let lease = leases[shard] else { return !held.contains(shard) }
            return !lease.isHeld(at: now) || lease.holder == me
        }
        let preferred = free.filter { $0 % live.count == rank } + free.filter { $0 % live.count != rank }
        return ShardShare(take: Array(preferred.prefix(share - mine.count)), release: [])
    }
}
