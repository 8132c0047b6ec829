import RewindConfig
import RewindCore
import Testing

@Suite("The starter configuration")
struct StarterConfigTests {
    @Test("parses with no environment and no problems")
    func parsesCleanly() throws {
        let result = parse(StarterConfig.yaml)
        #expect(result.problems == [])
        #expect(result.configuration != nil)
    }

    @Test("writes out exactly RewindCore's defaults")
    func matchesDefaults() throws {
        let configuration = try #require(parse(StarterConfig.yaml).configuration)
        let policy = configuration.policy
        #expect(policy.mode == .enforce)
        #expect(policy.bake == Defaults.bake)
        #expect(policy.health == HealthRules())
        #expect(policy.health.critical == Defaults.criticalHealth)
        #expect(policy.health.nonCritical == Defaults.nonCriticalHealth)
        #expect(policy.health.recovery == Defaults.recovery)
        #expect(policy.strategies == StrategyTimings())
        #expect(policy.verification == VerificationPolicy())
        #expect(policy.safety == SafetyLimits())
        #expect(policy.retry == RetryPolicy())
        #expect(configuration.server == ServerSettings(host: Defaults.listenHost, port: Defaults.listenPort))
        #expect(configuration.notifications == NotificationSettings(console: true, file: nil))
        #expect(configuration.statePath == "/etc/rewind/rewind.db")
        #expect(configuration.redactor.secrets.isEmpty)
        for check in policy.services.flatMap(\.checks) {
            #expect(check.interval == Defaults.checkInterval)
            #expect(check.timeout == Defaults.checkTimeout)
            #expect(check.confirmInterval == Defaults.confirmInterval)
            #expect(check.expectedStatuses == 200...299)
        }
    }

    @Test("has the guide's three services, dependencies, checks and commands")
    func guideServices() throws {
        let policy = try #require(parse(StarterConfig.yaml).configuration).policy
        #expect(policy.services.map(\.name) == ["frontend", "backend", "worker"])

        let frontend = try #require(policy.service("frontend"))
        #expect(frontend.dependsOn == ["backend"])
        #expect(frontend.rollbackTimeout == .seconds(120))
        #expect(frontend.checks.map(\.url) == ["https://frontend.example.com/api/health"])
        #expect(frontend.checks.first?.severity == .critical)
        #expect(
            frontend.provider
                == .command(CommandProviderSpec(rollback: ["vercel", "rollback", "{{target.id}}", "--yes"]))
        )
        #expect(
            frontend.fallback
                == .command(CommandProviderSpec(rollback: ["vercel", "promote", "{{target.id}}", "--yes"]))
        )

        let backend = try #require(policy.service("backend"))
        #expect(backend.dependsOn == ["worker"])
        #expect(backend.rollbackTimeout == .seconds(180))
        #expect(backend.checks.map(\.url) == ["https://api.example.com/health"])
        #expect(
            backend.provider
                == .command(CommandProviderSpec(rollback: ["railway", "rollback", "--service", "backend"]))
        )

        let worker = try #require(policy.service("worker"))
        #expect(worker.dependsOn == [])
        #expect(worker.rollbackTimeout == .seconds(180))
        #expect(worker.checks.map(\.url) == ["https://worker.example.com/health"])
        #expect(worker.checks.first?.severity == .nonCritical)
    }

    @Test("references no environment variable outside comments")
    func noEnvironmentReferences() {
        let liveLines = StarterConfig.yaml.split(separator: "\n").map {
            $0.split(separator: "#", omittingEmptySubsequences: false)[0]
        }
        #expect(!liveLines.contains { $0.contains("${") })
    }
}
