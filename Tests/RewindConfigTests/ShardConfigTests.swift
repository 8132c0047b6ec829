import RewindConfig
import RewindCore
import Testing

@Suite("ha.shards and a service's shard:")
struct ShardConfigTests {
    private static let postgres = "state: postgresql://rewind@db.internal:5432/rewind\n"

    private static func services(shard: String? = nil) -> String {
        """
        services:
          backend:
            checks:
              - name: health
                url: https://api.example.com/health
            provider:
              type: command
              rollback: [railway, rollback, --service, backend]
        \(shard.map { "    shard: \($0)\n" } ?? "")  frontend:
            checks:
              - name: health
                url: https://www.example.com/health
            provider:
              type: command
              rollback: [railway, rollback, --service, frontend]

        """
    }

    @Test("without ha: one shard, as a single leader runs")
    func defaultIsOneShard() throws {
        let configuration = try #require(parse(minimalServices).configuration)
        #expect(configuration.shards == .single)
        #expect(configuration.shards.shard(of: "backend") == 0)
    }

    @Test("ha.shards on PostgreSQL, with a service's shard: overriding its hash")
    func shardsAndOverride() throws {
        let configuration = try #require(
            parse(Self.postgres + "ha:\n  shards: 3\n" + Self.services(shard: "2")).configuration)
        #expect(configuration.shards.count == 3)
        #expect(configuration.shards.overrides == ["backend": 2])
        #expect(configuration.shards.shard(of: "backend") == 2)
        #expect(configuration.shards.shard(of: "frontend") == Int(ShardAssignment.fnv1a("frontend") % 3))
    }

    @Test("more than one shard on a SQLite file is refused, naming the key and the fix")
    func sqliteRefusesShards() {
        let found = problems("ha:\n  shards: 2\n" + Self.services())
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.path == "ha.shards")
        #expect(found.first?.message.contains("state: postgresql://") == true)
        // One shard is today's single writer: fine on SQLite.
        #expect(problems("ha:\n  shards: 1\n" + Self.services()).isEmpty)
    }

    @Test(
        "shard counts and shards out of range are problems",
        arguments: [
            ("ha:\n  shards: 0\n", nil, "ha.shards", "from 1 to 256"),
            ("ha:\n  shards: 257\n", nil, "ha.shards", "from 1 to 256"),
            ("ha:\n  shards: many\n", nil, "ha.shards", "from 1 to 256"),
            ("ha:\n  shards: 3\n", "3", "services.backend.shard", "write a shard from 0 to 2"),
            ("", "1", "services.backend.shard", "(ha.shards: 1)"),
            ("ha:\n  shards: 3\n", "-1", "services.backend.shard", "from 0 to 255"),
            ("ha:\n  replicas: 3\n", nil, "ha.replicas", "shards"),
        ] as [(String, String?, String, String)])
    func outOfRange(_ ha: String, _ shard: String?, _ path: String, _ expected: String) {
        let found = problems(Self.postgres + ha + Self.services(shard: shard))
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.path == path, "\(found)")
        #expect(found.first?.message.contains(expected) == true, "\(found)")
    }
}
