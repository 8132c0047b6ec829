import Foundation
import RewindCore
import RewindSpecs
import Testing
import Yams

@testable import RewindConfig

@Suite("Config: Cloudflare traffic")
struct CloudflareConfigTests {
    static let environment = ["CLOUDFLARE_API_TOKEN": "cf-secret-token-value"]

    /// Reads `yaml` (the body of a service's `traffic:`) with the reader the lead wires in.
    static func read(
        _ yaml: String, environment: [String: String] = CloudflareConfigTests.environment
    ) throws
        -> (spec: TrafficSpec?, problems: [String])
    {
        let root = try #require(try Yams.compose(yaml: yaml))
        var reader = ConfigReader(file: "/etc/rewind/rewind.yaml", folder: "/etc/rewind", environment: environment)
        let spec = reader.trafficController(Located(node: root, path: "services.frontend.traffic", line: 1))
        let problems = reader.problems.map { "\($0.line) \($0.path): \($0.message)" }
        #expect(!problems.joined().contains("cf-secret-token-value"))
        return (spec, problems)
    }

    static let token = ConfigText("cf-secret-token-value", isSecret: true)

    @Test("one pool with two origins, with the defaults")
    func originsWithDefaults() throws {
        let read = try Self.read(
            """
            type: cloudflare
            token: ${CLOUDFLARE_API_TOKEN}
            account_id: 0123abcd
            pool: 9f8e7d
            stable_origin: stable
            new_origin: canary
            """
        )
        #expect(read.problems == [])
        #expect(
            read.spec
                == .cloudflare(
                    CloudflareTrafficSpec(
                        token: Self.token, tokenSource: "CLOUDFLARE_API_TOKEN", accountID: "0123abcd",
                        routing: .origins(pool: "9f8e7d", stable: "stable", new: "canary")
                    )
                )
        )
        #expect(read.spec?.kind == "cloudflare")
        guard case .cloudflare(let spec)? = read.spec else { return }
        #expect(spec.apiURL == "https://api.cloudflare.com/client/v4")
        #expect(spec.timeout == .seconds(10))
        #expect(spec.token.description == "<redacted>")
    }

    @Test("two pools, purge of URLs, api_url, timeout and a token from a file")
    func everyKey() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-cf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tokenFile = folder.appendingPathComponent("cf-token")
        try Data("cf-file-token-value\n".utf8).write(to: tokenFile)
        let read = try Self.read(
            """
            type: cloudflare
            token: ${file:\(tokenFile.path)}
            account_id: 0123abcd
            stable_pool: blue
            new_pool: green
            zone_id: 77aa
            purge: [https://www.example.com/app.js, https://www.example.com/index.html]
            api_url: http://127.0.0.1:8080/client/v4/
            timeout: 3s
            """
        )
        #expect(read.problems == [])
        #expect(
            read.spec
                == .cloudflare(
                    CloudflareTrafficSpec(
                        token: ConfigText("cf-file-token-value", isSecret: true),
                        tokenSource: "the file \(tokenFile.path)", accountID: "0123abcd", zoneID: "77aa",
                        routing: .pools(stable: "blue", new: "green"),
                        purge: .urls(["https://www.example.com/app.js", "https://www.example.com/index.html"]),
                        apiURL: "http://127.0.0.1:8080/client/v4", timeout: .seconds(3)
                    )
                )
        )
    }

    @Test("purge: everything")
    func purgeEverything() throws {
        let read = try Self.read(
            """
            type: cloudflare
            token: ${CLOUDFLARE_API_TOKEN}
            account_id: a1
            stable_pool: blue
            new_pool: green
            zone_id: z1
            purge: everything
            """
        )
        #expect(read.problems == [])
        guard case .cloudflare(let spec)? = read.spec else {
            Issue.record("no spec")
            return
        }
        #expect(spec.purge == .everything)
    }

    @Test("an inline token is refused without showing it, with the variable to use")
    func inlineToken() throws {
        let read = try Self.read(
            """
            type: cloudflare
            token: cf-inline-token-123
            account_id: 0123abcd
            pool: 9f8e7d
            stable_origin: stable
            new_origin: canary
            """
        )
        #expect(read.spec == nil)
        #expect(
            read.problems == [
                "2 services.frontend.traffic.token: the token is a credential: put the token in an environment "
                    + "variable: "
                    + "token: ${CLOUDFLARE_API_TOKEN}"
            ])
        #expect(!read.problems.joined().contains("cf-inline-token-123"))
    }

    @Test("each mistake is a problem at its line and path")
    func mistakes() throws {
        let read = try Self.read(
            """
            type: cloudflare
            token: ${CF_MISSING}
            account_id: "0123 abcd"
            pool: 9f8e7d
            stable_origin: canary
            new_origin: canary
            purge: some
            api_url: ftp://example.com
            timeout: soon
            weight: 1
            """
        )
        #expect(read.spec == nil)
        #expect(
            read.problems == [
                "10 services.frontend.traffic.weight: unknown key 'weight'; allowed keys here: type, token, "
                    + "account_id, "
                    + "zone_id, pool, stable_origin, new_origin, stable_pool, new_pool, purge, api_url, timeout",
                "2 services.frontend.traffic.token: environment variable CF_MISSING (the API token) is not set; export it or use "
                    + "${file:/path/to/file}",
                "3 services.frontend.traffic.account_id: '0123 abcd' is not an account id: use letters, digits, '-', "
                    + "'_' "
                    + "and '.' (no spaces or '/')",
                "6 services.frontend.traffic.new_origin: the new origin must differ from the stable origin 'canary'",
                "7 services.frontend.traffic.purge: 'some' is not a purge; write purge: everything, or a list of URLs "
                    + "such as [https://www.example.com/app.js]",
                "8 services.frontend.traffic.api_url: 'ftp://example.com' is not an http:// or https:// URL",
                "9 services.frontend.traffic.timeout: invalid duration 'soon': use \(Duration.acceptedForms)",
            ])
    }

    @Test("the routing must be one pool with two origins or two pools, complete")
    func routing() throws {
        let base = "type: cloudflare\ntoken: ${CLOUDFLARE_API_TOKEN}\naccount_id: a1\n"
        let neither = try Self.read(base)
        #expect(
            neither.problems == [
                "1 services.frontend.traffic: say where the versions run: pool, stable_origin and new_origin (one "
                    + "pool, "
                    + "two origins), or stable_pool and new_pool (two pools)"
            ])
        let both = try Self.read(
            base + "pool: p1\nstable_origin: s\nnew_origin: n\nstable_pool: blue\nnew_pool: green\n")
        #expect(
            both.problems == [
                "7 services.frontend.traffic.stable_pool: use either one pool with two origins (pool, stable_origin, "
                    + "new_origin) or two pools (stable_pool, new_pool), not both"
            ])
        let incomplete = try Self.read(base + "pool: p1\nstable_origin: s\n")
        #expect(
            incomplete.problems == [
                "1 services.frontend.traffic: missing required key 'new_origin'; the origin name of the new version"
            ])
    }

    @Test("type and required keys are checked")
    func typeAndRequired() throws {
        let wrongType = try Self.read("type: cloudflair\n")
        #expect(
            wrongType.problems == [
                "1 services.frontend.traffic.type: 'cloudflair' is not one of 'cloudflare', 'kubernetes', 'argo_rollouts' or 'flagd'; "
                    + "did you mean 'cloudflare'?"
            ])
        let missing = try Self.read("type: cloudflare\nstable_pool: blue\nnew_pool: green\n")
        #expect(
            missing.problems == [
                "1 services.frontend.traffic: missing required key 'token'; an API token, e.g. token: "
                    + "${CLOUDFLARE_API_TOKEN}",
                "1 services.frontend.traffic: missing required key 'account_id'; the account that owns the pools, e.g. "
                    + "account_id: 0123abcd",
            ])
        let noZone = try Self.read(
            "type: cloudflare\ntoken: ${CLOUDFLARE_API_TOKEN}\naccount_id: a1\nstable_pool: b\nnew_pool: g\npurge: "
                + "everything\n"
        )
        #expect(
            noZone.problems == [
                "6 services.frontend.traffic.purge: purging the cache needs the zone: add zone_id: <zone id> next to "
                    + "purge"
            ])
        let noType = try Self.read("token: x\n")
        #expect(
            noType.problems == [
                "1 services.frontend.traffic: missing required key 'type'; use one of 'cloudflare', 'kubernetes', "
                    + "'argo_rollouts' or 'flagd'"
            ])
    }
}
