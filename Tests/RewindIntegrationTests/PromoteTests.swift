import AsyncHTTPClient
import Foundation
import RewindCore
import RewindSandbox
import RewindStoreSQLite
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import NIOHTTP1
    import RewindPorts
#endif

/// `rewind promote` as a user runs it: through the daemon's API with an `operate` token, and without
/// a daemon in a one-shot engine; the traffic is a real flagd flag file.
@Suite("CLI: promote a contained gradual rollout", .serialized)
struct PromoteTests {
    /// checkout-v2 splits backend's traffic 50/50 between the new version (`on`) and stable (`off`).
    static let flagFile = """
        {
          "flags": {
            "checkout-v2": {
              "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
              "targeting": { "fractional": [ { "var": "targetingKey" }, ["on", 50], ["off", 50] ] }
            }
          }
        }
        """

    static func config(endpoints: SandboxEndpoints, port: Int, flags: String) -> String {
        let provider = """
                provider:
                  type: http
                  rollback:
                    url: \(endpoints.platform)/v1/services/{{service}}/rollback
                    body: { deployment: "{{target.id}}" }
                    expect: [202]
                  current: { url: "\(endpoints.platform)/v1/services/{{service}}/current", field: id }
            """
        return """
            state: state.db
            server:
              listen: 127.0.0.1:\(port)
              tokens:
                - { name: oncall, token: "${IT_OPERATE_TOKEN}", scopes: [read, operate] }
                - { name: viewer, token: "${IT_READ_TOKEN}", scopes: [read] }
            health: { interval: 500ms, timeout: 5s, confirm_interval: 100ms }
            notifications: { console: true }
            services:
              backend:
                checks:
                  - { name: health, url: "\(endpoints.services["backend"]!)/health" }
                traffic: { type: flagd, file: \(flags), flag: checkout-v2 }
            \(provider)
              worker:
                checks:
                  - { name: health, url: "\(endpoints.services["worker"]!)/health", severity: non-critical }
            \(provider)

            """
    }

    /// The record a contained gradual incident leaves: backend's v2 live at half the traffic, the
    /// incident completed with its promote-or-roll-back task open.
    static func seedContained(_ path: String) async throws -> Int64 {
        let store = try SQLiteStore(path: path)
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        let v1 = Deployment(
            service: "backend", id: "be-v1", version: "v1", deployedAt: now - .seconds(7200), trust: .knownGood,
            knownGoodAt: now - .seconds(3600))
        let v2 = Deployment(
            service: "backend", id: "be-v2", version: "v2", deployedAt: now - .seconds(900), trust: .bad)
        try await store.recordDeployment(v1, makeLive: false)
        try await store.recordDeployment(v2, makeLive: true)
        let cut = PlanStep(
            id: "reduce-traffic-backend", service: "backend", from: v2, to: v1, action: .reduceTraffic(by: 0.5),
            timeout: .seconds(60), dependsOn: [])
        let incident = try await store.createIncident(
            Incident(
                id: 0, openedAt: now - .seconds(600), closedAt: now - .seconds(60), services: ["backend"],
                trigger: .business,
                severity: .high, strategy: .gradual, status: .completed, summary: "backend: conversion_rate",
                plan: Plan(strategy: .gradual, steps: [cut], freeze: nil)))
        try await store.addTasks(
            PostRollbackWork.tasks(
                incidentID: incident.id, at: now - .seconds(60), postMortemWithin: .seconds(86_400), strategy: .gradual,
                contained: true))
        return incident.id
    }

    static func newVersionWeight(_ file: String) throws -> Int? {
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
        let flag = (json?["flags"] as? [String: Any])?["checkout-v2"] as? [String: Any]
        let rule = (flag?["targeting"] as? [String: Any])?["fractional"] as? [Any]
        for case let pair as [Any] in rule ?? [] where pair.first as? String == "on" {
            return (pair.last as? NSNumber)?.intValue
        }
        return nil
    }

    @Test func promoteThroughTheDaemon() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        try await withSandbox { world, endpoints in
            let port = try freeLoopbackPort()
            let flags = scratch.file("flags.json")
            try Self.flagFile.write(toFile: flags, atomically: true, encoding: .utf8)
            let config = scratch.file("rewind.yaml")
            try Self.config(endpoints: endpoints, port: port, flags: flags).write(
                toFile: config, atomically: true, encoding: .utf8)
            world.deploy(service: "backend", SandboxDeployment(id: "be-v2", version: "v2"))
            let incidentID = try await Self.seedContained(scratch.file("state.db"))
            let environment = [
                "IT_OPERATE_TOKEN": "operate-token-1234567890abcdef", "IT_READ_TOKEN": "read-token-1234567890abcdef",
            ]

            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { client.shutdown { _ in } }
            let api = API(client: client, base: "http://127.0.0.1:\(port)")
            let daemon = try await DaemonProcess(
                config: config, log: scratch.file("daemon.log"), environment: environment)
            try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }

            // The API: a read-only token may not promote; an unknown service is 404; a body without service is 400.
            let viewer = try await api.call(
                .POST, "/api/v1/promotions", json: #"{"service":"backend"}"#, token: environment["IT_READ_TOKEN"])
            #expect(viewer.status == 403, "\(viewer.body)")
            let unknown = try await api.call(
                .POST, "/api/v1/promotions", json: #"{"service":"billing"}"#, token: environment["IT_OPERATE_TOKEN"])
            #expect(unknown.status == 404, "\(unknown.body)")
            let malformed = try await api.call(
                .POST, "/api/v1/promotions", json: #"{}"#, token: environment["IT_OPERATE_TOKEN"])
            #expect(malformed.status == 400, "\(malformed.body)")
            let nothing = try await runRewindAwaiting(
                ["promote", "worker", "--config", config], environment: environment)
            #expect(nothing.status == 1)
            #expect(nothing.stderr.contains("nothing to promote: no gradual rollout of worker"), "\(nothing.stderr)")
            #expect(try Self.newVersionWeight(flags) == 50)

            let promoted = try await runRewindAwaiting(
                ["promote", "backend", "--config", config], environment: environment)
            #expect(promoted.status == 0, "\(promoted.stdout)\(promoted.stderr)")
            #expect(
                promoted.stdout.contains("backend: v2 (be-v2) now has all the traffic (incident #\(incidentID))"),
                "\(promoted.stdout)")
            #expect(try Self.newVersionWeight(flags) == 100)
            #expect(world.rollbackCalls(service: "backend") == 0)

            let tasks = try await api.call(
                .GET, "/api/v1/incidents/\(incidentID)/tasks", token: environment["IT_READ_TOKEN"])
            #expect(tasks.body.contains(#""id":"remediation.promote_or_roll_back""#))
            let shown = try await runRewindAwaiting(
                ["incidents", "show", "\(incidentID)", "--config", config], environment: environment)
            #expect(shown.stdout.contains("promote requested by token oncall"), "\(shown.stdout)")
            #expect(shown.stdout.contains("promote-backend"), "\(shown.stdout)")

            let again = try await runRewindAwaiting(
                ["promote", "backend", "--config", config], environment: environment)
            #expect(again.status == 1)
            #expect(again.stderr.contains("nothing to promote"), "\(again.stderr)")

            daemon.kill(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            try await client.shutdown()
        }
    }

    @Test func promoteWithoutADaemon() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        try await withSandbox { world, endpoints in
            let flags = scratch.file("flags.json")
            try Self.flagFile.write(toFile: flags, atomically: true, encoding: .utf8)
            let config = scratch.file("rewind.yaml")
            try Self.config(endpoints: endpoints, port: try freeLoopbackPort(), flags: flags).write(
                toFile: config, atomically: true, encoding: .utf8)
            world.deploy(service: "backend", SandboxDeployment(id: "be-v2", version: "v2"))
            let incidentID = try await Self.seedContained(scratch.file("state.db"))
            let environment = [
                "IT_OPERATE_TOKEN": "operate-token-1234567890abcdef", "IT_READ_TOKEN": "read-token-1234567890abcdef",
            ]

            let promoted = try await runRewindAwaiting(
                ["promote", "backend", "--config", config, "--output", "json"], environment: environment)
            #expect(promoted.status == 0, "\(promoted.stdout)\(promoted.stderr)")
            let result = try #require(
                try JSONSerialization.jsonObject(with: Data(promoted.stdout.utf8)) as? [String: Any])
            #expect(result["incident_id"] as? Int == Int(incidentID))
            #expect((result["task"] as? [String: Any])?["state"] as? String == "done")
            #expect(try Self.newVersionWeight(flags) == 100)
            let store = try SQLiteStore.openExisting(path: scratch.file("state.db"))
            let task = try await store.tasks(incidentID: incidentID).first {
                $0.id == PostRollbackWork.promoteOrRollBack
            }
            #expect(task?.state == .done)
            #expect(task?.note?.hasPrefix("promoted by cli user") == true)
            #expect(try await store.steps(incidentID: incidentID).contains { $0.stepID == "promote-backend" })
        }
    }
}
