import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import RewindStorePostgres
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import NIOHTTP1
#endif

/// Three `rewind serve` replicas with `ha.shards: 3` on one PostgreSQL state: they share the shard leases one
/// each, every replica's status names every shard's holder, and SIGKILL of a replica hands its shard to a survivor
/// within the 5 s takeover target.
@Suite(.serialized, .enabled(if: TestPostgres.url != nil || TestPostgres.isRequired))
struct ShardReplicaTests {
    typealias Replica = (daemon: DaemonProcess, api: API)

    /// The shards a replica's status says it holds, and every shard's holder.
    static func shards(_ replica: Replica) async throws -> (mine: Set<Int>, holders: [Int: String]) {
        let status = try await replica.api.object("/api/v1/status")
        let rows = status["shards"] as? [[String: Any]] ?? []
        var mine: Set<Int> = []
        var holders: [Int: String] = [:]
        for row in rows {
            guard let shard = row["shard"] as? Int else { continue }
            if row["mine"] as? Bool == true { mine.insert(shard) }
            holders[shard] = row["holder"] as? String
        }
        return (mine, holders)
    }

    /// Starts replica `name` of the test policy on `state` with `ha.shards: shards`, in its own folder, and waits
    /// until it is ready.
    static func start(
        _ name: String, shards: Int, state: String, endpoints: SandboxEndpoints, scratch: TemporaryDirectory,
        client: HTTPClient
    ) async throws -> Replica {
        let port = try freeLoopbackPort()
        let folder = scratch.file(name)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = daemonConfig(
            endpoints: endpoints, port: port, extra: "ha: { shards: \(shards) }", notifications: "{ console: false }"
        )
        .replacingOccurrences(of: "state: state.db", with: "state: \(state)")
        try config.write(toFile: folder + "/rewind.yaml", atomically: true, encoding: .utf8)
        let api = API(client: client, base: "http://127.0.0.1:\(port)")
        let daemon = try await DaemonProcess(config: folder + "/rewind.yaml", log: folder + "/daemon.log")
        do {
            try await eventually("replica \(name) is ready", within: 30) {
                try await api.call(.GET, "/readyz").status == 200
            }
        } catch {
            daemon.kill(SIGKILL)
            throw error
        }
        return (daemon, api)
    }

    /// A fresh PostgreSQL schema with backend and worker v1 live and known good.
    static func seededState() async throws -> String {
        let state = try StateMigrationTests.target()
        let store = try await PostgresStore.open(try PostgresSettings(url: state))
        try await seedKnownGood(store)
        await store.shutdown()
        return state
    }

    /// Per service, the replica a replica's status says watches it, and whether it shows the service's checks.
    static func watchers(_ replica: Replica) async throws -> [String: (watchedBy: String?, showsChecks: Bool)] {
        let status = try await replica.api.object("/api/v1/status")
        var rows: [String: (watchedBy: String?, showsChecks: Bool)] = [:]
        for row in status["services"] as? [[String: Any]] ?? [] {
            guard let service = row["service"] as? String else { continue }
            rows[service] = (row["watchedBy"] as? String, !(row["checks"] as? [Any] ?? []).isEmpty)
        }
        return rows
    }

    /// Two replicas with `ha.shards: 2`: backend and worker both hash to shard 1, which the second replica holds
    /// once they share. A bad backend recorded through the coordinator is watched, seen failing and forwarded by the
    /// second replica; the coordinator rolls it back, once.
    @Test func theShardHolderWatchesAndTheCoordinatorRollsBack() async throws {
        let scratch = try TemporaryDirectory("shard-watch")
        defer { scratch.remove() }
        let state = try await Self.seededState()
        try await withSandbox(rollbackDuration: .seconds(1)) { world, endpoints in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { client.shutdown { _ in } }
            var replicas: [Replica] = []
            defer { for replica in replicas { replica.daemon.kill(SIGKILL) } }
            for name in ["a", "b"] {
                let replica = try await Self.start(
                    name, shards: 2, state: state, endpoints: endpoints, scratch: scratch, client: client)
                replicas.append(replica)
                let api = replica.api
                if name == "a" {
                    try await eventually("replica a coordinates", within: 15) {
                        try await api.object("/api/v1/status")["leader"] as? Bool == true
                    }
                }
            }
            let (a, b) = (replicas[0], replicas[1])
            try await eventually("replica b holds shard 1 and watches both services", within: 30) {
                let (mineB, mineA) = (try await Self.shards(b).mine, try await Self.shards(a).mine)
                guard mineB == [1], mineA == [0], let instanceB = try await b.api.object("/api/v1/status")["instance"]
                else { return false }
                // Both replicas name b as the watcher of both services, and show their checks (a shows what b
                // published).
                for view in [try await Self.watchers(a), try await Self.watchers(b)] {
                    for service in ["backend", "worker"] {
                        guard let row = view[service], row.watchedBy == instanceB as? String, row.showsChecks else {
                            return false
                        }
                    }
                }
                return true
            }

            world.deploy(
                service: "backend", SandboxDeployment(id: "be-v2", version: "v2", behavior: .failing(status: 500)))
            let recorded = try await a.api.call(
                .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"be-v2","version":"v2"}"#)
            #expect(recorded.status == 201)
            try await eventually("the coordinator rolls backend back and the incident completes", within: 60) {
                let detail = try await a.api.object("/api/v1/incidents/1")
                return (detail["incident"] as? [String: Any])?["status"] as? String == "completed"
            }
            #expect(world.rollbackCalls(service: "backend") == 1)
            #expect(world.live(service: "backend")?.id == "be-v1")
            // The violation came from replica b's watcher: the coordinator never held backend's shard (it probed
            // backend only to verify the rollback).
            let incident = try await a.api.call(.GET, "/api/v1/incidents/1").body
            #expect(incident.contains("health"), "\(incident.prefix(2000))")
            #expect(try await Self.shards(a).mine == [0])
            try await client.shutdown()
        }
    }

    @Test func threeReplicasShareTheShardsAndAKilledOnesShardIsTakenWithinFiveSeconds() async throws {
        let scratch = try TemporaryDirectory("shards")
        defer { scratch.remove() }
        let state = try await Self.seededState()
        try await withSandbox { _, endpoints in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { client.shutdown { _ in } }
            var replicas: [Replica] = []
            defer { for replica in replicas { replica.daemon.kill(SIGKILL) } }
            for name in ["a", "b", "c"] {
                replicas.append(
                    try await Self.start(
                        name, shards: 3, state: state, endpoints: endpoints, scratch: scratch, client: client))
            }

            try await eventually("the replicas hold one shard each", within: 30) {
                var held: [Set<Int>] = []
                for replica in replicas { held.append(try await Self.shards(replica).mine) }
                return held.allSatisfy { $0.count == 1 }
                    && held.reduce(into: Set<Int>()) { $0.formUnion($1) }.count == 3
            }
            // The coordinator (the writer lease's holder) names every shard's holder; so do the others.
            try await eventually("the coordinator names the three holders", within: 5) {
                let holders = try await Self.shards(replicas[0]).holders
                return holders.count == 3 && Set(holders.values).count == 3
            }
            // Metrics: the writer lease and each shard, labelled by shard.
            let ownShard = try #require(try await Self.shards(replicas[0]).mine.first)
            let metrics = try await replicas[0].api.call(.GET, "/metrics").body
            #expect(metrics.contains(#"rewind_leader{shard="coordinator"} 1"#), "\(metrics.prefix(3000))")
            #expect(metrics.contains(#"rewind_leader{shard="\#(ownShard)"} 1"#), "\(metrics.prefix(3000))")

            // SIGKILL the last replica (not the coordinator): a survivor takes its shard within 5 s.
            let victim = replicas[2]
            let lost = try #require(try await Self.shards(victim).mine.first)
            victim.daemon.kill(SIGKILL)
            let killedAt = Date()
            #expect(await victim.daemon.waitForExit() != 0)
            try await eventually("a survivor holds the killed replica's shard", within: 15) {
                for survivor in replicas.prefix(2) where try await Self.shards(survivor).mine.contains(lost) {
                    return true
                }
                return false
            }
            let takenAfter = Date().timeIntervalSince(killedAt)
            #expect(takenAfter < 5, "the killed replica's shard was taken after \(takenAfter) s")
            var union = Set<Int>()
            for survivor in replicas.prefix(2) { union.formUnion(try await Self.shards(survivor).mine) }
            #expect(union == [0, 1, 2])
            // The coordinator never changed hands: killing a shard holder is no failover.
            #expect(try await replicas[0].api.object("/api/v1/status")["leader"] as? Bool == true)

            // A graceful stop of the coordinator releases its shard and the writer lease: b leads and holds all three.
            replicas[0].daemon.kill(SIGTERM)
            #expect(await replicas[0].daemon.waitForExit() == 0, "\(replicas[0].daemon.output.suffix(2000))")
            try await eventually("b leads and holds every shard", within: 15) {
                let status = try await replicas[1].api.object("/api/v1/status")
                let mine = try await Self.shards(replicas[1]).mine
                return status["leader"] as? Bool == true && mine == [0, 1, 2]
            }
            try await client.shutdown()
        }
    }
}
