import AsyncHTTPClient
import RewindCore
import RewindNotify
import RewindPorts
import RewindSandbox
import RewindSpecs
import Synchronization
import Testing

@Suite("ChannelFactory")
struct ChannelFactoryTests {
    @Test func everyKindBuildsANotifierUnderTheChannelsName() throws {
        let secret = ConfigText("secret-value-123", isSecret: true)
        let kinds: [ChannelKind] = [
            .console, .file(path: "/tmp/rewind-factory-test.jsonl"), .slackWebhook(url: secret),
            .slackChat(token: secret, channel: "C1", apiURL: ""), .pagerDuty(routingKey: secret, url: ""),
            .email(
                EmailSpec(
                    host: "127.0.0.1",
                    port: 2525,
                    security: .none,
                    from: "rewind@example.test",
                    to: ["a@example.test"]
                )
            ),
            .teams(url: secret), .opsgenie(apiKey: secret, url: ""), .webhook(url: secret, secret: secret),
        ]
        let expected: [(any Notifier.Type)?] = [
            nil, nil, SlackWebhookNotifier.self, SlackChatNotifier.self, PagerDutyNotifier.self,
            EmailNotifier.self, TeamsNotifier.self, OpsgenieNotifier.self, WebhookNotifier.self,
        ]
        for (kind, type) in zip(kinds, expected) {
            let spec = ChannelSpec(name: "my-\(kind.type)", kind: kind)
            let notifier = try ChannelFactory.make(spec, client: .shared, redactor: Redactor(), console: nil)
            #expect(notifier.channel == "my-\(kind.type)")
            if let type {
                #expect(ObjectIdentifier(Swift.type(of: notifier)) == ObjectIdentifier(type), "\(kind.type)")
            }
        }
    }

    @Test func theConsoleChannelWritesWhereItIsTold() async throws {
        let lines = Mutex<[String]>([])
        let notifier = try ChannelFactory.make(
            ChannelSpec(name: "terminal", kind: .console),
            client: .shared,
            redactor: Redactor(),
            console: { line in lines.withLock { $0.append(line) } }
        )
        try await notifier.send(channelNotice(.initiated))
        #expect(lines.withLock { $0.count } == 1)
        #expect(lines.withLock { $0.first?.hasPrefix("🚨 [initiated]") } == true)
    }

    @Test func aBrokenTemplateOverrideFailsTheChannel() {
        let spec = ChannelSpec(
            name: "slack",
            kind: .slackWebhook(url: ConfigText("https://hooks.slack.com/services/x")),
            templates: [.failed: "{{#error}}unclosed"]
        )
        #expect {
            try ChannelFactory.make(spec, client: .shared, redactor: Redactor(), console: nil)
        } throws: { error in
            (error as? NoticeTemplateError)?.event == .failed
        }
    }

    @Test func overridesReachTheChannel() async throws {
        try await withSinks { harness in
            let spec = ChannelSpec(
                name: "slack",
                kind: .slackWebhook(url: ConfigText("\(harness.base)/slack/webhook/x")),
                templates: [.initiated: "Rolling back {{service}} because {{trigger}}"]
            )
            let notifier = try ChannelFactory.make(spec, client: harness.client, redactor: Redactor(), console: nil)
            try await notifier.send(channelNotice(.initiated))
            let text = harness.sinks.accepted(.slackWebhook).last?.json?["text"]?.string
            #expect(text == "Rolling back backend, worker because health_critical")
        }
    }

    @Test func theConfigurationsSecretsAreRedactedFromErrors() async throws {
        try await withSinks { harness in
            // The vendor echoes a configured secret in its error; the factory's redactor removes it.
            harness.sinks.failNext(1, path: "/webhook/", status: 400, body: "bad request for db-password-777")
            let spec = ChannelSpec(
                name: "hook",
                kind: .webhook(url: ConfigText("\(harness.base)/webhook/x"), secret: nil)
            )
            let notifier = try ChannelFactory.make(
                spec,
                client: harness.client,
                redactor: Redactor(secrets: ["db-password-777"]),
                console: nil
            )
            let error = try await #require(throws: ProviderError.self) {
                try await notifier.send(channelNotice(.failed))
            }
            #expect(error.kind == .rejected)
            #expect(!error.message.contains("db-password-777"))
            #expect(error.message.contains("<redacted>"))
        }
    }
}
