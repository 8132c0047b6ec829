import AsyncHTTPClient
import Foundation
import RewindSandbox
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import NIOHTTP1
#endif

/// The CLI from anywhere: `--server URL` / `REWIND_SERVER` with `REWIND_TOKEN`, no policy file, no secrets.
@Suite(.serialized)
struct RemoteCLITests {
    /// The token every daemon of the integration tests takes from IT_TOKEN (the variable is the process's, shared
    /// by tests running in parallel, so they all set the same value).
    static let token = "it-secret-token-1234"

    @Test func readsAndChangesThroughTheDaemonWithNoPolicy() async throws {
        let scratch = try TemporaryDirectory("remote")
        defer { scratch.remove() }
        try await withSandbox { _, endpoints in
            let port = try freeLoopbackPort()
            let config = scratch.file("rewind.yaml")
            try daemonConfig(endpoints: endpoints, port: port, token: "x").write(
                toFile: config, atomically: true, encoding: .utf8)
            try await seedKnownGood(statePath: scratch.file("state.db"))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { client.shutdown { _ in } }
            let api = API(client: client, base: "http://127.0.0.1:\(port)")
            let daemon = try await DaemonProcess(
                config: config, log: scratch.file("daemon.log"), environment: ["IT_TOKEN": Self.token])
            try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }
            let server = "http://127.0.0.1:\(port)"
            // Neither the policy nor its secrets: the token is REWIND_TOKEN, the address --server or REWIND_SERVER.
            let remote = ["REWIND_TOKEN": Self.token, "IT_TOKEN": ""]

            let status = try await rewind(["status", "--server", server, "--output", "json"], environment: remote)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("\"backend\""))
            #expect(status.stdout.contains("\"leader\" : true") || status.stdout.contains("\"leader\":true"))

            let frozen = try await rewind(
                ["freeze", "set", "--for", "1h", "--reason", "release train"],
                environment: remote.merging(["REWIND_SERVER": server]) { $1 })
            #expect(frozen.status == 0, "\(frozen.stderr)")
            let gate = try await rewind(["freeze", "status", "--server", server], environment: remote)
            #expect(gate.status == 3, "\(gate.stdout) \(gate.stderr)")
            let freeze = try await api.call(.GET, "/api/v1/freeze", token: Self.token)
            #expect(
                freeze.body.contains("release train"), "\(freeze.status) \(freeze.body) \(daemon.output.suffix(3000))")

            // Automation paused and resumed without a restart: stored, shown by status, refused when malformed.
            let paused = try await rewind(
                ["pause", "backend", "--reason", "vendor maintenance", "--server", server], environment: remote)
            #expect(paused.status == 0, "\(paused.stderr)")
            #expect(paused.stdout.contains("automation of backend is paused"), "\(paused.stdout)")
            let pausedStatus = try await rewind(["status", "--server", server], environment: remote)
            #expect(pausedStatus.stdout.contains("PAUSED: automation of backend is paused"), "\(pausedStatus.stdout)")
            #expect(pausedStatus.stdout.contains("vendor maintenance"))
            let unknown = try await api.call(
                .POST, "/api/v1/automation", json: #"{"paused":true,"service":"nope","reason":"x"}"#, token: Self.token)
            #expect(unknown.status == 422 && unknown.body.contains("unknown service 'nope'"), "\(unknown.body)")
            let reasonless = try await api.call(
                .POST, "/api/v1/automation", json: #"{"paused":true}"#, token: Self.token)
            #expect(reasonless.status == 400 && reasonless.body.contains("reason is required"), "\(reasonless.body)")
            let resumed = try await rewind(["resume", "--server", server], environment: remote)
            #expect(resumed.stdout.contains("automation acts for every service"), "\(resumed.stdout) \(resumed.stderr)")
            let automation = try await api.call(.GET, "/api/v1/automation", token: Self.token)
            #expect(automation.body.contains(#""pauses":[]"#), "\(automation.body)")

            // A deployment vouched for by hand becomes a rollback target; one Rewind never saw is refused.
            let recorded = try await rewind(
                ["deployments", "record", "backend", "be-v2", "--version", "v2", "--server", server],
                environment: remote)
            #expect(recorded.status == 0, "\(recorded.stderr)")
            let marked = try await rewind(
                ["deployments", "mark-good", "backend", "be-v2", "--server", server], environment: remote)
            #expect(marked.status == 0 && marked.stdout.contains("is known good"), "\(marked.stdout) \(marked.stderr)")
            let unseen = try await rewind(
                ["deployments", "mark-good", "backend", "be-v9", "--server", server], environment: remote)
            #expect(unseen.status != 0 && unseen.stderr.contains("has not seen deployment be-v9"), "\(unseen.stderr)")

            // A rollback returns at once with --no-wait; --follow shows its timeline until it closes.
            let started = try await rewind(
                ["rollback", "backend", "--to", "be-v1", "--reason", "drill", "--no-wait", "--server", server],
                environment: remote)
            #expect(started.status == 0, "\(started.stderr)")
            let number = try #require(
                started.stdout.split(separator: " ").dropFirst().first.map {
                    Int64($0.dropFirst().prefix { $0 != " " })
                }
                    ?? nil, "\(started.stdout)")
            let followed = try await rewind(
                ["incidents", "show", "\(number)", "--follow", "--server", server], environment: remote)
            #expect(followed.status == 0, "\(followed.stderr)")
            #expect(followed.stdout.contains("drill"), "\(followed.stdout)")
            let after = try await api.call(.GET, "/api/v1/incidents/\(number)", token: Self.token)
            #expect(after.body.contains("closedAt"), "the incident closed before --follow returned: \(after.body)")

            // Waiting (the default) prints the steps as they run, then the outcome.
            _ = try await rewind(
                ["deployments", "record", "backend", "be-v3", "--version", "v3", "--server", server],
                environment: remote)
            let waited = try await rewind(
                ["rollback", "backend", "--reason", "again", "--server", server], environment: remote)
            #expect(waited.stdout.contains("incident #"), "\(waited.status) \(waited.stdout) \(waited.stderr)")
            #expect(waited.stdout.split(separator: "\n").count >= 2, "\(waited.stdout)")

            // Without the token the daemon refuses, and the CLI says why.
            let anonymous = try await rewind(["unfreeze", "--server", server], environment: ["IT_TOKEN": ""])
            #expect(anonymous.status != 0)
            #expect(anonymous.stderr.contains("token"), "\(anonymous.stderr)")

            daemon.kill(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            try await client.shutdown()
        }
    }

    @Test func aServerThatDoesNotAnswerOrIsNotAnAddressIsSaid() async throws {
        let closed = "http://127.0.0.1:\(try freeLoopbackPort())"
        let silent = try await rewind(["history", "--server", closed], environment: ["REWIND_TOKEN": Self.token])
        #expect(silent.status == 69, "\(silent.stderr)")
        #expect(silent.stderr.contains("did not answer"), "\(silent.stderr)")
        #expect(silent.stderr.contains(closed))

        let gate = try await rewind(["freeze", "status", "--server", closed], environment: [:])
        #expect(gate.status == 4, "cannot tell is not 'allowed': \(gate.stderr)")

        for address in ["rewind.internal:8480", "http://user:pw@rewind.internal", "http://rewind.internal/api"] {
            let refused = try await rewind(["status", "--server", address], environment: [:])
            #expect(refused.status == 64, "\(address): \(refused.stderr)")
            #expect(!refused.stderr.contains("pw@"))
        }
    }
}
