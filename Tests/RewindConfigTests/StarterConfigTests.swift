import RewindConfig
import RewindCore
import RewindSpecs
import Testing

@Suite("The starter configuration")
struct StarterConfigTests {
    @Test("validates without its secrets (--skip-secrets), listing each variable's uses as not checked")
    func validatesWithoutSecrets() throws {
        let validation = try ConfigLoader.parse(
            yaml: StarterConfig.yaml, path: "/etc/rewind/rewind.yaml", environment: [:], skippingAbsentSecrets: true
        ).get()
        #expect(validation.notChecked.allSatisfy { $0.path.hasPrefix("notifications.channels.") })
        let named = Set(
            StarterConfig.variables.map(\.name).filter { name in
                validation.notChecked.contains { $0.message.contains("variable \(name) ") }
            })
        #expect(named == Set(StarterConfig.variables.map(\.name)))
    }

    @Test("without the variables, each one is named with what it is for, at the key that reads it")
    func namesMissingVariables() {
        let found = parse(StarterConfig.yaml).problems
        #expect(!found.isEmpty)
        #expect(
            found.allSatisfy {
                $0.message.hasPrefix("environment variable ")
                    && $0.message.hasSuffix("is not set; export it or use ${file:/path/to/file}")
            })
        let messages = Set(found.map { "\($0.path): \($0.message.prefix { $0 != ";" })" })
        #expect(
            messages.contains(
                "notifications.channels.slack-critical.token: environment variable SLACK_BOT_TOKEN (the bot token) is not set"
            ))
        #expect(
            messages.contains(
                "notifications.channels.pagerduty.routing_key: environment variable PAGERDUTY_ROUTING_KEY (the routing key) is not set"
            ))
        #expect(
            messages.contains(
                "notifications.channels.oncall-email.username: environment variable SMTP_USERNAME (the SMTP username) is not set"
            ))
        #expect(
            messages.contains(
                "notifications.channels.devops-email.password: environment variable SMTP_PASSWORD (the SMTP password) is not set"
            ))
    }

    @Test("with its variables set, parses with no problems, and every value it read is a secret")
    func parsesWithVariables() throws {
        let result = parse(StarterConfig.yaml, environment: starterEnvironment)
        #expect(result.problems == [])
        let configuration = try #require(result.configuration)
        #expect(Set(configuration.redactor.secrets) == Set(starterEnvironment.values))
    }

    @Test("writes out exactly RewindCore's defaults")
    func matchesDefaults() throws {
        let configuration = try #require(parse(StarterConfig.yaml, environment: starterEnvironment).configuration)
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
        #expect(policy.notifications.retry == NotificationPolicy().retry)
        #expect(policy.notifications.timeout == NotificationPolicy().timeout)
        #expect(policy.escalation == EscalationPolicy())
        #expect(configuration.statePath == "/etc/rewind/rewind.db")
        for check in policy.services.flatMap(\.checks) {
            #expect(check.interval == Defaults.checkInterval)
            #expect(check.timeout == Defaults.checkTimeout)
            #expect(check.confirmInterval == Defaults.confirmInterval)
            #expect(check.expectedStatuses == 200...299)
        }
    }

    @Test("has the guide's three services, dependencies, checks and commands")
    func guideServices() throws {
        let configuration = try #require(parse(StarterConfig.yaml, environment: starterEnvironment).configuration)
        let policy = configuration.policy
        #expect(policy.services.map(\.name) == ["frontend", "backend", "worker"])

        let frontend = try #require(policy.service("frontend"))
        #expect(frontend.dependsOn == ["backend"])
        #expect(frontend.rollbackTimeout == .seconds(120))
        #expect(frontend.checks.map(\.url) == ["https://frontend.example.com/api/health"])
        #expect(frontend.checks.first?.severity == .critical)
        #expect(frontend.hasFallback)
        #expect(
            configuration.platforms["frontend"]?.provider
                == .command(CommandProviderSpec(rollback: ["vercel", "rollback", "{{target.id}}", "--yes"]))
        )
        #expect(
            configuration.platforms["frontend"]?.fallback
                == .command(CommandProviderSpec(rollback: ["vercel", "promote", "{{target.id}}", "--yes"]))
        )

        let backend = try #require(policy.service("backend"))
        #expect(backend.dependsOn == ["worker"])
        #expect(backend.rollbackTimeout == .seconds(180))
        #expect(backend.checks.map(\.url) == ["https://api.example.com/health"])
        #expect(
            configuration.platforms["backend"]?.provider
                == .command(CommandProviderSpec(rollback: ["railway", "rollback", "--service", "backend"]))
        )

        let worker = try #require(policy.service("worker"))
        #expect(worker.dependsOn == [])
        #expect(worker.rollbackTimeout == .seconds(180))
        #expect(worker.checks.map(\.url) == ["https://worker.example.com/health"])
        #expect(worker.checks.first?.severity == .nonCritical)
    }

    static func notice(_ kind: NoticeKind, _ strategy: Strategy?, _ severity: Severity = .critical) -> Notice {
        Notice(
            kind: kind, incidentID: 1, services: ["backend"], trigger: .healthCritical, severity: severity,
            timestamp: Timestamp(millisecondsSinceEpoch: 1_790_000_000_000), strategy: strategy, actions: [], status: ""
        )
    }

    @Test("its channels are live and route as the guide says")
    func guideRouting() throws {
        let configuration = try #require(parse(StarterConfig.yaml, environment: starterEnvironment).configuration)
        let notifications = configuration.policy.notifications
        #expect(notifications.channelNames == configuration.channels.map(\.name))
        #expect(
            configuration.channels.map(\.name) == [
                "console", "slack-critical", "slack-high", "pagerduty", "oncall-email", "devops-email",
                "management-email",
            ]
        )
        let slackChannels = configuration.channels.compactMap { channel -> String? in
            guard case .slackChat(_, let slackChannel, _, _) = channel.kind else { return nil }
            return slackChannel
        }
        #expect(slackChannels == ["#alerts-critical", "#alerts-high"])
        let recipients = configuration.channels.compactMap { channel -> [String]? in
            guard case .email(let email) = channel.kind else { return nil }
            return email.to
        }
        #expect(recipients == [["oncall@example.com"], ["devops@example.com"], ["management@example.com"]])
        // The guide: an immediate rollback pages on-call (#alerts-critical, on-call email, PagerDuty P1); a
        // fast one tells devops at high priority; completed goes to #alerts-high and the devops email (and
        // PagerDuty, to resolve its incident); failed to the critical channels and PagerDuty.
        let oncall = ["console", "slack-critical", "pagerduty", "oncall-email"]
        let devops = ["console", "slack-high", "devops-email"]
        #expect(notifications.channelNames(for: Self.notice(.initiated, .immediate)) == oncall)
        for strategy in [Strategy.fast, .gradual, .canary] {
            #expect(notifications.channelNames(for: Self.notice(.initiated, strategy, .high)) == devops)
        }
        #expect(
            notifications.channelNames(for: Self.notice(.completed, .fast))
                == ["console", "slack-high", "pagerduty", "devops-email"])
        #expect(notifications.channelNames(for: Self.notice(.failed, .immediate)) == oncall)
        #expect(notifications.channelNames(for: Self.notice(.escalated, nil)) == oncall)
        #expect(notifications.channelNames(for: Self.notice(.wouldRollBack, .fast)) == ["console", "slack-high"])
        #expect(notifications.audiences[.oncall] == ["pagerduty", "oncall-email"])
        #expect(notifications.audiences[.management] == ["management-email"])
        #expect(notifications.audiences[.devops] == ["devops-email", "slack-high"])
        #expect(notifications.audiences[.product] == ["slack-high"])
        #expect(notifications.audiences[.security] == ["slack-critical", "oncall-email"])
    }

    @Test("reads no environment variable outside the notification channels' credentials")
    func environmentReferencesOnlyInChannels() {
        let liveLines = StarterConfig.yaml.split(separator: "\n").map {
            $0.split(separator: "#", omittingEmptySubsequences: false)[0]
        }
        let references = liveLines.filter { $0.contains("${") }
        #expect(!references.isEmpty)
        #expect(references.allSatisfy { line in StarterConfig.variables.contains { line.contains("${\($0.name)}") } })
    }
}
