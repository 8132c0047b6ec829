import AsyncHTTPClient
import RewindCore
import RewindNotify
import RewindPorts
import RewindSandbox
import Testing

@Suite("Slack channels")
struct SlackChannelTests {
    static let webhookSecretPath = "T0001/B0002/XyZsecretPathPart123"

    func webhook(
        _ harness: SinkHarness, id: String = "T0001-B0002-XyZsecretPathPart123", sources: [String] = []
    ) -> SlackWebhookNotifier {
        SlackWebhookNotifier(
            url: ConfigText("\(harness.base)/slack/webhook/\(id)", isSecret: true, sources: sources),
            name: "slack-critical",
            templates: .builtIn,
            client: harness.client
        )
    }

    func chat(_ harness: SinkHarness, token: String = "xoxb-sandbox", sources: [String] = []) -> SlackChatNotifier {
        SlackChatNotifier(
            token: ConfigText(token, isSecret: true, sources: sources),
            channel: "C0123456789",
            apiURL: "\(harness.base)/slack/api",
            name: "slack-bot",
            templates: .builtIn,
            client: harness.client
        )
    }

    @Test func webhookPostsTextAndBlocks() async throws {
        try await withSinks { harness in
            let notifier = webhook(harness)
            #expect(notifier.channel == "slack-critical")
            try await notifier.send(channelNotice(.initiated))

            let received = try #require(harness.sinks.accepted(.slackWebhook).last)
            #expect(received.headers["content-type"]?.hasPrefix("application/json") == true)
            let json = try #require(received.json)
            let text = try #require(json["text"]?.string)
            #expect(text.hasPrefix("🚨 AUTOMATED ROLLBACK INITIATED\n\n*Service*: backend, worker"))
            let blocks = try #require(json["blocks"]?.array)
            #expect(blocks.count == 2)
            #expect(blocks[0]["type"]?.string == "section")
            #expect(blocks[0]["text"]?["type"]?.string == "mrkdwn")
            #expect(blocks[0]["text"]?["text"]?.string == text)
            #expect(blocks[1]["type"]?.string == "context")
            #expect(blocks[1]["elements"]?[0]?["text"]?.string == "Rewind incident #7")
        }
    }

    @Test func aLongMessageIsSplitIntoSectionsSlackAccepts() async throws {
        try await withSinks { harness in
            let actions = (1...120).map {
                "roll back service-\($0) & keep <its> data " + String(repeating: "x", count: 40)
            }
            var notice = channelNotice(.initiated)
            notice.actions = actions
            try await webhook(harness).send(notice)

            let json = try #require(harness.sinks.accepted(.slackWebhook).last?.json)
            let sections = try #require(json["blocks"]?.array).filter { $0["type"]?.string == "section" }
            #expect(sections.count > 1)
            let texts = sections.compactMap { $0["text"]?["text"]?.string }
            #expect(texts.allSatisfy { $0.count <= 3000 })
            #expect(texts.joined(separator: "\n") == json["text"]?.string)
        }
    }

    @Test func untrustedTextIsEscapedAndNeverBreaksThePayload() async throws {
        try await withSinks { harness in
            let service: ServiceName = "<script>alert(\"x\")</script> & \"quoted\"\n}"
            let notice = channelNotice(.failed, services: [service], error: "<!channel> \"boom\" \\ {\"a\":1}")
            try await webhook(harness).send(notice)
            try await chat(harness).send(notice)

            for kind in [SinkKind.slackWebhook, .slackChat] {
                let received = try #require(harness.sinks.accepted(kind).last)
                let text = try #require(received.json?["text"]?.string, "the body is not valid JSON: \(received.body)")
                #expect(text.contains("*Service*: &lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; \"quoted\""))
                #expect(text.contains("*Error*: &lt;!channel&gt; \"boom\" \\ {\"a\":1}"))
                #expect(!text.contains("<"))
            }
        }
    }

    @Test func invalidPayloadIsRejectedWithSlacksCode() async throws {
        try await withSinks { harness in
            harness.sinks.failNext(1, path: "/slack/webhook/", status: 400, body: "invalid_payload")
            let error = try await #require(throws: ProviderError.self) {
                try await webhook(harness).send(channelNotice(.initiated))
            }
            #expect(error.kind == .rejected)
            #expect(!error.isTransient)
            #expect(error.message.contains("invalid_payload"))
            #expect(error.message.contains("slack-critical"))
            #expect(!error.message.contains(Self.webhookSecretPath))
            #expect(!error.message.contains("XyZsecretPathPart123"))
        }
    }

    @Test func aRevokedWebhookIsRejectedWithoutItsURL() async throws {
        try await withSinks { harness in
            harness.sinks.addSlackWebhook("another-webhook")
            let error = try await #require(throws: ProviderError.self) {
                try await webhook(harness).send(channelNotice(.completed))
            }
            #expect(error.kind == .rejected)
            #expect(error.message.contains("no_service"))
            #expect(error.message.contains("127.0.0.1"))
            #expect(!error.message.contains("XyZsecretPathPart123"))
            #expect(!error.message.contains("/slack/webhook"))
        }
    }

    @Test func rateLimitingCarriesRetryAfter() async throws {
        try await withSinks { harness in
            harness.sinks.failNext(1, path: "/slack/webhook/", status: 429, retryAfter: 7)
            let error = try await #require(throws: ProviderError.self) {
                try await webhook(harness).send(channelNotice(.initiated))
            }
            #expect(error.kind == .rateLimited)
            #expect(error.isTransient)
            #expect(error.retryAfter == .seconds(7))

            try await webhook(harness).send(channelNotice(.initiated))
            #expect(harness.sinks.accepted(.slackWebhook).count == 1)
            #expect(harness.sinks.received(.slackWebhook).count == 2)
        }
    }

    /// A 16-digit Retry-After used to trap converting to milliseconds; the outbox row stayed pending,
    /// so the daemon crashed again on every restart.
    @Test func aSixteenDigitRetryAfterIsAnHourNotACrash() async throws {
        try await withSinks { harness in
            harness.sinks.failNext(1, path: "/slack/webhook/", status: 429, retryAfter: 9_999_999_999_999_999)
            let error = try await #require(throws: ProviderError.self) {
                try await webhook(harness).send(channelNotice(.initiated))
            }
            #expect(error.kind == .rateLimited)
            #expect(error.retryAfter == .seconds(3600))
            #expect(error.message.contains("retry after 1h"))
        }
    }

    @Test func aSlackFailureIsTransient() async throws {
        try await withSinks { harness in
            harness.sinks.failNext(1, path: "/slack/", status: 500, body: "rollup_error")
            let error = try await #require(throws: ProviderError.self) {
                try await webhook(harness).send(channelNotice(.initiated))
            }
            #expect(error.kind == .server)
            #expect(error.isTransient)
            #expect(error.message.contains("rollup_error"))
        }
    }

    @Test func chatPostMessageSendsChannelTextAndBlocksWithTheBotToken() async throws {
        try await withSinks { harness in
            try await chat(harness).send(channelNotice(.completed))

            let received = try #require(harness.sinks.accepted(.slackChat).last)
            #expect(received.path == "/slack/api/chat.postMessage")
            #expect(received.headers["authorization"] == "Bearer xoxb-sandbox")
            #expect(received.headers["content-type"] == "application/json; charset=utf-8")
            let json = try #require(received.json)
            #expect(json["channel"]?.string == "C0123456789")
            #expect(json["text"]?.string?.hasPrefix("✅ ROLLBACK COMPLETED SUCCESSFULLY") == true)
            #expect(json["blocks"]?[0]?["type"]?.string == "section")
        }
    }

    @Test func chatPostMessageOkFalseInvalidAuthIsAnAuthError() async throws {
        try await withSinks { harness in
            let token = "xoxb-wrong-token-1234"
            let error = try #require(
                await #expect(throws: ProviderError.self) {
                    try await chat(harness, token: token).send(channelNotice(.initiated))
                }
            )
            #expect(error.kind == .auth)
            #expect(!error.isTransient)
            #expect(error.message.contains("invalid_auth"))
            #expect(!error.message.contains(token))
            #expect(harness.sinks.received(.slackChat).last?.status == 200)
        }
    }

    @Test func chatPostMessageHTTP429IsRateLimited() async throws {
        try await withSinks { harness in
            harness.sinks.failNext(1, path: "/slack/api/", status: 429, retryAfter: 30)
            let error = try await #require(throws: ProviderError.self) {
                try await chat(harness).send(channelNotice(.initiated))
            }
            #expect(error.kind == .rateLimited)
            #expect(error.retryAfter == .seconds(30))
        }
    }

    @Test func chatPostMessageOtherErrorCodesAreRejectedOrTransient() async throws {
        try await withSinks { harness in
            let unknownChannel = SlackChatNotifier(
                token: ConfigText("xoxb-sandbox"),
                channel: "",
                apiURL: "\(harness.base)/slack/api/",
                name: "slack-bot",
                templates: .builtIn,
                client: harness.client
            )
            let rejected = try await #require(throws: ProviderError.self) {
                try await unknownChannel.send(channelNotice(.failed))
            }
            #expect(rejected.kind == .rejected)
            #expect(rejected.message.contains("channel_not_found"))

            harness.sinks.failNext(1, path: "/slack/api/", status: 503)
            let unavailable = try await #require(throws: ProviderError.self) {
                try await chat(harness).send(channelNotice(.failed))
            }
            #expect(unavailable.kind == .server)
            #expect(unavailable.isTransient)
        }
    }

    @Test func aRefusedBotTokenNamesTheConfigurationKeyAndItsVariable() async throws {
        try await withSinks { harness in
            let token = "xoxb-wrong-token-1234"
            let notifier = chat(harness, token: token, sources: ["SLACK_BOT_TOKEN"])
            let error = try #require(
                await #expect(throws: ProviderError.self) { try await notifier.send(channelNotice(.initiated)) })
            #expect(error.kind == .auth)
            #expect(error.message.contains("invalid_auth"))
            #expect(error.message.contains("check notifications.channels.slack-bot.token (${SLACK_BOT_TOKEN})"))
            #expect(!error.message.contains(token))
        }
    }

    @Test func aRevokedWebhookNamesTheConfigurationKeyAndItsVariable() async throws {
        try await withSinks { harness in
            harness.sinks.addSlackWebhook("another-webhook")
            let notifier = webhook(harness, sources: ["SLACK_CRITICAL_WEBHOOK_URL"])
            let error = try await #require(throws: ProviderError.self) {
                try await notifier.send(channelNotice(.completed))
            }
            #expect(error.kind == .rejected)
            #expect(error.message.contains("no_service"))
            #expect(
                error.message.contains(
                    "check notifications.channels.slack-critical.url (${SLACK_CRITICAL_WEBHOOK_URL})"))
            #expect(!error.message.contains("XyZsecretPathPart123"))
        }
    }

    @Test func aManualRollbackIsHeadedManualInBlockKit() async throws {
        try await withSinks { harness in
            try await webhook(harness).send(manualNotice())
            let json = try #require(harness.sinks.accepted(.slackWebhook).last?.json)
            let header = try #require(json["blocks"]?[0]?["text"]?["text"]?.string)
            #expect(header.hasPrefix("🚨 MANUAL ROLLBACK INITIATED\n"))
            #expect(json["text"]?.string?.hasPrefix("🚨 MANUAL ROLLBACK INITIATED") == true)
            #expect(!header.contains("AUTOMATED"))
            #expect(header.contains("*Trigger*: manual"))
        }
    }

    @Test func aFailedChannelIsReportedWithItsName() async throws {
        try await withSinks { harness in
            try await chat(harness).send(channelFailedNotice("oncall-pager"))
            let json = try #require(harness.sinks.accepted(.slackChat).last?.json)
            let text = try #require(json["text"]?.string)
            #expect(text.hasPrefix("📵 NOTIFICATION CHANNEL FAILED: ONCALL-PAGER\n"))
            #expect(text.contains("*Channel*: oncall-pager"))
            #expect(text.contains("*Incident*: #7 (backend, worker, health_critical)"))
            #expect(!text.contains("ESCALATED"))
        }
    }

    @Test func aRefusedConnectionIsTransientAndNamesOnlyTheHost() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let notifier = SlackWebhookNotifier(
            url: ConfigText("http://127.0.0.1:1/services/T1/B1/secretpart999", isSecret: true),
            name: "slack",
            templates: .builtIn,
            client: client,
            timeout: .milliseconds(500)
        )
        let error = await #expect(throws: ProviderError.self) { try await notifier.send(channelNotice(.initiated)) }
        try await client.shutdown()
        let failure = try #require(error)
        #expect(failure.kind == .connection || failure.kind == .timeout)
        #expect(failure.isTransient)
        #expect(!failure.message.contains("secretpart999"))
    }
}
