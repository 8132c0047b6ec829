import RewindConfig
import RewindCore
import RewindSpecs
import Testing

@Suite("Notification channels, routes, audiences and escalation map to the typed policy")
struct NotificationMappingTests {
    static let environment = [
        "SLACK_CRITICAL_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/critical-hook-secret",
        "SLACK_HIGH_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/high-hook-secret",
        "SLACK_BOT_TOKEN": "xoxb-bot-token-value",
        "PAGERDUTY_ROUTING_KEY": "pd-routing-key-value",
        "SMTP_USERNAME": "smtp-user-name",
        "SMTP_PASSWORD": "smtp-password-value",
        "TEAMS_WEBHOOK_URL": "https://example.webhook.office.com/teams-hook-secret",
        "OPSGENIE_API_KEY": "opsgenie-key-value",
        "REWIND_WEBHOOK_SECRET": "webhook-signing-secret",
    ]

    static let yaml = """
        notifications:
          console: true
          file: rewind-notifications.jsonl
          timeout: 15s
          retry: { attempts: 4, base_delay: 2s, max_delay: 2m }
          channels:
            slack-critical: { type: slack_webhook, url: "${SLACK_CRITICAL_WEBHOOK_URL}" }
            slack-high:
              type: slack_webhook
              url: "${SLACK_HIGH_WEBHOOK_URL}"
              templates:
                completed: "✅ {{service}} is back on {{version}}"
                would_roll_back: |
                  Would roll back {{service}}
            slack-bot:
              type: slack_chat
              token: "${SLACK_BOT_TOKEN}"
              channel: "#alerts-critical"
              api_url: http://127.0.0.1:9001/api
            pagerduty: { type: pagerduty, routing_key: "${PAGERDUTY_ROUTING_KEY}" }
            oncall-email:
              type: email
              host: smtp.example.com
              security: starttls
              username: "${SMTP_USERNAME}"
              password: "${SMTP_PASSWORD}"
              from: rewind@example.com
              to: [oncall@example.com, backup-oncall@example.com]
              ca_file: certs/private-relay.pem
              timeout: 20s
            devops-email:
              { type: email, host: smtp.example.com, security: tls, from: rewind@example.com, to: [devops@example.com] }
            local-email:
              { type: email, host: 127.0.0.1, port: 2525, security: none, from: rewind@example.com, to: [me@localhost] }
            teams: { type: teams, url: "${TEAMS_WEBHOOK_URL}" }
            opsgenie: { type: opsgenie, api_key: "${OPSGENIE_API_KEY}", url: https://api.eu.opsgenie.com }
            audit: { type: webhook, url: https://hooks.example.com/rewind, secret: "${REWIND_WEBHOOK_SECRET}" }
            plain-hook: { type: webhook, url: https://hooks.example.com/plain }
          routes:
            initiated: [slack-critical, oncall-email, pagerduty]
            completed: [slack-high, devops-email, pagerduty]
            failed:    [slack-critical, oncall-email, pagerduty, console]
            would_roll_back: []
          audiences:
            oncall: [pagerduty, oncall-email]
            management: [teams]
            security: [file, audit]
        escalation:
          immediate: { oncall: 0s, management: 10m }
          delayed:   { devops: 20m }
          post_mortem_within: 48h
          slow_rollback_after: 7m
        """ + "\n" + minimalServices

    let configuration: RewindConfiguration

    init() throws {
        configuration = try ConfigLoader.parse(
            yaml: Self.yaml,
            path: "/etc/rewind/rewind.yaml",
            environment: Self.environment
        ).get()
    }

    var notifications: NotificationPolicy { configuration.policy.notifications }

    func channel(_ name: String) -> ChannelKind? {
        configuration.channels.first { $0.name == name }?.kind
    }

    func secret(_ name: String) -> ConfigText {
        ConfigText(Self.environment[name] ?? "", isSecret: true)
    }

    @Test("console and file stay in the settings and lead the channels; the rest keep their written order")
    func channelOrder() {
        #expect(
            configuration.notifications
                == NotificationSettings(console: true, file: "/etc/rewind/rewind-notifications.jsonl")
        )
        #expect(notifications.channelNames == configuration.channels.map(\.name))
        #expect(
            configuration.channels.map(\.name) == [
                "console", "file", "slack-critical", "slack-high", "slack-bot", "pagerduty", "oncall-email",
                "devops-email", "local-email", "teams", "opsgenie", "audit", "plain-hook",
            ]
        )
        #expect(channel("console") == .console)
        #expect(channel("file") == .file(path: "/etc/rewind/rewind-notifications.jsonl"))
    }

    @Test("delivery timeout and retry")
    func delivery() {
        #expect(notifications.timeout == .seconds(15))
        #expect(notifications.retry == RetryPolicy(attempts: 4, baseDelay: .seconds(2), maxDelay: .seconds(120)))
    }

    @Test("Slack, PagerDuty, Teams, Opsgenie and webhooks, with the vendors' URLs unless overridden")
    func httpChannels() {
        #expect(channel("slack-critical") == .slackWebhook(url: secret("SLACK_CRITICAL_WEBHOOK_URL")))
        #expect(
            channel("slack-bot")
                == .slackChat(
                    token: secret("SLACK_BOT_TOKEN"),
                    channel: "#alerts-critical",
                    apiURL: "http://127.0.0.1:9001/api"
                )
        )
        #expect(
            channel("pagerduty")
                == .pagerDuty(routingKey: secret("PAGERDUTY_ROUTING_KEY"), url: "https://events.pagerduty.com")
        )
        #expect(channel("teams") == .teams(url: secret("TEAMS_WEBHOOK_URL")))
        #expect(
            channel("opsgenie") == .opsgenie(apiKey: secret("OPSGENIE_API_KEY"), url: "https://api.eu.opsgenie.com")
        )
        #expect(
            channel("audit")
                == .webhook(
                    url: ConfigText("https://hooks.example.com/rewind"),
                    secret: secret("REWIND_WEBHOOK_SECRET")
                )
        )
        #expect(channel("plain-hook") == .webhook(url: ConfigText("https://hooks.example.com/plain"), secret: nil))
    }

    @Test("channel_failed is an event like the others: its own template and its own route")
    func channelFailedTemplateAndRoute() throws {
        let yaml = """
            notifications:
              channels:
                slack-critical:
                  type: slack_webhook
                  url: "${SLACK_CRITICAL_WEBHOOK_URL}"
                  templates:
                    channel_failed: "{{failed_channel}} is down ({{error}})"
                pagerduty: { type: pagerduty, routing_key: "${PAGERDUTY_ROUTING_KEY}" }
              routes:
                channel_failed: [slack-critical]
            """ + "\n" + minimalServices
        let (parsed, problems) = parse(yaml, environment: Self.environment)
        #expect(problems.isEmpty, "\(problems)")
        let configuration = try #require(parsed)
        let slack = try #require(configuration.channels.first { $0.name == "slack-critical" })
        #expect(slack.templates == [.channelFailed: "{{failed_channel}} is down ({{error}})"])
        #expect(configuration.policy.notifications.channelNames(for: .channelFailed) == ["slack-critical"])
    }

    @Test("the Slack chat and Opsgenie defaults are the vendors' APIs")
    func vendorDefaults() throws {
        let yaml = """
            notifications:
              channels:
                bot: { type: slack_chat, token: "${SLACK_BOT_TOKEN}", channel: C0123456 }
                genie: { type: opsgenie, api_key: "${OPSGENIE_API_KEY}" }
            """ + "\n" + minimalServices
        let channels = try #require(parse(yaml, environment: Self.environment).configuration).channels
        #expect(
            channels.map(\.kind) == [
                .console,
                .slackChat(token: secret("SLACK_BOT_TOKEN"), channel: "C0123456", apiURL: "https://slack.com/api"),
                .opsgenie(apiKey: secret("OPSGENIE_API_KEY"), url: "https://api.opsgenie.com"),
            ]
        )
    }

    @Test("email: STARTTLS with a login and a CA file, TLS on 465, plain SMTP to a local relay")
    func email() {
        #expect(
            channel("oncall-email")
                == .email(
                    EmailSpec(
                        host: "smtp.example.com",
                        port: 587,
                        security: .starttls,
                        username: secret("SMTP_USERNAME"),
                        password: secret("SMTP_PASSWORD"),
                        from: "rewind@example.com",
                        to: ["oncall@example.com", "backup-oncall@example.com"],
                        caFile: "/etc/rewind/certs/private-relay.pem",
                        timeout: .seconds(20)
                    )
                )
        )
        #expect(
            channel("devops-email")
                == .email(
                    EmailSpec(
                        host: "smtp.example.com",
                        port: 465,
                        security: .tls,
                        from: "rewind@example.com",
                        to: ["devops@example.com"]
                    )
                )
        )
        #expect(
            channel("local-email")
                == .email(
                    EmailSpec(
                        host: "127.0.0.1",
                        port: 2525,
                        security: .none,
                        from: "rewind@example.com",
                        to: ["me@localhost"]
                    )
                )
        )
    }

    @Test("plain SMTP defaults to port 25")
    func plainSMTPPort() throws {
        let yaml = """
            notifications:
              channels:
                relay: { type: email, host: relay.internal, security: none, from: a@b, to: [c@d] }
            """ + "\n" + minimalServices
        let channels = try #require(parse(yaml).configuration).channels
        #expect(
            channels.last?.kind
                == .email(EmailSpec(host: "relay.internal", port: 25, security: .none, from: "a@b", to: ["c@d"]))
        )
    }

    @Test("template overrides are kept as written, per event")
    func templates() {
        let slackHigh = configuration.channels.first { $0.name == "slack-high" }
        #expect(
            slackHigh?.templates == [
                .completed: "✅ {{service}} is back on {{version}}",
                .wouldRollBack: "Would roll back {{service}}\n",
            ]
        )
        #expect(configuration.channels.first { $0.name == "slack-critical" }?.templates == [:])
    }

    @Test("routes name channels per event; an event left out goes to every channel; an empty route goes nowhere")
    func routes() {
        #expect(
            notifications.routes == [
                .initiated: ["slack-critical", "oncall-email", "pagerduty"],
                .completed: ["slack-high", "devops-email", "pagerduty"],
                .failed: ["slack-critical", "oncall-email", "pagerduty", "console"],
                .wouldRollBack: [],
            ]
        )
        #expect(notifications.channelNames(for: .initiated) == ["slack-critical", "pagerduty", "oncall-email"])
        #expect(notifications.channelNames(for: .escalated) == notifications.channelNames)
        #expect(notifications.channelNames(for: .wouldRollBack).isEmpty)
    }

    @Test("audiences name the channels each escalation reaches")
    func audiences() {
        #expect(
            notifications.audiences == [
                .oncall: ["pagerduty", "oncall-email"], .management: ["teams"], .security: ["file", "audit"],
            ]
        )
        #expect(notifications.channelNames(for: Audience.devops) == nil)
    }

    @Test("escalation: written audiences replace the default ones; durations as written")
    func escalation() {
        #expect(
            configuration.policy.escalation
                == EscalationPolicy(
                    immediate: [.oncall: .zero, .management: .seconds(600)],
                    delayed: [.devops: .seconds(1200)],
                    postMortemWithin: .seconds(172_800),
                    slowRollbackAfter: .seconds(420)
                )
        )
    }

    @Test("every credential is marked secret, prints as <redacted>, and is in the redactor")
    func secretsRedacted() {
        #expect(Set(configuration.redactor.secrets) == Set(Self.environment.values))
        for (_, value) in Self.environment {
            #expect(configuration.redactor.redact("sent \(value)") == "sent <redacted>")
        }
        #expect(String(describing: secret("SLACK_BOT_TOKEN")) == "<redacted>")
        if case .slackChat(let token, _, _, _) = channel("slack-bot") {
            #expect(token.isSecret)
            #expect(token.description == "<redacted>")
        } else {
            Issue.record("expected a slack_chat channel")
        }
    }

    @Test("with no notifications or escalation section, the policy is RewindCore's default")
    func defaults() throws {
        let configuration = try #require(parse(minimalServices).configuration)
        #expect(configuration.policy.notifications == NotificationPolicy())
        #expect(configuration.channels == [ChannelSpec(name: "console", kind: .console)])
        #expect(configuration.policy.escalation == EscalationPolicy())
        #expect(configuration.notifications == NotificationSettings())
    }

    @Test("turning the console off leaves no built-in channel")
    func consoleOff() throws {
        let configuration = try #require(parse("notifications: { console: false }\n" + minimalServices).configuration)
        #expect(configuration.policy.notifications.channelNames == [])
        #expect(configuration.channels == [])
        #expect(configuration.notifications == NotificationSettings(console: false, file: nil))
    }

    @Test("escalation keys left out keep their defaults")
    func partialEscalation() throws {
        let configuration = try #require(
            parse("escalation: { post_mortem_within: 12h }\n" + minimalServices).configuration
        )
        var expected = EscalationPolicy()
        expected.postMortemWithin = .seconds(43_200)
        #expect(configuration.policy.escalation == expected)
    }
}
