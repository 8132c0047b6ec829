import AsyncHTTPClient
import Foundation
import RewindSandbox
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import NIOHTTP1
#endif

/// `rewind serve` taking Alertmanager webhooks and pushed events over HTTP.
@Suite("Daemon: Alertmanager webhook and pushed events", .serialized)
struct IntakeTests {
    /// What the configuration's ${…} read, for the daemon and the CLI.
    static let variables = ["IT_TOKEN": "it-secret-token-1234", "IT_ALERT_TOKEN": "it-alert-token-5678"]

    static func alertmanagerPayload(
        status: String, service: String, category: String, severity: String, name: String
    ) -> String {
        """
        {"version":"4","groupKey":"{}:{alertname=\\"\(name)\\"}","truncatedAlerts":0,"status":"\(status)","receiver":"rewind",
         "groupLabels":{"alertname":"\(name)"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://127.0.0.1:9093",
         "alerts":[{"status":"\(status)","labels":{"alertname":"\(name)","service":"\(service)","category":"\(category)","severity":"\(severity)"},
           "annotations":{"summary":"\(name) on \(service)"},"startsAt":"2026-11-27T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",
           "generatorURL":"http://127.0.0.1:9090/graph","fingerprint":"f00dfeed"}]}
        """
    }

    @Test func alertmanagerSecurityAlertRollsBackAndMalformedBodiesGetTheReason() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        try await withSandbox { world, endpoints in
            let port = try freeLoopbackPort()
            let config = scratch.file("rewind.yaml")
            let monitoring = """
                monitoring:
                  alertmanager:
                    token: ${IT_ALERT_TOKEN}
                """
            try daemonConfig(endpoints: endpoints, port: port, token: "it-secret-token-1234", extra: monitoring)
                .write(toFile: config, atomically: true, encoding: .utf8)
            try await seedKnownGood(statePath: scratch.file("state.db"))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            // However the test ends: a client dropped without shutdown stops the whole test process.
            defer { client.shutdown { _ in } }
            var api = API(client: client, base: "http://127.0.0.1:\(port)")
            let daemon = try await DaemonProcess(
                config: config, log: scratch.file("daemon.log"),
                environment: Self.variables)
            try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }

            // A suspect v2 of backend is live.
            api.token = "it-secret-token-1234"
            world.deploy(service: "backend", SandboxDeployment(id: "be-v2", version: "v2"))
            #expect(
                try await api.call(
                    .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"be-v2","version":"v2"}"#
                ).status == 201)

            // Credentials: the alert token or the API token; anything else is refused.
            let firing = Self.alertmanagerPayload(
                status: "firing", service: "backend", category: "security", severity: "critical",
                name: "BreachIndicator")
            #expect(try await api.call(.POST, "/hooks/alertmanager", json: firing, token: "wrong").status == 401)

            // Malformed bodies: a 400 with the exact reason, logged with the reason.
            let notJSON = try await api.call(
                .POST, "/hooks/alertmanager", json: "{not json", token: "it-alert-token-5678")
            #expect(notJSON.status == 400)
            let wrongVersion = try await api.call(
                .POST, "/hooks/alertmanager", json: #"{"version":"3","alerts":[]}"#, token: "it-alert-token-5678")
            #expect(wrongVersion.status == 400)
            #expect(wrongVersion.body.contains("version"))
            let badTime = firing.replacingOccurrences(of: "2026-11-27T10:00:00Z", with: "yesterday")
            let badAlert = try await api.call(.POST, "/hooks/alertmanager", json: badTime, token: "it-alert-token-5678")
            #expect(badAlert.status == 400)
            #expect(badAlert.body.contains("alerts[0].startsAt"))
            try await eventually("the rejection is logged", within: 5) {
                daemon.output.contains("rejected an intake body")
            }

            // The real alert: an immediate rollback of backend.
            let accepted = try await api.call(.POST, "/hooks/alertmanager", json: firing, token: "it-alert-token-5678")
            #expect(accepted.status == 200, "\(accepted.body)")
            #expect(accepted.body.contains(#""accepted":1"#))
            try await eventually("backend is rolled back to v1", within: 30) {
                world.live(service: "backend")?.id == "be-v1"
            }
            // Alertmanager repeats the group: no second rollback.
            #expect(
                try await api.call(.POST, "/hooks/alertmanager", json: firing, token: "it-alert-token-5678").status
                    == 200)
            let shown = try await rewind(
                ["incidents", "show", "1", "--config", config], environment: Self.variables)
            #expect(shown.stdout.contains("BreachIndicator"))
            #expect(shown.stdout.contains("security"))
            try await eventually("the incident closes", within: 30) {
                let history = try await rewind(
                    ["history", "--config", config], environment: Self.variables)
                return history.stdout.contains("completed")
            }
            #expect(world.rollbackCalls(service: "backend") == 1)
            let freeze = try await rewind(
                ["freeze", "status", "--config", config], environment: Self.variables)
            #expect(freeze.status == 3, "a security rollback freezes deployments: \(freeze.stdout)")

            // Pushed events: authenticated, validated, limited.
            #expect(try await api.call(.POST, "/api/v1/events", json: #"{"events":[]}"#, token: "wrong").status == 401)
            let pushed = try await api.call(
                .POST, "/api/v1/events", json: #"{"events":[{"service":"worker","signal":"queue","value":12}]}"#)
            #expect(pushed.status == 202, "\(pushed.body)")
            let unknown = try await api.call(
                .POST, "/api/v1/events", json: #"{"events":[{"service":"nope","signal":"queue","value":12}]}"#)
            #expect(unknown.status == 422)
            #expect(unknown.body.contains("unknown service nope"))
            let notFinite = try await api.call(
                .POST, "/api/v1/events", json: #"{"events":[{"service":"worker","signal":"queue","value":"many"}]}"#)
            #expect(notFinite.status == 400)
            #expect(notFinite.body.contains("events[0].value"))
            #expect(!daemon.output.contains("it-alert-token-5678"), "the alert token leaked into the daemon's log")

            daemon.kill(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            try await client.shutdown()
        }
    }
}
