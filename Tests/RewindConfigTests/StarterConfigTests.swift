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
        #expect(policy.notifications == NotificationPolicy())
        #expect(policy.escalation == EscalationPolicy())
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

    @Test("its commented-out notification example, uncommented, routes as the guide says")
    func notificationExample() throws {
        let environment = [
            "SLACK_BOT_TOKEN": "xoxb-starter-token", "PAGERDUTY_ROUTING_KEY": "pd-starter-key",
            "SMTP_USERNAME": "starter-user", "SMTP_PASSWORD": "starter-password",
        ]
        let result = parse(Self.uncommented(StarterConfig.yaml), environment: environment)
        #expect(result.problems == [])
        let configuration = try #require(result.configuration)
        let notifications = configuration.policy.notifications
        #expect(
            notifications.channels.map(\.name) == [
                "console", "file", "slack-critical", "slack-high", "pagerduty", "oncall-email", "devops-email",
                "management-email",
            ]
        )
        let slackChannels = notifications.channels.compactMap { channel -> String? in
            guard case .slackChat(_, let slackChannel, _) = channel.kind else { return nil }
            return slackChannel
        }
        #expect(slackChannels == ["#alerts-critical", "#alerts-high"])
        let recipients = notifications.channels.compactMap { channel -> [String]? in
            guard case .email(let email) = channel.kind else { return nil }
            return email.to
        }
        #expect(recipients == [["oncall@example.com"], ["devops@example.com"], ["management@example.com"]])
        // The guide: initiated and failed to #alerts-critical, on-call email and PagerDuty P1;
        // completed to #alerts-high and devops email (and PagerDuty, to resolve its incident).
        let critical = ["console", "slack-critical", "oncall-email", "pagerduty"]
        #expect(notifications.routes[.initiated] == critical)
        #expect(notifications.routes[.failed] == critical)
        #expect(notifications.routes[.completed] == ["console", "slack-high", "devops-email", "pagerduty"])
        #expect(notifications.audiences[.oncall] == ["pagerduty", "oncall-email"])
        #expect(notifications.audiences[.management] == ["management-email"])
        #expect(Set(configuration.redactor.secrets) == Set(environment.values))
    }

    /// Uncomments every commented-out YAML key (`  #   key: value`) of the `notifications:` section,
    /// leaving the prose comments and the rest of the file alone.
    static func uncommented(_ yaml: String) -> String {
        var inNotifications = false
        return yaml.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if let first = line.first, first != " ", first != "#" { inNotifications = line == "notifications:" }
            let indent = line.prefix { $0 == " " }
            let rest = line.dropFirst(indent.count)
            guard inNotifications, rest.hasPrefix("# ") else { return String(line) }
            let body = rest.dropFirst(2)
            let text = body.drop { $0 == " " }
            let key = text.prefix { $0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-" }
            let isKey = !key.isEmpty && text.dropFirst(key.count).hasPrefix(":")
            return isKey ? String(indent + body) : String(line)
        }.joined(separator: "\n")
    }

    @Test("references no environment variable outside comments")
    func noEnvironmentReferences() {
        let liveLines = StarterConfig.yaml.split(separator: "\n").map {
            $0.split(separator: "#", omittingEmptySubsequences: false)[0]
        }
        #expect(!liveLines.contains { $0.contains("${") })
    }
}
