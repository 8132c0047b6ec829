import Foundation
import RewindConfig
import RewindCore
import Testing

@Suite("server: tokens with scopes, allowed hosts, connection limits")
struct ServerConfigTests {
    static let environment = [
        "REWIND_API_TOKEN": "api-token-0001", "CI_TOKEN": "ci-token-0002", "ONCALL_TOKEN": "oncall-token-0003",
        "ONCALL_NEXT": "oncall-token-0004",
    ]

    @Test("server.token is the token named default with every scope; server.tokens follow with theirs")
    func scopedTokens() throws {
        let yaml = """
            server:
              token: ${REWIND_API_TOKEN}
              tokens:
                - { name: ci, token: "${CI_TOKEN}", scopes: [events] }
                - { name: oncall, token: "${ONCALL_TOKEN}", scopes: [read, operate] }
                - { name: oncall-next, token: "${ONCALL_NEXT}", scopes: [read, operate] }

            """ + minimalServices
        let server = try #require(parse(yaml, environment: Self.environment).configuration).server
        #expect(server.tokens.map(\.name) == ["default", "ci", "oncall", "oncall-next"])
        #expect(server.tokens[0].scopes == Set(APIScope.allCases))
        #expect(server.tokens[1].scopes == [.events])
        #expect(server.tokens[2].scopes == [.read, .operate])
        #expect(server.token == ConfigText("api-token-0001", isSecret: true))
        #expect(server.token(for: .events)?.name == "default")
        #expect(server.tokens.allSatisfy { $0.token.isSecret })
    }

    @Test("without server.token, the CLI picks the first token with the scope a call needs")
    func tokenForScope() throws {
        let yaml = """
            server:
              tokens:
                - { name: ci, token: "${CI_TOKEN}", scopes: [events] }
                - { name: oncall, token: "${ONCALL_TOKEN}", scopes: [read, operate] }

            """ + minimalServices
        let server = try #require(parse(yaml, environment: Self.environment).configuration).server
        #expect(server.token == nil)
        #expect(server.token(for: .operate)?.name == "oncall")
        #expect(server.token(for: .events)?.name == "ci")
    }

    @Test("token names are validated and unique, secrets are never inline nor shared, scopes are known")
    func tokenProblems() {
        let yaml = """
            server:
              token: ${REWIND_API_TOKEN}
              tokens:
                - { name: default, token: "${CI_TOKEN}", scopes: [events] }
                - { name: "on call", token: "${ONCALL_TOKEN}", scopes: [read] }
                - { name: ci, token: inline-secret-value, scopes: [events] }
                - { name: ops, token: "${ONCALL_NEXT}", scopes: [operat] }
                - { name: ops2, token: "${REWIND_API_TOKEN}", scopes: [read] }
                - { name: empty, token: "${ONCALL_NEXT}", scopes: [] }
                - { token: "${ONCALL_NEXT}", scopes: [read] }

            """ + minimalServices
        let found = problems(yaml, environment: Self.environment).map { "\($0.line) \($0.path): \($0.message)" }
        #expect(
            found.contains {
                $0.hasPrefix("4 server.tokens[0].name:") && $0.contains("'default' is the name of server.token")
            })
        #expect(found.contains { $0.hasPrefix("5 server.tokens[1].name:") && $0.contains("not a token name") })
        #expect(
            found.contains {
                $0.hasPrefix("6 server.tokens[2].token:") && $0.contains("environment variable or a file")
            })
        #expect(
            found.contains { $0.hasPrefix("7 server.tokens[3].scopes[0]:") && $0.contains("did you mean 'operate'") })
        #expect(found.contains { $0.hasPrefix("8 server.tokens[4].token:") && $0.contains("two token names") })
        #expect(found.contains { $0.hasPrefix("9 server.tokens[5].scopes:") && $0.contains("at least one scope") })
        #expect(found.contains { $0.hasPrefix("10 server.tokens[6]:") && $0.contains("missing required key 'name'") })
        #expect(!found.contains { $0.contains("inline-secret-value") || $0.contains("api-token-0001") })
    }

    @Test("two tokens may not share a name")
    func duplicateNames() {
        let yaml = """
            server:
              tokens:
                - { name: ci, token: "${CI_TOKEN}", scopes: [events] }
                - { name: ci, token: "${ONCALL_TOKEN}", scopes: [events] }

            """ + minimalServices
        let found = problems(yaml, environment: Self.environment).map { "\($0.line) \($0.path): \($0.message)" }
        #expect(found == ["4 server.tokens[1].name: another token is already named 'ci'; names must be unique"])
    }

    @Test("allowed_hosts, idle_timeout and max_connections, with their defaults")
    func hostsAndLimits() throws {
        let defaults = try #require(parse(minimalServices).configuration).server
        #expect(defaults.allowedHosts == [])
        #expect(defaults.idleTimeout == Defaults.serverIdleTimeout)
        #expect(defaults.maxConnections == Defaults.serverMaxConnections)
        let yaml = """
            server:
              allowed_hosts: [Rewind.Internal.example.com]
              idle_timeout: 10s
              max_connections: 32

            """ + minimalServices
        let server = try #require(parse(yaml).configuration).server
        #expect(server.allowedHosts == ["rewind.internal.example.com"])
        #expect(server.idleTimeout == .seconds(10))
        #expect(server.maxConnections == 32)
        let bad = problems(
            "server:\n  allowed_hosts: [\"https://rewind.example.com:443\"]\n  max_connections: 0\n  idle_timeout: 100000h\n"
                + minimalServices
        )
        .map { "\($0.line) \($0.path): \($0.message)" }
        #expect(bad.contains { $0.hasPrefix("4 server.idle_timeout:") && $0.contains("between 1s and 1h") })
        #expect(
            bad.contains { $0.hasPrefix("2 server.allowed_hosts[0]:") && $0.contains("without scheme, port or path") })
        #expect(bad.contains { $0.hasPrefix("3 server.max_connections:") })
    }

    @Test("the starter written with a token file reads the token from it")
    func starterWithTokenFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
            .write(to: folder.appendingPathComponent("rewind-api-token"), atomically: true, encoding: .utf8)
        let result = parse(
            StarterConfig.yaml(tokenFile: "rewind-api-token"), environment: starterEnvironment,
            path: folder.appendingPathComponent("rewind.yaml").path)
        #expect(result.problems == [])
        let server = try #require(result.configuration).server
        #expect(server.token?.value == "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
        #expect(StarterConfig.yaml(tokenFile: "rewind-api-token") != StarterConfig.yaml)
    }

    @Test("log.format: text or json; anything else names the line and the choices")
    func logFormat() throws {
        let json = try #require(parse("log:\n  format: json\n" + minimalServices).configuration)
        #expect(json.log.format == .json)
        #expect(try #require(parse(minimalServices).configuration).log.format == nil)
        let found = problems("log:\n  format: yaml\n" + minimalServices).map { "\($0.line) \($0.path): \($0.message)" }
        #expect(
            found.contains { $0.hasPrefix("2 log.format:") && $0.contains("json") && $0.contains("text") }, "\(found)")
    }

    @Test("server.public_url is an http(s) URL, kept without its trailing slash; slack_chat takes a signing secret")
    func publicURLAndSlackSigning() throws {
        let yaml = """
            server:
              public_url: https://rewind.example.com/
            notifications:
              channels:
                slack: { type: slack_chat, token: "${SLACK_TOKEN}", channel: "C1", signing_secret: "${SLACK_SIGNING}" }

            """ + minimalServices
        let configuration = try #require(
            parse(yaml, environment: ["SLACK_TOKEN": "xoxb-1", "SLACK_SIGNING": "signing-0001"]).configuration)
        #expect(configuration.server.publicURL == "https://rewind.example.com")
        #expect(configuration.slackSigningSecrets == ["signing-0001"])
        let found = problems("server:\n  public_url: rewind.example.com\n" + minimalServices).map {
            "\($0.line) \($0.path): \($0.message)"
        }
        #expect(found.contains { $0.hasPrefix("2 server.public_url:") }, "\(found)")
        let inline = problems(
            """
            notifications:
              channels:
                slack: { type: slack_chat, token: "${SLACK_TOKEN}", channel: "C1", signing_secret: written-here }

            """ + minimalServices, environment: ["SLACK_TOKEN": "xoxb-1"]
        ).map { "\($0.line) \($0.path): \($0.message)" }
        #expect(inline.contains { $0.contains("signing_secret") }, "\(inline)")
    }

    @Test("server.advertise_url is an http(s) origin (from ${POD_IP} too), kept without its trailing slash")
    func advertiseURL() throws {
        let yaml = "server:\n  advertise_url: http://${POD_IP}:8480/\n" + minimalServices
        let configuration = try #require(parse(yaml, environment: ["POD_IP": "10.0.3.7"]).configuration)
        #expect(configuration.server.advertiseURL == "http://10.0.3.7:8480")
        for (bad, why) in [
            ("rewind-0:8480", "http"), ("http://10.0.3.7:8480/api", "origin only"),
            ("https://user:pw@rewind.example.com", "origin only"), ("http://10.0.3.7:8480/?a=b", "origin only"),
        ] {
            let found = problems("server:\n  advertise_url: \"\(bad)\"\n" + minimalServices).map {
                "\($0.line) \($0.path): \($0.message)"
            }
            #expect(found.contains { $0.hasPrefix("2 server.advertise_url:") && $0.contains(why) }, "\(bad): \(found)")
        }
    }
}
