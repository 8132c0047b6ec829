import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import RewindCore
import RewindSandbox
import RewindTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
    import NIOHTTP1
#endif

/// Who may do what on the daemon's API, who is recorded as having done it, and what the probes
/// and the CLI say about a daemon that cannot act.
@Suite("Daemon: scoped tokens, readiness, the CLI's client", .serialized)
struct AccessTests {
    static let oncall = "it-scope-oncall-0001"
    static let ci = "it-scope-ci-0002"
    static let viewer = "it-scope-viewer-0003"

    @Test func eachTokenDoesWhatItsScopesAllowAndChangesNameIt() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        try await withSandbox { world, endpoints in
            let port = try freeLoopbackPort()
            let config = scratch.file("rewind.yaml")
            // What the configuration's ${…} read, for the daemon and for every CLI run with --config.
            let scopes = ["IT_SCOPE_ONCALL": Self.oncall, "IT_SCOPE_CI": Self.ci, "IT_SCOPE_VIEWER": Self.viewer]
            let tokens = """
                  tokens:
                    - { name: oncall, token: "${IT_SCOPE_ONCALL}", scopes: [read, operate] }
                    - { name: ci, token: "${IT_SCOPE_CI}", scopes: [events] }
                    - { name: viewer, token: "${IT_SCOPE_VIEWER}", scopes: [read] }
                """
            try daemonConfig(endpoints: endpoints, port: port, server: tokens).write(
                toFile: config, atomically: true, encoding: .utf8)
            try await seedKnownGood(statePath: scratch.file("state.db"))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { client.shutdown { _ in } }
            let api = API(client: client, base: "http://127.0.0.1:\(port)")
            let daemon = try await DaemonProcess(config: config, log: scratch.file("daemon.log"), environment: scopes)
            try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }

            // Reads need a token with `read`; the probes and /metrics need none.
            #expect(try await api.call(.GET, "/api/v1/status").status == 401)
            #expect(try await api.call(.GET, "/api/v1/status", token: Self.viewer).status == 200)
            let forbidden = try await api.call(.GET, "/api/v1/status", token: Self.ci)
            #expect(forbidden.status == 403)
            #expect(forbidden.body.contains("token ci lacks the 'read' scope"))
            #expect(try await api.call(.GET, "/readyz").status == 200)
            #expect(try await api.call(.GET, "/metrics").status == 200)
            let version = try await api.call(.GET, "/api/v1/version", token: Self.viewer)
            #expect(version.status == 200)
            #expect(version.body.contains(#""version":"\#(RewindVersion.current)""#), "\(version.body)")

            // `events` pushes events and alerts, and nothing else.
            let event = #"{"events":[{"service":"worker","signal":"queue","value":3}]}"#
            #expect(try await api.call(.POST, "/api/v1/events", json: event, token: Self.ci).status == 202)
            #expect(try await api.call(.POST, "/api/v1/events", json: event, token: Self.viewer).status == 403)
            let resolved = IntakeTests.alertmanagerPayload(
                status: "resolved", service: "worker", category: "errors", severity: "high", name: "Q")
            #expect(try await api.call(.POST, "/hooks/alertmanager", json: resolved, token: Self.ci).status == 200)
            #expect(try await api.call(.POST, "/hooks/alertmanager", json: resolved, token: Self.viewer).status == 401)
            let freeze = #"{"duration":"1h","reason":"release review"}"#
            #expect(try await api.call(.POST, "/api/v1/freeze", json: freeze, token: Self.ci).status == 403)
            #expect(try await api.call(.POST, "/api/v1/freeze", json: freeze, token: Self.viewer).status == 403)
            #expect(
                try await api.call(
                    .POST, "/api/v1/rollbacks", json: #"{"service":"backend","reason":"x"}"#, token: Self.ci
                ).status == 403)

            // `operate` changes state, and every change names the token.
            #expect(try await api.call(.POST, "/api/v1/freeze", json: freeze, token: Self.oncall).status == 200)
            let gate = try await rewind(
                ["freeze", "status", "--config", config],
                environment: scopes.merging(["REWIND_TOKEN": Self.viewer]) { $1 })
            #expect(gate.status == 3, "\(gate.stderr)")
            #expect(gate.stdout.contains("release review (set by token oncall)"))
            let refused = try await rewind(
                ["unfreeze", "--config", config], environment: scopes.merging(["REWIND_TOKEN": Self.viewer]) { $1 })
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("token viewer lacks the 'operate' scope"))
            #expect(
                try await rewind(["unfreeze", "--config", config], environment: scopes).status == 0,
                "the CLI picks the configured token with `operate`")

            world.deploy(service: "backend", SandboxDeployment(id: "be-v2", version: "v2"))
            let record = #"{"service":"backend","id":"be-v2","version":"v2"}"#
            #expect(try await api.call(.POST, "/api/v1/deployments", json: record, token: Self.oncall).status == 201)
            let rollback = try await api.call(
                .POST, "/api/v1/rollbacks", json: #"{"service":"backend","reason":"bad release","wait":true}"#,
                token: Self.oncall)
            #expect(rollback.status == 200, "\(rollback.body)")
            #expect(world.live(service: "backend")?.id == "be-v1")
            let history = try await rewind(["history", "--config", config], environment: scopes)
            #expect(history.stdout.contains("manual rollback by token oncall"), "\(history.stdout)\(history.stderr)")
            // The manual rollback's own incident (a slow machine may have opened another before it).
            let incidentID =
                (try JSONSerialization.jsonObject(with: Data(rollback.body.utf8)) as? [String: Any])?["id"] as? Int ?? 1
            let shown = try await rewind(
                ["incidents", "show", "\(incidentID)", "--config", config], environment: scopes)
            #expect(shown.stdout.contains("manual rollback requested by token oncall: bad release"), "\(shown.stdout)")
            let ack = try await api.call(
                .POST, "/api/v1/incidents/\(incidentID)/ack", json: #"{"by":"dana"}"#, token: Self.oncall)
            #expect(ack.status == 200)
            #expect(ack.body.contains("dana via token oncall"))
            for secret in [Self.oncall, Self.ci, Self.viewer] { #expect(!daemon.output.contains(secret)) }

            daemon.kill(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            try await client.shutdown()
        }
    }

    @Test func aDaemonWaitingForTheLeaseIsAliveButNotReady() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        try await withSandbox { _, endpoints in
            let (portA, portB) = (try freeLoopbackPort(), try freeLoopbackPort())
            try daemonConfig(endpoints: endpoints, port: portA).write(
                toFile: scratch.file("a.yaml"), atomically: true, encoding: .utf8)
            try daemonConfig(endpoints: endpoints, port: portB).write(
                toFile: scratch.file("b.yaml"), atomically: true, encoding: .utf8)
            try await seedKnownGood(statePath: scratch.file("state.db"))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { client.shutdown { _ in } }
            let a = API(client: client, base: "http://127.0.0.1:\(portA)")
            let b = API(client: client, base: "http://127.0.0.1:\(portB)")
            let first = try await DaemonProcess(config: scratch.file("a.yaml"), log: scratch.file("a.log"))
            try await eventually("the first daemon is ready", within: 30) {
                try await a.call(.GET, "/readyz").status == 200
            }
            let ready = try await a.object("/readyz")
            #expect(ready["leader"] as? Bool == true)
            #expect(ready["epoch"] != nil)

            let second = try await DaemonProcess(config: scratch.file("b.yaml"), log: scratch.file("b.log"))
            try await eventually("the second daemon answers /healthz", within: 30) { await b.isUp() }
            let waiting = try await b.call(.GET, "/readyz")
            #expect(waiting.status == 503)
            #expect(waiting.body.contains("waiting for the writer lease"), "\(waiting.body)")
            let alive = try await b.object("/healthz")
            #expect(alive["ready"] as? Bool == false)
            #expect(alive["stopped"] as? Bool == false)
            #expect(try await a.call(.GET, "/readyz").status == 200)

            // The first stops and releases the lease: the second takes over.
            first.kill(SIGTERM)
            #expect(await first.waitForExit() == 0)
            try await eventually("the second daemon becomes ready", within: 40) {
                try await b.call(.GET, "/readyz").status == 200
            }

            second.kill(SIGTERM)
            #expect(await second.waitForExit() == 0)
            try await client.shutdown()
        }
    }

    /// Something at the daemon's address answers with a redirect to another origin: the CLI
    /// follows none, says where it was sent, and the other origin never sees a request (nor the token).
    @Test func theCLIFollowsNoRedirectAndSendsItsTokenNowhereElse() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let (daemonPort, otherPort) = (try freeLoopbackPort(), try freeLoopbackPort())
        final class Seen: Sendable {
            let requests = Mutex<[String]>([])
        }
        let seen = Seen()
        let other = Router()
        other.get("**") { request, _ -> String in
            seen.requests.withLock { $0.append(request.headers[.authorization] ?? "no token") }
            return "{}"
        }
        let redirecting = Router()
        redirecting.get("healthz") { _, _ in "ok" }
        redirecting.get("readyz") { _, _ in "ok" }
        redirecting.get("api/v1/status") { _, _ in
            Response(status: .found, headers: [.location: "http://127.0.0.1:\(otherPort)/api/v1/status"])
        }
        redirecting.get("api/v1/freeze") { _, _ in
            Response(status: .found, headers: [.location: "http://127.0.0.1:\(otherPort)/api/v1/freeze"])
        }
        var quiet = Logger(label: "it.redirect")
        quiet.logLevel = .critical
        let apps = [
            Application(
                router: redirecting, configuration: .init(address: .hostname("127.0.0.1", port: daemonPort)),
                logger: quiet),
            Application(
                router: other, configuration: .init(address: .hostname("127.0.0.1", port: otherPort)), logger: quiet),
        ]
        let config = scratch.file("rewind.yaml")
        try """
        state: state.db
        server: { listen: 127.0.0.1:\(daemonPort), token: "${IT_REDIRECT_TOKEN}" }
        services:
          backend:
            checks: [{ name: health, url: "http://127.0.0.1:1/health" }]
            provider: { type: command, rollback: [true] }

        """.write(toFile: config, atomically: true, encoding: .utf8)
        let env = ["IT_REDIRECT_TOKEN": "it-redirect-token-9999"]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for app in apps { group.addTask { [quiet] in try await runStoppingGracefully(app, logger: quiet) } }
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { client.shutdown { _ in } }
            try await eventually("the redirecting server answers", within: 10) {
                try await API(client: client, base: "http://127.0.0.1:\(daemonPort)").call(.GET, "/healthz").status
                    == 200
            }
            let status = try await rewind(["status", "--config", config], environment: env)
            // Not a standby's 307 to a listed replica: the CLI says where it was pointed and stops (unavailable).
            #expect(status.status == 69)
            #expect(status.stderr.contains("redirecting to http://127.0.0.1:\(otherPort)"), "\(status.stderr)")
            #expect(status.stderr.contains("follows only a standby's 307"), "\(status.stderr)")
            let gate = try await rewind(["freeze", "status", "--config", config], environment: env)
            #expect(
                gate.status == 4,
                "a gate that cannot ask the daemon must not say deployments are allowed: \(gate.stdout)")
            #expect(gate.stderr.contains("cannot tell"))
            #expect(seen.requests.withLock { $0 } == [], "the other origin was called")
            try await client.shutdown()
            group.cancelAll()
        }
    }
}
