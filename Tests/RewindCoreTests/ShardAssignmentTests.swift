import RewindCore
import Testing

@Suite("Shard assignment: a stable hash of the service name, overridable")
struct ShardAssignmentTests {
    @Test("FNV-1a 64 matches the published test vectors")
    func fnvVectors() {
        #expect(ShardAssignment.fnv1a("") == 0xcbf2_9ce4_8422_2325)
        #expect(ShardAssignment.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(ShardAssignment.fnv1a("foobar") == 0x8594_4171_f739_67e8)
    }

    @Test("every service lands in a shard in range, the same one each time; an override wins")
    func assignment() {
        let shards = ShardAssignment(count: 3, overrides: ["payments": 0])
        let names = (0..<300).map { ServiceName("svc-\($0)") }
        var counts = [0, 0, 0]
        for name in names {
            let shard = shards.shard(of: name)
            #expect((0..<3).contains(shard))
            #expect(shard == ShardAssignment(count: 3).shard(of: name))
            counts[shard] += 1
        }
        // A hash that spreads: no shard gets fewer than half its fair share of 300 names.
        #expect(counts.allSatisfy { $0 >= 50 }, "\(counts)")
        #expect(shards.shard(of: "payments") == 0)
        #expect(ShardAssignment.single.shard(of: "payments") == 0)
        #expect(
            shards.services(["payments", "svc-1"], inShards: [0]) == ["payments"]
                + (shards.shard(of: "svc-1") == 0 ? ["svc-1"] : []))
    }
}
