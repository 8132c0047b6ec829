import Foundation
import RewindCore
import RewindSpecs
import Testing
import Yams

@testable import RewindConfig

@Suite("Config: feature-flag kill switches")
struct FlagsConfigTests {
    static let environment = [
        "UNLEASH_API_TOKEN": "unleash-secret-value", "LAUNCHDARKLY_ACCESS_TOKEN": "ld-secret-value",
        "FLAGS_TOKEN": "flags-secret-value",
    ]

    /// Reads `yaml` (the body of a service's `flags:`) with the reader the lead wires in.
    static func read(
        _ yaml: String, environment: [String: String] = FlagsConfigTests.environment
    ) throws
        -> (spec: FeatureFlagsSpec?, problems: [String])
    {
        let root = try #require(try Yams.compose(yaml: yaml))
        var reader = ConfigReader(file: "/etc/rewind/rewind.yaml", folder: "/etc/rewind", environment: environment)
        let spec = reader.featureFlags(Located(node: root, path: "services.frontend.flags", line: 1))
        let problems = reader.problems.map { "\($0.line) \($0.path): \($0.message)" }
        #expect(!problems.joined().contains("secret-value"))
        return (spec, problems)
    }

    static let guideFlags = ["all_features", "gradual_rollout", "a_b_testing"]

    @Test("unleash: the guide's flags, defaults for project and bulk")
    func unleash() throws {
        let read = try Self.read(
            """
            type: unleash
            url: https://unleash.example.com/
            token: ${UNLEASH_API_TOKEN}
            environment: production
            disable: [all_features, gradual_rollout, a_b_testing]
            """
        )
        #expect(read.problems == [])
        #expect(
            read.spec
                == FeatureFlagsSpec(
                    backend: .unleash(
                        UnleashFlagsSpec(
                            url: "https://unleash.example.com",
                            token: ConfigText("unleash-secret-value", isSecret: true), tokenSource: "UNLEASH_API_TOKEN",
                            project: "default", environment: "production", bulk: true
                        )
                    ),
                    disable: Self.guideFlags, timeout: .seconds(10)
                )
        )
        #expect(read.spec?.backend.kind == "unleash")
    }

    @Test("launchdarkly: every key")
    func launchDarkly() throws {
        let read = try Self.read(
            """
            type: launchdarkly
            api_url: http://127.0.0.1:9000/api/v2
            token: ${LAUNCHDARKLY_ACCESS_TOKEN}
            project: web
            environment: production
            ignore_conflicts: true
            api_version: 20240415
            timeout: 5s
            disable: [checkout-v2]
            """
        )
        #expect(read.problems == [])
        #expect(
            read.spec
                == FeatureFlagsSpec(
                    backend: .launchDarkly(
                        LaunchDarklyFlagsSpec(
                            apiURL: "http://127.0.0.1:9000/api/v2",
                            token: ConfigText("ld-secret-value", isSecret: true),
                            tokenSource: "LAUNCHDARKLY_ACCESS_TOKEN", project: "web", environment: "production",
                            ignoreConflicts: true, apiVersion: "20240415"
                        )
                    ),
                    disable: ["checkout-v2"], timeout: .seconds(5)
                )
        )
    }

    @Test("flagd: a relative file, the default kill, or kill: disabled")
    func flagd() throws {
        let read = try Self.read("type: flagd\nfile: flags/flags.json\noff_variant: safe\ndisable: [checkout-v2]\n")
        #expect(read.problems == [])
        #expect(
            read.spec?.backend
                == .flagd(FlagdFlagsSpec(path: "/etc/rewind/flags/flags.json", kill: .defaultVariant("safe")))
        )
        let disabled = try Self.read("type: flagd\nfile: /etc/flagd/flags.json\nkill: disabled\ndisable: [a]\n")
        #expect(disabled.spec?.backend == .flagd(FlagdFlagsSpec(path: "/etc/flagd/flags.json", kill: .disabledState)))
        let defaults = try Self.read("type: flagd\nfile: /etc/flagd/flags.json\ndisable: [a]\n")
        #expect(
            defaults.spec?.backend
                == .flagd(FlagdFlagsSpec(path: "/etc/flagd/flags.json", kill: .defaultVariant("off"))))
    }

    @Test("http: {{flag}} requests with a credential header")
    func http() throws {
        let read = try Self.read(
            """
            type: http
            request:
              method: patch
              url: "https://flags.example.com/api/flags/{{flag}}"
              headers: { Authorization: "Bearer ${FLAGS_TOKEN}" }
              body: { enabled: false, reason: "Rewind incident {{incident.id}} on {{service}}" }
              expect: [200, 204]
            state:
              url: "https://flags.example.com/api/flags/{{flag}}"
              field: data.enabled
            disable: [all_features]
            """
        )
        #expect(read.problems == [])
        let spec = try #require(read.spec)
        guard case .http(let http) = spec.backend else {
            Issue.record("not http")
            return
        }
        #expect(http.disable.method == "PATCH")
        #expect(http.disable.url == "https://flags.example.com/api/flags/{{flag}}")
        #expect(http.disable.headers["Authorization"] == ConfigText("Bearer flags-secret-value", isSecret: true))
        #expect(
            http.disable.body
                == .object([
                    "enabled": .bool(false), "reason": .string("Rewind incident {{incident.id}} on {{service}}"),
                ])
        )
        #expect(http.disable.expectedStatuses == [200, 204])
        #expect(http.state?.method == "GET")
        #expect(http.stateField == "data.enabled")
    }

    @Test("inline tokens are refused without showing them")
    func inlineTokens() throws {
        let unleash = try Self.read(
            "type: unleash\nurl: https://u.example.com\ntoken: '*:*.inline-admin'\nenvironment: production\ndisable: "
                + "[a]\n"
        )
        #expect(
            unleash.problems == [
                "3 services.frontend.flags.token: the token is a credential: put the token in an environment variable: "
                    + "token: ${UNLEASH_API_TOKEN}"
            ])
        let launchDarkly = try Self.read(
            "type: launchdarkly\ntoken: api-inline-1\nproject: p\nenvironment: production\ndisable: [a]\n"
        )
        #expect(
            launchDarkly.problems == [
                "2 services.frontend.flags.token: the token is a credential: put the token in an environment variable: "
                    + "token: ${LAUNCHDARKLY_ACCESS_TOKEN}"
            ])
        #expect(!(unleash.problems + launchDarkly.problems).joined().contains("inline"))
    }

    @Test("each mistake is a problem at its line and path")
    func mistakes() throws {
        let read = try Self.read(
            """
            type: unleash
            url: unleash.example.com
            token: ${UNLEASH_API_TOKEN}
            disable: [all_features, all_features, "two words"]
            bulk: sometimes
            project: default
            projct: x
            """
        )
        #expect(read.spec == nil)
        #expect(
            read.problems == [
                "7 services.frontend.flags.projct: unknown key 'projct'; did you mean 'project'?",
                "4 services.frontend.flags.disable[1]: 'all_features' is listed twice; list each flag once",
                "4 services.frontend.flags.disable[2]: 'two words' is not a flag key: use letters, digits, '-', '_' "
                    + "and '.' "
                    + "(no spaces or '/')",
                "2 services.frontend.flags.url: 'unleash.example.com' is not an http:// or https:// URL",
                "1 services.frontend.flags: missing required key 'environment'; e.g. environment: production",
                "5 services.frontend.flags.bulk: expected true or false, got 'sometimes'",
            ])
    }

    @Test("type, disable list and type-specific rules")
    func rules() throws {
        let noType = try Self.read("disable: [a]\n")
        #expect(
            noType.problems == [
                "1 services.frontend.flags: missing required key 'type'; use one of 'unleash', 'launchdarkly', "
                    + "'flagd' or 'http'"
            ])
        let typo = try Self.read("type: launchdarkley\ndisable: [a]\n")
        #expect(
            typo.problems == [
                "1 services.frontend.flags.type: 'launchdarkley' is not one of 'unleash', 'launchdarkly', 'flagd' or "
                    + "'http'; "
                    + "did you mean 'launchdarkly'?"
            ])
        let noDisable = try Self.read("type: flagd\nfile: /f.json\n")
        #expect(
            noDisable.problems == [
                "1 services.frontend.flags: missing required key 'disable'; list the flags to turn off, e.g. disable: "
                    + "[all_features, gradual_rollout, a_b_testing]"
            ])
        let empty = try Self.read("type: flagd\nfile: /f.json\ndisable: []\n")
        #expect(
            empty.problems == [
                "3 services.frontend.flags.disable: list at least one flag to turn off, e.g. disable: [all_features, "
                    + "gradual_rollout, a_b_testing]"
            ])
        let offWithDisabled = try Self.read(
            "type: flagd\nfile: /f.json\nkill: disabled\noff_variant: off\ndisable: [a]\n")
        #expect(
            offWithDisabled.problems == [
                "4 services.frontend.flags.off_variant: off_variant is used by kill: default_variant only; remove it, "
                    + "or use kill: default_variant"
            ])
        let wrongKey = try Self.read("type: flagd\nfile: /f.json\nenvironment: production\ndisable: [a]\n")
        #expect(
            wrongKey.problems == [
                "3 services.frontend.flags.environment: unknown key 'environment'; allowed keys here: type, disable, "
                    + "timeout, file, kill, off_variant"
            ])
    }

    @Test("http: placeholders are checked and the request must name the flag")
    func httpPlaceholders() throws {
        let read = try Self.read(
            """
            type: http
            request:
              url: "https://flags.example.com/api/flags/{{flg}}/off"
            disable: [a]
            """
        )
        #expect(
            read.problems == [
                "3 services.frontend.flags.request.url: unknown placeholder {{flg}}; known here: {{flag}}, "
                    + "{{incident.id}}, "
                    + "{{service}}; did you mean {{flag}}?",
                "2 services.frontend.flags.request: the request does not say which flag: put {{flag}} in its url or "
                    + "body, "
                    + "e.g. request: {url: \"https://flags.example.com/api/flags/{{flag}}/off\"}",
            ])
    }
}
