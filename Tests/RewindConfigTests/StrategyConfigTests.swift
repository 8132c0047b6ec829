import RewindConfig
import RewindCore
import RewindSpecs
import Testing

/// `strategies.gradual`, `strategies.canary`, `strategies.immediate.deadline`, `tracking`, and a
/// service's `traffic:`, `flags:`, `migration:` and `rollout:`.
@Suite("Config: strategies that move traffic, and what a rollback moves besides the platform")
struct StrategyConfigTests {
    static let environment = ["CLOUDFLARE_API_TOKEN": "cf-secret-token-1234", "UNLEASH_TOKEN": "unleash-secret-5678"]

    static func frontend(_ extra: String) -> String {
        """
        services:
          frontend:
            checks:
              - name: health
                url: https://frontend.example.com/health
            provider:
              type: command
              rollback: [vercel, rollback, "{{target.id}}"]
        \(extra)
        """
    }

    static let traffic = """
            traffic:
              type: cloudflare
              token: ${CLOUDFLARE_API_TOKEN}
              account_id: 0123abcd
              pool: 9f8e7d
              stable_origin: stable
              new_origin: canary
        """

    @Test(
        "the guide's numbers by default: 50 %, 10 minutes, 1 and 2 minutes, 30 minutes, 60 s tracking, no fixed deadline"
    )
    func defaults() throws {
        let configuration = try #require(parse(minimalServices).configuration)
        let timings = configuration.policy.strategies
        #expect(timings.gradualReduction == 0.5 && timings.gradualWatch == .seconds(600))
        #expect(
            timings.trafficTimeout == .seconds(60) && timings.canaryRouteTimeout == .seconds(120)
                && timings.canaryAnalysis == .seconds(1800))
        #expect(timings.immediateDeadline == nil)
        #expect(configuration.policy.trackingInterval == .seconds(60))
        #expect(configuration.policy.services.first?.rollout == .standard)
    }

    @Test("strategies and tracking map to the policy")
    func mapped() throws {
        let yaml = """
            strategies:
              immediate: { timeout: 20s, deadline: 45s }
              gradual: { reduce_by: 75%, watch: 5m, traffic_timeout: 30s }
              canary: { stop_timeout: 20s, route_timeout: 90s, analysis: 1h }
            tracking: { interval: 5m }
            """ + "\n" + minimalServices
        let configuration = try #require(parse(yaml).configuration)
        let timings = configuration.policy.strategies
        #expect(timings.immediateTimeout == .seconds(20) && timings.immediateDeadline == .seconds(45))
        #expect(timings.gradualReduction == 0.75 && timings.gradualWatch == .seconds(300))
        #expect(timings.trafficTimeout == .seconds(20))  // the canary's stop_timeout, read last
        #expect(timings.canaryRouteTimeout == .seconds(90) && timings.canaryAnalysis == .seconds(3600))
        #expect(configuration.policy.trackingInterval == .seconds(300))
    }

    @Test("a share of traffic must be above 0 and at most 100 %")
    func badReduction() {
        let found = problems("strategies:\n  gradual: { reduce_by: 150% }\n" + minimalServices)
        #expect(found.map(\.path) == ["strategies.gradual.reduce_by"])
        #expect(found.first?.message.contains("at most 100") == true)
    }

    @Test("a service's traffic, flags, migration and rollout reach its policy; no secret in the policy's description")
    func serviceControls() throws {
        let controls = [
            "    rollout: canary",
            "    flags:",
            "      type: unleash",
            "      url: https://unleash.example.com",
            "      token: ${UNLEASH_TOKEN}",
            "      environment: production",
            "      disable: [all_features, a_b_testing]",
            "    migration:",
            "      rollback: [./migrate, down, \"{{target.version}}\"]",
            "      before_app: true",
        ]
        let yaml = Self.frontend(Self.traffic + "\n" + controls.joined(separator: "\n"))
        let parsed = parse(yaml, environment: Self.environment)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        let service = try #require(parsed.configuration?.policy.services.first)
        let specs = try #require(parsed.configuration?.firstServiceSpecs)
        #expect(specs.traffic?.kind == "cloudflare")
        #expect(service.rollout == .canary)
        #expect(specs.flags?.disable == ["all_features", "a_b_testing"])
        #expect(specs.migration?.beforeApp == true)
        #expect(specs.migration?.rollback == ["./migrate", "down", "{{target.version}}"])
        // What the plan needs of them is in the policy.
        #expect(service.hasTrafficControl)
        #expect(service.flags?.names == ["all_features", "a_b_testing"])
        #expect(service.migration == MigrationStep(beforeApp: true))
    }

    @Test("rollout: canary without traffic control is a problem that says what to add")
    func canaryNeedsTraffic() {
        let found = problems(Self.frontend("    rollout: canary"))
        #expect(found.map(\.path) == ["services.frontend.rollout"])
        #expect(found.first?.message.contains("add traffic:") == true)
    }
}
