import AsyncHTTPClient
import Foundation
import RewindCore
import RewindSandbox
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import NIOHTTP1
#endif

/// The daemon as a user runs it: `rewind serve` in its own process, against the sandbox on loopback.
@Suite(.serialized)
struct DaemonTests {
    /// SIGKILL in the middle of a rollback: the restarted daemon finishes the incident from its
    /// journal without a second rollback call to the platform.
    @Test func restartAfterSIGKILLFinishesTheIncidentWithoutASecondRollback() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        try await withSandbox(rollbackDuration: .seconds(4)) { world, endpoints in
            let port = try freeLoopbackPort()
            try daemonConfig(endpoints: endpoints, port: port).write(
                toFile: scratch.file("rewind.yaml"), atomically: true, encoding: .utf8)
            try await seedKnownGood(statePath: scratch.file("state.db"))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            // However the test ends: a client dropped without shutdown stops the whole test process.
            defer { client.shutdown { _ in } }
            let api = API(client: client, base: "http://127.0.0.1:\(port)")

            var daemon = try await DaemonProcess(config: scratch.file("rewind.yaml"), log: scratch.file("daemon-1.log"))
            try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }

            world.deploy(
                service: "backend", SandboxDeployment(id: "be-v2", version: "v2", behavior: .failing(status: 500)))
            let recorded = try await api.call(
                .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"be-v2","version":"v2"}"#)
            #expect(recorded.status == 201)

            // Wait until the platform has accepted the rollback and the journal says so.
            try await eventually("the rollback is accepted and journaled", within: 30) {
                let detail = try await api.object("/api/v1/incidents/1")
                let steps = detail["steps"] as? [[String: Any]] ?? []
                let accepted = steps.contains { ($0["state"] as? [String: Any])?["accepted"] != nil }
                return accepted && world.rollbackCalls(service: "backend") == 1
            }
            daemon.kill(SIGKILL)
            #expect(await daemon.waitForExit() != 0)
            #expect(world.rollbackCalls(service: "backend") == 1)

            daemon = try await DaemonProcess(config: scratch.file("rewind.yaml"), log: scratch.file("daemon-2.log"))
            try await eventually("the restarted daemon answers", within: 30) { await api.isUp() }
            try await eventually("the incident completes", within: 40) {
                let detail = try await api.object("/api/v1/incidents/1")
                return (detail["incident"] as? [String: Any])?["status"] as? String == "completed"
            }
            #expect(world.rollbackCalls(service: "backend") == 1, "the platform was called again after the restart")
            #expect(world.live(service: "backend")?.id == "be-v1")
            let timeline = try await api.call(.GET, "/api/v1/incidents/1").body
            #expect(timeline.contains("resumed"))
            #expect(timeline.contains("not calling the platform again"))

            daemon.kill(SIGTERM)
            #expect(await daemon.waitForExit() == 0, "graceful shutdown exits 0: \(daemon.output.suffix(2000))")
            try await client.shutdown()
        }
    }

    /// The API refuses changes without the token, rejects malformed JSON with a reason, and a
    /// manual rollback from the CLI goes through the daemon and completes with verification.
    @Test func apiAuthMalformedInputAndManualRollbackThroughTheCLI() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        try await withSandbox { world, endpoints in
            let port = try freeLoopbackPort()
            let config = scratch.file("rewind.yaml")
            try daemonConfig(endpoints: endpoints, port: port, token: "it-secret-token-1234").write(
                toFile: config, atomically: true, encoding: .utf8)
            try await seedKnownGood(statePath: scratch.file("state.db"))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            // However the test ends: a client dropped without shutdown stops the whole test process.
            defer { client.shutdown { _ in } }
            var api = API(client: client, base: "http://127.0.0.1:\(port)")
            let daemon = try await DaemonProcess(
                config: config, log: scratch.file("daemon.log"), environment: ["IT_TOKEN": "it-secret-token-1234"])
            try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }

            let unauthorized = try await api.call(
                .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"x"}"#)
            #expect(unauthorized.status == 401)
            api.token = "it-secret-token-1234"
            let malformed = try await api.call(.POST, "/api/v1/deployments", json: #"{"service":"backend""#)
            #expect(malformed.status == 400)
            #expect(malformed.body.contains("malformed JSON"))
            let missing = try await api.call(.POST, "/api/v1/deployments", json: #"{"service":"backend"}"#)
            #expect(missing.status == 400)
            #expect(missing.body.contains("id"))
            let unknown = try await api.call(.POST, "/api/v1/deployments", json: #"{"service":"nope","id":"x"}"#)
            #expect(unknown.status == 422)
            // Ids and versions reach providers' command lines: one a command would read as an option, or
            // one that climbs a path, is refused with the rule.
            let option = try await api.call(
                .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"-rf","version":"v2"}"#)
            #expect(option.status == 400)
            #expect(option.body.contains("starts with '-'"), "\(option.body)")
            let climbing = try await api.call(
                .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"be-v3","version":"../../etc"}"#)
            #expect(climbing.status == 400)
            #expect(climbing.body.contains("'..'"), "\(climbing.body)")

            // A good v2 goes live, then an operator rolls it back by hand.
            world.deploy(service: "backend", SandboxDeployment(id: "be-v2", version: "v2"))
            #expect(
                try await api.call(
                    .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"be-v2","version":"v2"}"#
                ).status == 201)
            let result = try await rewind(
                ["rollback", "backend", "--reason", "bad migration", "--config", config, "--output", "json"],
                environment: ["IT_TOKEN": "it-secret-token-1234"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("\"completed\""))
            #expect(world.live(service: "backend")?.id == "be-v1")
            #expect(world.rollbackCalls(service: "backend") == 1)

            let status = try await rewind(
                ["status", "--config", config, "--output", "json"], environment: ["IT_TOKEN": "it-secret-token-1234"])
            #expect(status.status == 0)
            #expect(status.stdout.contains("\"daemon\" : true"))
            let shown = try await rewind(
                ["incidents", "show", "1", "--config", config], environment: ["IT_TOKEN": "it-secret-token-1234"])
            #expect(shown.stdout.contains("bad migration"))
            #expect(shown.stdout.contains("verification"))
            #expect(!daemon.output.contains("it-secret-token-1234"), "the token leaked into the daemon's log")

            // The record: tasks, a report with its chart, and PagerDuty's acknowledge path.
            let env = ["IT_TOKEN": "it-secret-token-1234"]
            let tasks = try await rewind(["incidents", "tasks", "1", "--config", config], environment: env)
            #expect(tasks.stdout.contains("investigation.analyze_logs"))
            #expect(
                try await rewind(
                    ["incidents", "task", "1", "investigation.analyze_logs", "--state", "done", "--config", config],
                    environment: env
                ).status == 0)
            let html = scratch.file("incident-1.html")
            #expect(
                try await rewind(
                    ["incidents", "report", "1", "--format", "html", "--out", html, "--config", config],
                    environment: env
                ).status == 0)
            let page = try String(contentsOfFile: html, encoding: .utf8)
            #expect(page.contains("<svg") && page.contains("Post-rollback work") && page.contains("bad migration"))
            let hook =
                #"{"event":{"event_type":"incident.acknowledged","agent":{"summary":"Dana Ops"},"data":{"incident_key":"rewind/incident/1"}}}"#
            #expect(try await api.call(.POST, "/hooks/pagerduty", json: hook, token: "wrong").status == 401)
            let acked = try await api.call(.POST, "/hooks/pagerduty", json: hook)
            #expect(acked.status == 200, "\(acked.body)")
            #expect(acked.body.contains("PagerDuty"))
            let again = try await rewind(
                ["incidents", "ack", "1", "--by", "ops", "--config", config], environment: env)
            #expect(again.status == 1)
            #expect(again.stderr.contains("was acknowledged by Dana Ops (PagerDuty)"))
            let malformedHook = try await api.call(.POST, "/hooks/pagerduty", json: #"{"event":{}}"#)
            #expect(malformedHook.status == 400)

            daemon.kill(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            try await client.shutdown()
        }
    }
}
