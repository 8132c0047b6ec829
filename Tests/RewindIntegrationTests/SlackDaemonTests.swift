import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindSandbox
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A click on a Slack button, end to end: a daemon whose slack_chat channel has a signing secret answers
/// `POST /hooks/slack` signed with it — the incident is acknowledged with the Slack user as the actor — and
/// refuses one that is not.
@Suite(.serialized)
struct SlackDaemonTests {
    static let token = "it-secret-token-1234"
    static let signingSecret = "it-slack-signing-secret-5678"

    @Test func aSignedClickAcknowledgesAsTheSlackUser() async throws {
        let scratch = try TemporaryDirectory("slack")
        defer { scratch.remove() }
        try await withSandbox { _, endpoints in
            let port = try freeLoopbackPort()
            let config = scratch.file("rewind.yaml")
            let notifications = """
                { console: true, file: notifications.jsonl, channels: { slack: { type: slack_chat, token: "${IT_SLACK_TOKEN}", channel: "C0123", api_url: "http://127.0.0.1:9", signing_secret: "${IT_SLACK_SIGNING}" } } }
                """
            try daemonConfig(endpoints: endpoints, port: port, token: "x", notifications: notifications).write(
                toFile: config, atomically: true, encoding: .utf8)
            try await seedKnownGood(statePath: scratch.file("state.db"))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { client.shutdown { _ in } }
            let api = API(client: client, base: "http://127.0.0.1:\(port)")
            let daemon = try await DaemonProcess(
                config: config, log: scratch.file("daemon.log"),
                environment: [
                    "IT_TOKEN": Self.token, "IT_SLACK_TOKEN": "xoxb-it", "IT_SLACK_SIGNING": Self.signingSecret,
                ])
            try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }

            _ = try await api.call(
                .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"be-v2","version":"v2"}"#,
                token: Self.token)
            let opened = try await api.call(
                .POST, "/api/v1/rollbacks", json: #"{"service":"backend","reason":"slack test"}"#, token: Self.token)
            let incident = try #require(
                opened.body.split(separator: ":").last.flatMap { Int64($0.filter(\.isNumber)) }, "\(opened.body)")

            let payload =
                #"{"type":"block_actions","user":{"id":"U0123ABC","username":"dana"},"actions":[{"action_id":"rewind_acknowledge","value":"\#(incident)"}]}"#
            let body = SlackInteractivityTests.form(payload)
            let timestamp = "\(Int(Date().timeIntervalSince1970))"
            func post(signature: String) async throws -> (status: Int, body: String) {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/hooks/slack")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.headers.add(name: "X-Slack-Request-Timestamp", value: timestamp)
                request.headers.add(name: "X-Slack-Signature", value: signature)
                request.body = .bytes(ByteBuffer(bytes: body))
                let response = try await client.execute(request, timeout: .seconds(10))
                return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
            }
            let forged = try await post(
                signature: SlackInteractivityTests.sign(body, timestamp: timestamp, secret: "guess"))
            #expect(forged.status == 401 && forged.body.contains("does not match"), "\(forged.body)")

            let clicked = try await post(
                signature: SlackInteractivityTests.sign(body, timestamp: timestamp, secret: Self.signingSecret))
            #expect(clicked.status == 200, "\(clicked.body) \(daemon.output.suffix(2000))")
            #expect(clicked.body.contains("acknowledged by Slack user dana (U0123ABC)"), "\(clicked.body)")
            let stored = try await api.call(.GET, "/api/v1/incidents/\(incident)", token: Self.token)
            #expect(stored.body.contains("Slack user dana (U0123ABC)"), "\(stored.body.prefix(2000))")

            daemon.kill(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            try await client.shutdown()
        }
    }
}
