import AsyncHTTPClient
import Foundation
import RewindSandbox
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import NIOHTTP1
#endif

/// `rewind serve` on SIGHUP, as an operator uses it: the file is edited, the daemon is sent a
/// hangup, and the running daemon takes the new policy (or keeps the old one when the file is bad)
/// without letting go of what it is doing.
@Suite(.serialized)
struct ReloadTests {
    @Test func sighupAppliesAValidFileAndKeepsThePolicyWhenTheFileIsBroken() async throws {
        let scratch = try TemporaryDirectory("reload")
        defer { scratch.remove() }
        try await withSandbox(rollbackDuration: .seconds(4)) { world, endpoints in
            let port = try freeLoopbackPort()
            let config = scratch.file("rewind.yaml")
            try daemonConfig(endpoints: endpoints, port: port).write(toFile: config, atomically: true, encoding: .utf8)
            try await seedKnownGood(statePath: scratch.file("state.db"))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { client.shutdown { _ in } }
            let api = API(client: client, base: "http://127.0.0.1:\(port)")
            let daemon = try await DaemonProcess(config: config, log: scratch.file("daemon.log"))
            // However the test ends: a daemon left running would probe ports other tests reuse.
            defer { daemon.kill(SIGKILL) }
            try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }
            let started = try await configStatus(api)
            #expect((started["sha256"] as? String)?.count == 64)
            #expect(started["last_reload"] == nil)

            // An incident in flight: a rollback the platform takes 4 s to finish.
            world.deploy(
                service: "backend", SandboxDeployment(id: "be-v2", version: "v2", behavior: .failing(status: 500)))
            let recorded = try await api.call(
                .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"be-v2","version":"v2"}"#)
            #expect(recorded.status == 201)
            try await eventually("the rollback is accepted by the platform", within: 30) {
                world.rollbackCalls(service: "backend") == 1
            }

            // A valid file: frontend is added, and `state:` (restart-only) is changed.
            let frontend = """
                  frontend:
                    checks:
                      - { name: home, url: "\(endpoints.services["frontend"]!)/health" }
                    provider: { type: command, rollback: ["true"] }
                """
            let edited = daemonConfig(endpoints: endpoints, port: port)
                .replacingOccurrences(of: "state: state.db", with: "state: elsewhere.db")
                .replacingOccurrences(of: "services:\n", with: "services:\n\(frontend)\n")
            try edited.write(toFile: config, atomically: true, encoding: .utf8)
            daemon.kill(SIGHUP)
            try await eventually("frontend is watched after the reload", within: 30) {
                let services = try await api.object("/api/v1/status")["services"] as? [[String: Any]] ?? []
                let row = services.first { $0["service"] as? String == "frontend" }
                let checks = row?["checks"] as? [[String: Any]] ?? []
                return checks.contains { $0["check"] as? String == "home" && $0["lastAt"] != nil }
            }
            let applied = try await configStatus(api)
            #expect((applied["last_reload"] as? [String: Any])?["outcome"] as? String == "applied")
            #expect(applied["sha256"] as? String != started["sha256"] as? String)
            #expect(applied["restart_required"] as? [String] == ["state"])
            #expect(daemon.output.contains("state changed in the configuration file"))

            // The incident opened before the reload runs to its end, with one call to the platform,
            // and the state stays where it was (the incident is read back from state.db).
            try await eventually("the incident completes", within: 40) {
                let detail = try await api.object("/api/v1/incidents/1")
                return (detail["incident"] as? [String: Any])?["status"] as? String == "completed"
            }
            #expect(world.rollbackCalls(service: "backend") == 1)
            #expect(!FileManager.default.fileExists(atPath: scratch.file("elsewhere.db")))

            // A broken file: the reload is refused with file:line: path: message, and frontend stays.
            try edited.replacingOccurrences(of: "interval: 500ms", with: "interval: soon")
                .write(toFile: config, atomically: true, encoding: .utf8)
            daemon.kill(SIGHUP)
            try await eventually("the broken file is reported", within: 30) {
                let status = try await configStatus(api)
                return (status["last_reload"] as? [String: Any])?["outcome"] as? String == "invalid"
            }
            let refused = try await configStatus(api)
            let problems = (refused["last_reload"] as? [String: Any])?["problems"] as? [String] ?? []
            #expect(problems.contains { $0.hasPrefix("\(config):") && $0.contains("health.interval") })
            #expect(refused["sha256"] as? String == applied["sha256"] as? String)
            let services = try await api.object("/api/v1/status")["services"] as? [[String: Any]] ?? []
            #expect(services.compactMap { $0["service"] as? String }.sorted() == ["backend", "frontend", "worker"])
            #expect(daemon.output.contains("configuration not reloaded; the running policy stays"))
            #expect(daemon.output.contains("health.interval"))

            let metrics = try await api.call(.GET, "/metrics").body
            #expect(metrics.contains(#"rewind_config_reloads_total{outcome="applied"} 1"#))
            #expect(metrics.contains(#"rewind_config_reloads_total{outcome="invalid"} 1"#))
            #expect(metrics.contains("rewind_config_last_reload_success_timestamp_seconds"))
            #expect(await api.isUp(), "the daemon still holds the writer lease")

            daemon.kill(SIGTERM)
            #expect(await daemon.waitForExit() == 0, "graceful shutdown exits 0: \(daemon.output.suffix(2000))")
            try await client.shutdown()
        }
    }

    private func configStatus(_ api: API) async throws -> [String: Any] {
        try await api.object("/api/v1/status")["config"] as? [String: Any] ?? [:]
    }
}
