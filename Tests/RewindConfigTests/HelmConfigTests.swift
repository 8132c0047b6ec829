import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

@Suite("Config: helm provider")
struct HelmConfigTests {
    static func service(_ lines: String) -> String {
        GitConfigTests.service(lines)
    }

    static func spec(_ lines: String, environment: [String: String] = [:]) throws -> HelmProviderSpec {
        let parsed = parse(service(lines), environment: environment)
        let configuration = try #require(parsed.configuration, "\(parsed.problems)")
        guard case .helm(let spec) = configuration.firstServiceSpecs?.provider else {
            Issue.record("expected a helm provider")
            throw GitConfigTests.FixtureFailure()
        }
        return spec
    }

    static func found(_ lines: String) -> [String] {
        parse(service(lines)).problems.map { "\($0.line) \($0.path): \($0.message)" }
    }

    @Test("the smallest helm provider takes the documented defaults")
    func defaults() throws {
        let spec = try Self.spec("type: helm\nrelease: web\nnamespace: shop")
        #expect(spec == HelmProviderSpec(release: "web", namespace: "shop"))
        #expect(spec.binary == "helm")
        #expect(spec.waitTimeout == .seconds(300))
        #expect(spec.commandTimeout == .seconds(360))
        #expect(spec.historyLimit == 20)
        #expect(ProviderSpec.helm(spec).kind == "helm")
    }

    @Test("every key maps to the spec")
    func everyKey() throws {
        let spec = try Self.spec(
            """
            type: helm
            release: web.v2
            namespace: shop
            binary: /usr/local/bin/helm
            kube_context: prod-eu
            kubeconfig: kube/config
            wait_timeout: 2m
            timeout: 3m
            history: 50
            env: { HELM_CACHE_HOME: /var/cache/helm }
            """)
        #expect(spec.release == "web.v2")
        #expect(spec.binary == "/usr/local/bin/helm")
        #expect(spec.kubeContext == "prod-eu")
        #expect(spec.kubeconfig == "/etc/rewind/kube/config")
        #expect(spec.waitTimeout == .seconds(120))
        #expect(spec.commandTimeout == .seconds(180))
        #expect(spec.historyLimit == 50)
        #expect(spec.environment["HELM_CACHE_HOME"]?.value == "/var/cache/helm")
    }

    @Test("names that helm would read as options, or that Helm refuses, are problems at their line")
    func badNames() {
        let problems = Self.found(
            """
            type: helm
            release: --dry-run
            namespace: Shop_1
            kube_context: -x
            binary: --help
            history: 0
            """)
        #expect(
            problems == [
                "6 services.backend.provider.release: the release '--dry-run' must start and end with a letter or digit (no '-' or '.' at either end)",
                "7 services.backend.provider.namespace: the namespace 'Shop_1' is not a valid name: use lowercase letters, digits and '-'",
                "8 services.backend.provider.kube_context: the kube context '-x' starts with '-' (helm would read it as an option)",
                "9 services.backend.provider.binary: '--help' is not a program name; write helm or an absolute path such as /usr/local/bin/helm",
                "10 services.backend.provider.history: expected a whole number from 1 to 1000, got the number 0",
            ], "\(problems)")
    }

    @Test("a missing release names the key; a deadline shorter than helm's own wait is refused with the fix")
    func requiredAndTimeouts() {
        let missing = Self.found("type: helm\nnamespace: shop")
        #expect(missing.count == 1)
        #expect(missing.first?.contains("missing required key 'release'") == true)
        let short = Self.found("type: helm\nrelease: web\nnamespace: shop\nwait_timeout: 5m\ntimeout: 1m")
        #expect(short.count == 1)
        #expect(
            short.first?.hasPrefix(
                "9 services.backend.provider.timeout: timeout (1m) must be longer than wait_timeout (5m)") == true,
            "\(short)")
    }
}
