import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

@Suite("Notification and escalation problems: line, path and a fix")
struct NotificationProblemTests {
    static let environment = [
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/hook-secret",
        "PAGERDUTY_ROUTING_KEY": "pd-routing-key-value",
        "SMTP_PASSWORD": "smtp-password-value",
    ]

    func expectProblems(
        _ yaml: String,
        _ expected: [(line: Int, path: String, message: String)],
        environment: [String: String] = Self.environment,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let found = problems(yaml + "\n" + minimalServices, environment: environment)
        #expect(
            found.count == expected.count,
            "\(found.map(\.description).joined(separator: "\n"))",
            sourceLocation: sourceLocation
        )
        for (problem, (line, path, message)) in zip(found, expected) {
            #expect(problem.line == line, "\(problem)", sourceLocation: sourceLocation)
            #expect(problem.path == path, "\(problem)", sourceLocation: sourceLocation)
            #expect(problem.message == message, "\(problem)", sourceLocation: sourceLocation)
        }
    }

    @Test("routes and audiences naming unknown channels get a did-you-mean, or the list of channels")
    func unknownChannels() {
        expectProblems(
            """
            notifications:
              channels:
                slack-critical: { type: slack_webhook, url: "${SLACK_WEBHOOK_URL}" }
                pagerduty: { type: pagerduty, routing_key: "${PAGERDUTY_ROUTING_KEY}" }
              routes:
                initiated: [slack-critcal, pagerduty]
                failed: [pagerduty, pagerduty, email]
                completed: [file]
              audiences:
                oncall: [pager-duty]
                management: [console]
            """,
            [
                (
                    6, "notifications.routes.initiated[0]",
                    "unknown channel 'slack-critcal'; did you mean 'slack-critical'?"
                ),
                (7, "notifications.routes.failed[1]", "'pagerduty' is listed twice; list each channel once"),
                (
                    7, "notifications.routes.failed[2]",
                    "unknown channel 'email'; channels in this file: console, slack-critical, pagerduty"
                ),
                (
                    8, "notifications.routes.completed[0]",
                    "the file channel is off; set notifications.file to a path to use it"
                ),
                (10, "notifications.audiences.oncall[0]", "unknown channel 'pager-duty'; did you mean 'pagerduty'?"),
            ]
        )
        expectProblems(
            """
            notifications:
              console: false
              routes: { failed: [console, ops] }
            """,
            [
                (
                    3, "notifications.routes.failed[0]",
                    "the console channel is off; set notifications.console: true to use it"
                ),
                (3, "notifications.routes.failed[1]", "unknown channel 'ops'; define it under notifications.channels"),
            ]
        )
    }

    @Test("unknown events and audiences list the allowed ones")
    func unknownKeys() {
        let events =
            "'initiated', 'completed', 'failed', 'escalated', 'would_roll_back', 'channel_failed', 'task_overdue' or "
            + "'early_warning'"
        let audiences = "'oncall', 'management', 'devops', 'product' or 'security'"
        expectProblems(
            """
            notifications:
              routes:
                initated: [console]
                started: [console]
              audiences:
                on-call: [console]
                executives: [console]
              channels:
                hook:
                  type: webhook
                  url: https://hooks.example.com/x
                  templates: { complete: "done" }
            escalation:
              immediate: { oncall: 0s, managment: 5m }
              delayed: { devops: soon }
            """,
            [
                (
                    3, "notifications.routes.initated",
                    "unknown event 'initated'; use \(events); did you mean 'initiated'?"
                ),
                (4, "notifications.routes.started", "unknown event 'started'; use \(events)"),
                (
                    6, "notifications.audiences.on-call",
                    "unknown audience 'on-call'; use \(audiences); did you mean 'oncall'?"
                ),
                (7, "notifications.audiences.executives", "unknown audience 'executives'; use \(audiences)"),
                (
                    12, "notifications.channels.hook.templates.complete",
                    "unknown event 'complete'; use \(events); did you mean 'completed'?"
                ),
                (
                    14, "escalation.immediate.managment",
                    "unknown audience 'managment'; use \(audiences); did you mean 'management'?"
                ),
                (15, "escalation.delayed.devops", "invalid duration 'soon': use 30s, 2m, 1h, 1h30m or 250ms"),
            ]
        )
    }

    @Test("an unknown or missing channel type lists the types")
    func channelTypes() {
        let types = "'slack_webhook', 'slack_chat', 'pagerduty', 'email', 'teams', 'opsgenie' or 'webhook'"
        expectProblems(
            """
            notifications:
              channels:
                chat: { type: slack }
                pager: { type: pagerdutty }
                sms: { type: sms }
                nothing: { url: https://example.com }
            """,
            [
                (
                    3, "notifications.channels.chat.type",
                    "'slack' is not one of \(types); did you mean 'slack_webhook'?"
                ),
                (
                    4, "notifications.channels.pager.type",
                    "'pagerdutty' is not one of \(types); did you mean 'pagerduty'?"
                ),
                (5, "notifications.channels.sms.type", "'sms' is not one of \(types)"),
                (6, "notifications.channels.nothing", "missing required key 'type'; use one of \(types)"),
            ]
        )
    }

    @Test("each type's required keys, and keys that belong to another type")
    func requiredKeys() {
        expectProblems(
            """
            notifications:
              channels:
                slack-critical: { type: slack_webhook }
                bot: { type: slack_chat }
                pagerduty: { type: pagerduty, url: https://events.pagerduty.com }
                oncall-email: { type: email }
                teams: { type: teams }
                opsgenie: { type: opsgenie }
                audit: { type: webhook }
                hook: { type: webhook, url: https://hooks.example.com/x, routing_key: x }
            """,
            [
                (
                    3, "notifications.channels.slack-critical",
                    "missing required key 'url'; the incoming webhook URL, e.g. url: ${SLACK_CRITICAL_WEBHOOK_URL}"
                ),
                (
                    4, "notifications.channels.bot",
                    "missing required key 'token'; a bot token, e.g. token: ${BOT_TOKEN}"
                ),
                (4, "notifications.channels.bot", "missing required key 'channel'; e.g. channel: \"#alerts-critical\""),
                (
                    5, "notifications.channels.pagerduty",
                    "missing required key 'routing_key'; the integration key, "
                        + "e.g. routing_key: ${PAGERDUTY_ROUTING_KEY}"
                ),
                (
                    6, "notifications.channels.oncall-email",
                    "missing required key 'host'; the SMTP relay, e.g. host: smtp.example.com"
                ),
                (
                    6, "notifications.channels.oncall-email",
                    "missing required key 'from'; e.g. from: rewind@example.com"
                ),
                (6, "notifications.channels.oncall-email", "missing required key 'to'; e.g. to: [oncall@example.com]"),
                (
                    7, "notifications.channels.teams",
                    "missing required key 'url'; the workflow webhook URL, e.g. url: ${TEAMS_WEBHOOK_URL}"
                ),
                (
                    8, "notifications.channels.opsgenie",
                    "missing required key 'api_key'; e.g. api_key: ${OPSGENIE_API_KEY}"
                ),
                (
                    9, "notifications.channels.audit",
                    "missing required key 'url'; e.g. url: https://hooks.example.com/rewind"
                ),
                (
                    10, "notifications.channels.hook.routing_key",
                    "unknown key 'routing_key'; allowed keys here: type, url, secret, templates"
                ),
            ]
        )
    }

    @Test(
        "an inline credential is refused, names the variable to use, and is never printed",
        arguments: [
            (
                "slack-critical: { type: slack_webhook, url: \"https://hooks.slack.com/services/T/B/inline-secret\" }",
                "slack-critical.url", "the webhook URL is a credential", "url: ${SLACK_CRITICAL_WEBHOOK_URL}"
            ),
            (
                "teams: { type: teams, url: \"https://example.webhook.office.com/inline-secret\" }",
                "teams.url", "the webhook URL is a credential", "url: ${TEAMS_WEBHOOK_URL}"
            ),
            (
                "slack-bot: { type: slack_chat, token: xoxb-inline-secret, channel: \"#ops\" }",
                "slack-bot.token", "the bot token is a credential", "token: ${SLACK_BOT_TOKEN}"
            ),
            (
                "pagerduty: { type: pagerduty, routing_key: inline-secret }",
                "pagerduty.routing_key", "the routing key is a credential", "routing_key: ${PAGERDUTY_ROUTING_KEY}"
            ),
            (
                "opsgenie: { type: opsgenie, api_key: inline-secret }",
                "opsgenie.api_key", "the API key is a credential", "api_key: ${OPSGENIE_API_KEY}"
            ),
            (
                "oncall-email: { type: email, host: smtp.example.com, from: a@example.com, to: [b@example.com], "
                    + "username: rewind, password: inline-secret }",
                "oncall-email.password", "the SMTP password is a credential", "password: ${ONCALL_EMAIL_PASSWORD}"
            ),
            (
                "audit: { type: webhook, url: \"https://hooks.example.com/x\", secret: inline-secret }",
                "audit.secret", "the signing secret is a credential", "secret: ${AUDIT_WEBHOOK_SECRET}"
            ),
            (
                "teams-webhook: { type: teams, url: \"https://example.webhook.office.com/inline-secret\" }",
                "teams-webhook.url", "the webhook URL is a credential", "url: ${TEAMS_WEBHOOK_URL}"
            ),
        ]
    )
    func inlineCredential(channel: String, path: String, start: String, variable: String) {
        let found = problems("notifications:\n  channels:\n    \(channel)\n" + minimalServices)
        #expect(found.map(\.path) == ["notifications.channels.\(path)"])
        #expect(found.first?.line == 3)
        #expect(
            found.first?.message
                == "\(start): move it to an environment variable or a file, e.g. \(variable)"
        )
        #expect(!ConfigErrors(problems: found).message.contains("inline-secret"))
    }

    @Test("a route naming a channel that has a problem reports only that problem")
    func noCascade() {
        expectProblems(
            """
            notifications:
              channels:
                pagerduty: { type: pagerduty, routing_key: inline-secret }
              routes: { failed: [pagerduty] }
            """,
            [
                (
                    3, "notifications.channels.pagerduty.routing_key",
                    "the routing key is a credential: move it to an environment variable or a file, "
                        + "e.g. routing_key: ${PAGERDUTY_ROUTING_KEY}"
                )
            ]
        )
    }

    @Test("a credential from a file is accepted; an unset or empty variable is a problem")
    func credentialSources() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let keyFile = folder.appendingPathComponent("pagerduty-key")
        try "pd-key-from-file\n".write(to: keyFile, atomically: true, encoding: .utf8)
        let yaml = """
            notifications:
              channels:
                pagerduty: { type: pagerduty, routing_key: "${file:\(keyFile.path)}" }
            """ + "\n" + minimalServices
        let configuration = try #require(parse(yaml).configuration)
        #expect(
            configuration.channels.last?.kind
                == .pagerDuty(
                    routingKey: ConfigText("pd-key-from-file", isSecret: true),
                    url: "https://events.pagerduty.com"
                )
        )
        #expect(configuration.redactor.secrets == ["pd-key-from-file"])

        expectProblems(
            """
            notifications:
              channels:
                pagerduty: { type: pagerduty, routing_key: "${PD_KEY_NOT_SET}" }
                bot: { type: slack_chat, token: "${EMPTY_TOKEN}", channel: "#ops" }
            """,
            [
                (
                    3, "notifications.channels.pagerduty.routing_key",
                    "environment variable PD_KEY_NOT_SET (the routing key) is not set; export it or use ${file:/path/to/file}"
                ),
                (4, "notifications.channels.bot.token", "the bot token is empty; set BOT_TOKEN to it"),
            ],
            environment: ["EMPTY_TOKEN": ""]
        )
    }

    @Test("webhook and vendor URLs must be http(s) URLs; a secret URL is described, not shown")
    func urls() {
        expectProblems(
            """
            notifications:
              channels:
                slack: { type: slack_webhook, url: "${SLACK_WEBHOOK_URL}" }
                hook: { type: webhook, url: hooks.example.com/x }
                pagerduty: { type: pagerduty, routing_key: "${PAGERDUTY_ROUTING_KEY}", url: "https:///v2" }
            """,
            [
                (
                    3, "notifications.channels.slack.url",
                    "the value (not shown: it holds a secret) is not an http:// or https:// URL"
                ),
                (4, "notifications.channels.hook.url", "'hooks.example.com/x' is not an http:// or https:// URL"),
                (
                    5, "notifications.channels.pagerduty.url",
                    "'https:///v2' has no host; write e.g. https://api.example.com"
                ),
            ],
            environment: ["SLACK_WEBHOOK_URL": "ftp://secret-host.example.com/x", "PAGERDUTY_ROUTING_KEY": "pd-key-1"]
        )
    }

    @Test("email: addresses, recipients, port, security, and the login")
    func email() {
        expectProblems(
            """
            notifications:
              channels:
                a: { type: email, host: mx.example, from: rewind, to: [o@x.io, "Ops <ops@example.com>", "@x"] }
                b: { type: email, host: mx.example, from: r@x.io, to: [], port: 70000 }
                c: { type: email, host: mx.example, from: r@x.io, to: ops@example.com, security: ssl }
                d: { type: email, host: mx.example, from: r@x.io, to: [o@x.io], port: 0, username: rewind }
                e: { type: email, host: mx.example, from: r@x.io, to: [o@x.io], password: "${SMTP_PASSWORD}" }
                f:
                  type: email
                  host: smtp.example.com
                  security: none
                  username: rewind
                  password: "${SMTP_PASSWORD}"
                  from: r@example.com
                  to: [o@example.com]
                g: { type: email, host: "smtp example", from: r@x.io, to: [o@x.io], timeout: 0s }
            """,
            [
                (
                    3, "notifications.channels.a.from",
                    "'rewind' does not look like an email address; write e.g. oncall@example.com"
                ),
                (
                    3, "notifications.channels.a.to[1]",
                    "'Ops <ops@example.com>' does not look like an email address; write e.g. oncall@example.com"
                ),
                (
                    3, "notifications.channels.a.to[2]",
                    "'@x' does not look like an email address; write e.g. oncall@example.com"
                ),
                (4, "notifications.channels.b.to", "name at least one recipient, e.g. to: [oncall@example.com]"),
                (4, "notifications.channels.b.port", "expected a port number from 1 to 65535, got the number 70000"),
                (5, "notifications.channels.c.to", "write the recipients as a list, e.g. to: [oncall@example.com]"),
                (5, "notifications.channels.c.security", "'ssl' is not one of 'starttls', 'tls' or 'none'"),
                (6, "notifications.channels.d.port", "expected a port number from 1 to 65535, got the number 0"),
                (6, "notifications.channels.d.username", "a username needs a password; add password: ${D_PASSWORD}"),
                (7, "notifications.channels.e.password", "a password needs a username; add username: next to it"),
                (
                    13, "notifications.channels.f.password",
                    "security: none would send the password unencrypted to smtp.example.com; use starttls or tls "
                        + "(none is for relays on this machine only)"
                ),
                (
                    16, "notifications.channels.g.host",
                    "'smtp example' is not a host name; write e.g. host: smtp.example.com"
                ),
                (16, "notifications.channels.g.timeout", "must be between 100ms and 1h, got 0s"),
            ]
        )
    }

    @Test("channel names: reserved built-ins, invalid characters, an unquoted Slack channel, an empty template")
    func names() {
        expectProblems(
            """
            notifications:
              channels:
                console: { type: webhook, url: https://hooks.example.com/x }
                file: { type: webhook, url: https://hooks.example.com/y }
                "ops team": { type: webhook, url: https://hooks.example.com/z }
                bot:
                  type: slack_chat
                  token: "${SLACK_WEBHOOK_URL}"
                  channel: #alerts
                hook:
                  type: webhook
                  url: https://hooks.example.com/w
                  templates: { failed: "  " }
            """,
            [
                (
                    3, "notifications.channels.console",
                    "'console' is the name of the built-in console channel; turn it on with notifications.console: true"
                ),
                (
                    4, "notifications.channels.file",
                    "'file' is the name of the built-in file channel; turn it on with notifications.file: <path>"
                ),
                (
                    5, "notifications.channels.ops team",
                    "'ops team' is not a valid channel name: use letters, digits, '-' and '_'"
                ),
                (
                    9, "notifications.channels.bot.channel",
                    "expected a Slack channel; quote it, since # starts a YAML comment: channel: \"#alerts-critical\""
                ),
                (
                    13, "notifications.channels.hook.templates.failed",
                    "the template is empty; leave the event out to use the built-in message"
                ),
            ]
        )
    }

    @Test("notification delivery and escalation values")
    func deliveryAndEscalation() {
        expectProblems(
            """
            notifications:
              timeout: 0s
              retry: { attempts: 0 }
              channel: {}
            escalation:
              immediate: [oncall]
              post_mortem_within: tomorrow
              slow_rollback_after: 0s
              later: { devops: 1h }
            """,
            [
                (2, "notifications.timeout", "must be between 100ms and 1h, got 0s"),
                (3, "notifications.retry.attempts", "expected a whole number from 1 to 100, got the number 0"),
                (4, "notifications.channel", "unknown key 'channel'; did you mean 'channels'?"),
                (6, "escalation.immediate", "expected a mapping of keys to values, got a list"),
                (7, "escalation.post_mortem_within", "invalid duration 'tomorrow': use 30s, 2m, 1h, 1h30m or 250ms"),
                (8, "escalation.slow_rollback_after", "must be between 1s and 24h, got 0s"),
                (
                    9, "escalation.later",
                    "unknown key 'later'; allowed keys here: "
                        + "immediate, delayed, post_mortem_within, slow_rollback_after"
                ),
            ]
        )
    }
}
