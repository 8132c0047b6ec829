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

/// Two `rewind serve` replicas on one PostgreSQL state (the test run's server, a schema of this test's own):
/// one leads, the other stands by, and SIGKILL of the leader mid-rollback hands the incident to the standby,
/// which finishes it from the journal without calling the platform again.
@Suite(.serialized, .enabled(if: TestPostgres.url != nil || TestPostgres.isRequired))
struct ReplicaTests {
    /// One replica: its daemon, its API (through a client that follows no redirect), and the JSON-lines file its
    /// notices go to.
    typealias Replica = (daemon: DaemonProcess, api: API, notices: String)

    /// Two replicas on a fresh PostgreSQL schema watching the sandbox (backend and worker known good on v1); the
    /// first leads, the second stands by. `body` gets the sandbox and both.
    ///
    /// - Parameters:
    ///   - rollbackDuration: how long the sandbox platform's rollbacks run.
    ///   - advertise: each replica sets `server.advertise_url` to its own loopback address.
    ///   - leaderEnvironment: added to the first replica's environment (`REWIND_TEST_STOP_AT`).
    static func withReplicas(
        rollbackDuration: Duration = .seconds(4), advertise: Bool = false, leaderEnvironment: [String: String] = [:],
        _ body: @Sendable (SandboxWorld, _ leader: Replica, _ standby: Replica) async throws -> Void
    ) async throws {
        let scratch = try TemporaryDirectory("replicas")
        defer { scratch.remove() }
        let state = try StateMigrationTests.target()
        try await withSandbox(rollbackDuration: rollbackDuration) { world, endpoints in
            let store = try await PostgresStore.open(try PostgresSettings(url: state))
            try await seedKnownGood(store)
            await store.shutdown()

            var configuration = HTTPClient.Configuration()
            configuration.redirectConfiguration = .disallow
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            defer { client.shutdown { _ in } }
            var replicas: [Replica] = []
            for name in ["a", "b"] {
                let port = try freeLoopbackPort()
                let folder = scratch.file(name)
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let notices = folder + "/notifications.jsonl"
                var config = daemonConfig(
                    endpoints: endpoints, port: port, notifications: "{ console: false, file: \(notices) }"
                )
                .replacingOccurrences(of: "state: state.db", with: "state: \(state)")
                if advertise {
                    config = config.replacingOccurrences(
                        of: "  listen: 127.0.0.1:\(port)\n",
                        with: "  listen: 127.0.0.1:\(port)\n  advertise_url: http://127.0.0.1:\(port)\n")
                }
                try config.write(toFile: folder + "/rewind.yaml", atomically: true, encoding: .utf8)
                let api = API(client: client, base: "http://127.0.0.1:\(port)")
                let daemon = try await DaemonProcess(
                    config: folder + "/rewind.yaml", log: folder + "/daemon.log",
                    environment: name == "a" ? leaderEnvironment : [:])
                replicas.append((daemon, api, notices))
                // b starts once a leads, so that the roles are known.
                try await eventually("replica \(name) is ready", within: 30) {
                    try await api.call(.GET, "/readyz").status == 200
                }
            }
            defer {
                for replica in replicas { replica.daemon.kill(SIGKILL) }
            }
            try await body(world, replicas[0], replicas[1])
            try await client.shutdown()
        }
    }

    /// Records be-v2 (failing) through `replica` and waits until the platform accepted the rollback.
    static func rollbackInFlight(_ world: SandboxWorld, through replica: Replica) async throws {
        world.deploy(
            service: "backend", SandboxDeployment(id: "be-v2", version: "v2", behavior: .failing(status: 500)))
        #expect(
            try await replica.api.call(
                .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"be-v2","version":"v2"}"#
            ).status == 201)
        try await eventually("the rollback is accepted and journaled", within: 30) {
            let detail = try await replica.api.object("/api/v1/incidents/1")
            let steps = detail["steps"] as? [[String: Any]] ?? []
            let accepted = steps.contains { ($0["state"] as? [String: Any])?["accepted"] != nil }
            return accepted && world.rollbackCalls(service: "backend") == 1
        }
    }

    @Test func standbyServesReadsRefusesChangesAndTakesOverMidRollback() async throws {
        try await Self.withReplicas { world, leader, standby in
            let leading = try await leader.api.object("/api/v1/status")
            #expect(leading["leader"] as? Bool == true, "\(leading)")
            let leaderInstance = try #require(leading["instance"] as? String)
            let leaderEpoch = try #require(leading["epoch"] as? Int)

            // The standby: ready, serves reads from the shared state, names the leader, refuses changes.
            let waiting = try await standby.api.object("/api/v1/status")
            #expect(waiting["leader"] as? Bool == false)
            #expect(waiting["leader_instance"] as? String == leaderInstance)
            #expect(try await standby.api.call(.GET, "/api/v1/history").status == 200)
            let refused = try await standby.api.call(
                .POST, "/api/v1/freeze", json: #"{"duration":"1h","reason":"from the standby"}"#)
            #expect(refused.status == 503)
            #expect(refused.body.contains(leaderInstance), "\(refused.body)")

            // A bad deployment: the leader rolls back; it is killed once the platform accepted the call.
            try await Self.rollbackInFlight(world, through: leader)
            leader.daemon.kill(SIGKILL)
            #expect(await leader.daemon.waitForExit() != 0)

            // The standby takes over (the lease lives 3 s) and finishes the incident from the journal.
            try await eventually("the standby leads", within: 15) {
                try await standby.api.object("/api/v1/status")["leader"] as? Bool == true
            }
            let took = try await standby.api.object("/api/v1/status")
            #expect((took["epoch"] as? Int ?? 0) > leaderEpoch)
            try await eventually("the incident completes", within: 40) {
                let detail = try await standby.api.object("/api/v1/incidents/1")
                return (detail["incident"] as? [String: Any])?["status"] as? String == "completed"
            }
            #expect(world.rollbackCalls(service: "backend") == 1, "the platform was called again after the failover")
            #expect(world.live(service: "backend")?.id == "be-v1")
            #expect(
                try await standby.api.call(
                    .POST, "/api/v1/freeze", json: #"{"duration":"1h","reason":"after the failover"}"#
                ).status == 200)

            standby.daemon.kill(SIGTERM)
            #expect(await standby.daemon.waitForExit() == 0, "\(standby.daemon.output.suffix(2000))")
        }
    }

    /// With `server.advertise_url`, a standby sends a change to the leader with a 307 (same path), tells the
    /// dashboard (`Rewind-Redirect: never`) and webhooks 503 naming the leader and its URL, and the CLI follows the
    /// 307 only to a replica listed in REWIND_SERVER.
    @Test func standbyRedirectsChangesToTheLeadersAdvertisedURL() async throws {
        try await Self.withReplicas(advertise: true) { _, leader, standby in
            let leaderInstance = try #require(try await leader.api.object("/api/v1/status")["instance"] as? String)
            let waiting = try await standby.api.object("/api/v1/status")
            #expect(waiting["leader_url"] as? String == leader.api.base, "\(waiting)")

            let freeze = #"{"duration":"1h","reason":"from the standby"}"#
            let moved = try await standby.api.exchange(.POST, "/api/v1/freeze", json: freeze)
            #expect(moved.status == 307, "\(moved.body)")
            #expect(moved.headers.first(name: "Location") == leader.api.base + "/api/v1/freeze")
            #expect(moved.body.contains(leaderInstance), "\(moved.body)")

            let dashboard = try await standby.api.exchange(
                .POST, "/api/v1/freeze", json: freeze, headers: [("Rewind-Redirect", "never")])
            #expect(dashboard.status == 503)
            let problem = try JSONSerialization.jsonObject(with: Data(dashboard.body.utf8)) as? [String: Any]
            let detail = try #require(problem?["detail"] as? String, "\(dashboard.body)")
            #expect(detail.contains(leaderInstance) && detail.contains(leader.api.base), "\(detail)")
            let hook = try await standby.api.call(.POST, "/hooks/alertmanager", json: #"{"alerts":[]}"#)
            #expect(hook.status == 503, "a webhook sender follows no redirect: \(hook.body)")
            #expect(try await leader.api.object("/api/v1/freeze")["frozen"] as? Bool == false)

            // The CLI: the leader's address is not listed, so the token is not sent there.
            let unlisted = try await rewind(
                ["freeze", "set", "--for", "1h", "--reason", "from the CLI"],
                environment: ["REWIND_SERVER": standby.api.base])
            #expect(unlisted.status == 69, "\(unlisted.stderr)")
            #expect(
                unlisted.stderr.contains(leader.api.base) && unlisted.stderr.contains("REWIND_SERVER"),
                "\(unlisted.stderr)")
            #expect(try await leader.api.object("/api/v1/freeze")["frozen"] as? Bool == false)

            // Listed: the CLI follows the 307 to the leader, which freezes.
            let listed = try await rewind(
                ["freeze", "set", "--for", "1h", "--reason", "from the CLI"],
                environment: ["REWIND_SERVER": "\(standby.api.base),\(leader.api.base)"])
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(try await leader.api.object("/api/v1/freeze")["frozen"] as? Bool == true)
        }
    }

    /// A network partition between the leader and PostgreSQL, simulated by pausing the leader past its lease:
    /// the standby takes over and finishes the incident; the old leader, woken, finds itself fenced and stops
    /// without a second action.
    @Test func pausedLeaderWakesFencedAndActsNoMore() async throws {
        try await Self.withReplicas { world, leader, standby in
            try await Self.rollbackInFlight(world, through: leader)
            leader.daemon.kill(SIGSTOP)
            // The lease lives 3 s; a leader paused inside a transaction holds its row locks until PostgreSQL ends
            // the session, 5 s later.
            try await eventually("the standby leads", within: 30) {
                try await standby.api.object("/api/v1/status")["leader"] as? Bool == true
            }
            try await eventually("the incident completes", within: 40) {
                let detail = try await standby.api.object("/api/v1/incidents/1")
                return (detail["incident"] as? [String: Any])?["status"] as? String == "completed"
            }
            leader.daemon.kill(SIGCONT)
            // Its lease ran out while it slept: it stops acting at once (its writes are fenced meanwhile) and exits
            // for a restart.
            let status = await leader.daemon.waitForExit()
            #expect(status != 0, "\(leader.daemon.output.suffix(2000))")
            #expect(
                leader.daemon.output.contains("Rewind stopped acting on this state"),
                "\(leader.daemon.output.suffix(2000))")
            #expect(world.rollbackCalls(service: "backend") == 1, "the old leader called the platform again")
            #expect(try await standby.api.object("/api/v1/status")["leader"] as? Bool == true)
            standby.daemon.kill(SIGTERM)
            #expect(await standby.daemon.waitForExit() == 0)
        }
    }
}
