import AsyncHTTPClient
import Crypto
import Foundation
import RewindSandbox
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import NIOHTTP1
#endif

/// A policy file for a daemon watching the sandbox, with `server` lines (indented two spaces)
/// added to its `server:` section.
func daemonConfig(endpoints: SandboxEndpoints, port: Int, server: String, extra: String = "") -> String {
    daemonConfig(endpoints: endpoints, port: port, extra: extra)
        .replacingOccurrences(of: "  listen: 127.0.0.1:\(port)\n", with: "  listen: 127.0.0.1:\(port)\n\(server)\n")
}

/// `rewind serve` facing clients that do not play by the rules: what it refuses, it refuses before
/// reading a body, without a route, a log line or a metric series per request.
@Suite("Daemon: hostile input", .serialized)
struct HostileInputTests {
    static let token = "it-hostile-token-5555"
    static let hmacSecret = "it-hostile-hmac-secret-7777"

    /// A daemon with an API token and an Alertmanager HMAC secret, for `body`.
    func withHostileDaemon(
        _ body: @Sendable (_ port: Int, _ api: API, _ daemon: DaemonProcess) async throws -> Void
    ) async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        try await withSandbox { _, endpoints in
            let port = try freeLoopbackPort()
            let config = scratch.file("rewind.yaml")
            let monitoring = """
                monitoring:
                  alertmanager:
                    hmac_secret: ${IT_HOSTILE_HMAC}
                """
            try daemonConfig(
                endpoints: endpoints, port: port, server: "  token: ${IT_HOSTILE_TOKEN}", extra: monitoring
            )
            .write(toFile: config, atomically: true, encoding: .utf8)
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { client.shutdown { _ in } }
            let api = API(client: client, base: "http://127.0.0.1:\(port)", token: Self.token)
            let daemon = try await DaemonProcess(
                config: config, log: scratch.file("daemon.log"),
                environment: ["IT_HOSTILE_TOKEN": Self.token, "IT_HOSTILE_HMAC": Self.hmacSecret])
            try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }
            try await body(port, api, daemon)
            daemon.kill(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            try await client.shutdown()
        }
    }

    @Test func anUnauthenticatedBodyIsRefusedBeforeItIsRead() async throws {
        try await withHostileDaemon { port, _, daemon in
            for path in ["/hooks/alertmanager", "/api/v1/events", "/api/v1/rollbacks"] {
                let (response, sentAll) = try await offPool {
                    let connection = try RawConnection(port: port)
                    defer { connection.close() }
                    // The head announces 2 MiB; not one byte of it is sent before the answer.
                    connection.send(
                        "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: \(2 * 1024 * 1024)\r\n\r\n"
                    )
                    let response = connection.response(within: 5)
                    // Then the server reads no more of it: the connection is closed, and 8 MiB cannot be sent.
                    return (response, connection.send([UInt8](repeating: 0x20, count: 8 * 1024 * 1024)))
                }
                let refused = try #require(response, "\(path): no answer before the body: the server waits to read it")
                #expect(refused.status == 401, "\(path)")
                #expect(refused.headers["connection"] == "close", "\(path)")
                #expect(!sentAll, "\(path): the server kept reading a refused body")
            }
            #expect(!daemon.output.contains(Self.token))
        }
    }

    @Test func oddPathsReachNoHandlerAndDoNotGrowMetrics() async throws {
        try await withHostileDaemon { port, api, _ in
            let firing = IntakeTests.alertmanagerPayload(
                status: "resolved", service: "worker", category: "errors", severity: "high", name: "Odd")
            func request(_ path: String) -> String {
                "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(Self.token)\r\nContent-Type: application/json\r\nContent-Length: \(firing.utf8.count)\r\n\r\n\(firing)"
            }
            // The route itself answers.
            #expect(try await rawRequest(port: port, request("/hooks/alertmanager"))?.status == 200)
            // The same route written oddly does not.
            let odd = [
                "/hooks//alertmanager", "///hooks/alertmanager/", "/hooks/alertmanager/", "//hooks/alertmanager",
                "/hooks/./alertmanager",
                "/hooks/x/../alertmanager", "/api/v1//events", "/api/v1/events/",
            ]
            for path in odd {
                let response = try #require(try await rawRequest(port: port, request(path)), "\(path)")
                #expect(response.status == 404, "\(path) reached a handler: \(response.status) \(response.body)")
            }
            let series = { (text: String) in
                Set(
                    text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map {
                        $0.split(separator: " ").first ?? ""
                    })
            }
            let before = series(try await api.call(.GET, "/metrics").body)
            let answers = try await offPool {
                try (0..<1000).map { index -> String in
                    let path = index % 2 == 0 ? odd[index % odd.count] + "?n=\(index)" : "/probe-\(index)//x/"
                    let connection = try RawConnection(port: port)
                    defer { connection.close() }
                    connection.send(
                        "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                    )
                    return "\(path) \(connection.response(within: 5)?.status ?? 0)"
                }
            }
            #expect(answers.filter { !$0.hasSuffix(" 404") } == [])
            let after = series(try await api.call(.GET, "/metrics").body)
            // No series names a path, and the refusals made none (other series may appear as the engine works).
            #expect(!after.contains { $0.contains("/") || $0.contains("probe") }, "\(after.sorted())")
            let grown = after.subtracting(before)
            #expect(!grown.contains { $0.contains("intake") || $0.contains("http") }, "new series: \(grown.sorted())")
        }
    }

    @Test func aForeignHostOrANonJSONBodyIsRefused() async throws {
        try await withHostileDaemon { port, api, _ in
            func get(host: String) async throws -> Int? {
                try await rawRequest(
                    port: port,
                    "GET /api/v1/status HTTP/1.1\r\nHost: \(host)\r\nAuthorization: Bearer \(Self.token)\r\n\r\n")?
                    .status
            }
            // DNS rebinding: a page at attacker.example whose name now points at 127.0.0.1.
            let rebound = try #require(
                try await rawRequest(
                    port: port,
                    "GET /api/v1/incidents/1 HTTP/1.1\r\nHost: attacker.example:\(port)\r\nAuthorization: Bearer \(Self.token)\r\n\r\n"
                ))
            #expect(rebound.status == 421)
            #expect(rebound.body.contains("server.allowed_hosts"))
            #expect(try await get(host: "attacker.example") == 421)
            #expect(try await get(host: "127.0.0.1:\(port)") == 200)
            #expect(try await get(host: "localhost:\(port)") == 200)

            // A browser's cross-origin "simple" POST is text/plain: refused, nothing happens.
            let rollback = #"{"service":"backend","reason":"csrf"}"#
            for type in ["text/plain", "application/x-www-form-urlencoded", nil] as [String?] {
                let contentType = type.map { "Content-Type: \($0)\r\n" } ?? ""
                let response = try #require(
                    try await rawRequest(
                        port: port,
                        "POST /api/v1/rollbacks HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(Self.token)\r\n\(contentType)Content-Length: \(rollback.utf8.count)\r\n\r\n\(rollback)"
                    ))
                #expect(response.status == 415, "\(type ?? "no type"): \(response.body)")
                #expect(response.body.contains("Content-Type"))
            }
            #expect(try await api.call(.GET, "/api/v1/history").body == "[]", "a refused rollback opened an incident")
            #expect(
                try await api.call(.POST, "/api/v1/freeze", json: #"{"duration":"1h","reason":"json is fine"}"#).status
                    == 200)
        }
    }

    @Test func aSignedAlertIsAcceptedOnlyFreshAndOnlyWithItsTimestampSigned() async throws {
        try await withHostileDaemon { port, _, _ in
            let payload = IntakeTests.alertmanagerPayload(
                status: "resolved", service: "worker", category: "errors", severity: "high", name: "Signed")
            func sign(_ message: String) -> String {
                let mac = HMAC<SHA256>.authenticationCode(
                    for: Data(message.utf8), using: SymmetricKey(data: Data(Self.hmacSecret.utf8)))
                return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
            }
            func post(timestamp: String?, signature: String) async throws -> RawResponse? {
                let stamp = timestamp.map { "X-Rewind-Timestamp: \($0)\r\n" } ?? ""
                return try await rawRequest(
                    port: port,
                    "POST /hooks/alertmanager HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n\(stamp)X-Rewind-Signature: \(signature)\r\nContent-Length: \(payload.utf8.count)\r\n\r\n\(payload)"
                )
            }
            let now = String(Int(Date().timeIntervalSince1970))
            #expect(try await post(timestamp: now, signature: sign("\(now).\(payload)"))?.status == 200)

            // Captured ten minutes ago and replayed: the signature is right, the timestamp too old.
            let old = String(Int(Date().timeIntervalSince1970) - 600)
            let replay = try #require(try await post(timestamp: old, signature: sign("\(old).\(payload)")))
            #expect(replay.status == 401)
            #expect(replay.body.contains("old"))
            // A signature of the body alone (the timestamp not covered) or without a timestamp.
            #expect(try await post(timestamp: now, signature: sign(payload))?.status == 401)
            let unstamped = try #require(try await post(timestamp: nil, signature: sign(payload)))
            #expect(unstamped.status == 401)
            #expect(unstamped.body.contains("X-Rewind-Timestamp"))
        }
    }

    @Test func idleConnectionsAreClosedAndConnectionsAreCapped() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        try await withSandbox { _, endpoints in
            let port = try freeLoopbackPort()
            let config = scratch.file("rewind.yaml")
            try daemonConfig(endpoints: endpoints, port: port, server: "  idle_timeout: 3s\n  max_connections: 2")
                .write(toFile: config, atomically: true, encoding: .utf8)
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { client.shutdown { _ in } }
            let api = API(client: client, base: "http://127.0.0.1:\(port)")
            let daemon = try await DaemonProcess(config: config, log: scratch.file("daemon.log"))
            try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }
            try await client.shutdown()  // its pooled connection would hold one of the two

            let health = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n"
            let (firstServed, secondServed, thirdEarly, thirdLater, idleClosed) = try await offPool {
                // Two kept-alive connections, each served once: both places are taken.
                let first = try RawConnection(port: port)
                let second = try RawConnection(port: port)
                first.send(health)
                let firstServed = first.response(within: 5)?.status
                second.send(health)
                let secondServed = second.response(within: 5)?.status
                // A third waits: it is not accepted while the two are open.
                let third = try RawConnection(port: port)
                defer { third.close() }
                third.send(health)
                let thirdEarly = third.response(within: 1)?.status
                first.close()
                let thirdLater = third.response(within: 5)?.status
                // An idle connection is closed by the server after idle_timeout.
                return (firstServed, secondServed, thirdEarly, thirdLater, second.closedByPeer(within: 10))
            }
            #expect(firstServed == 200 && secondServed == 200)
            #expect(thirdEarly == nil, "a third connection was served beyond max_connections: 2")
            #expect(thirdLater == 200, "the waiting connection was not served once a place was free")
            #expect(idleClosed, "an idle connection stayed open beyond idle_timeout: 3s")

            daemon.kill(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
        }
    }
}
