/// Which shard watches a service when replicas share the watching (`ha.shards`): the service's
/// `shard:` when the policy sets one, otherwise a stable hash of its name.
///
/// The hash is 64-bit FNV-1a of the name's UTF-8 bytes, modulo the shard count: the same on every
/// replica, every run and every platform (never Swift's `hashValue`, which is seeded per process).
public struct ShardAssignment: Sendable, Equatable {
    /// How many shards there are (`ha.shards`), at least 1.
    public var count: Int
    /// Services whose `shard:` overrides the hash; each in `0..<count`.
    public var overrides: [ServiceName: Int]

    public init(count: Int, overrides: [ServiceName: Int] = [:]) {
        precondition(count >= 1, "a shard count is at least 1")
        self.count = count
        self.overrides = overrides
    }

    /// One shard for everything: Rewind as a single leader runs it.
    public static let single = ShardAssignment(count: 1)

    /// The shard that watches `service`, in `0..<count`.
    public func shard(of service: ServiceName) -> Int {
        if let shard = overrides[service] { return shard }
        return Int(Self.fnv1a(service.rawValue) % UInt64(count))
    }

    /// The services of `shards`, in the order given.
    public func services(_ services: [ServiceName], inShards shards: Set<Int>) -> [ServiceName] {
        services.filter { shards.contains(shard(of: $0)) }
    }

    /// 64-bit FNV-1a of `text`'s UTF-8 bytes.
    public static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
