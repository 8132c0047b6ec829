import RewindCore
import RewindNotify
import RewindPorts
import RewindSandbox
import RewindTestSupport
import Testing

@Suite("Teams channel")
struct TeamsChannelTests {
    func teams(_ harness: SinkHarness) -> TeamsNotifier {
        TeamsNotifier(
            url: ConfigText("\(harness.base)/teams/workflow-sig-abcdef123456", isSecret: true),
            name: "teams",
            templates: .builtIn,
            client: harness.client
        )
    }

    @Test func postsAnAdaptiveCardEnvelope() async throws {
        try await withSinks { harness in
            try await teams(harness).send(channelNotice(.failed, error: "<b>boom</b>"))

            let received = try #require(harness.sinks.accepted(.teams).last)
            #expect(received.status == 202)
            let json = try #require(received.json)
            #expect(json["type"]?.string == "message")
            let attachment = try #require(json["attachments"]?[0])
            #expect(attachment["contentType"]?.string == "application/vnd.microsoft.card.adaptive")
            #expect(attachment["contentUrl"]?.isNull == true)
            let card = try #require(attachment["content"])
            #expect(card["$schema"]?.string == "http://adaptivecards.io/schemas/adaptive-card.json")
            #expect(card["type"]?.string == "AdaptiveCard")
            #expect(card["version"]?.string == "1.4")
            let body = try #require(card["body"]?.array)
            #expect(body.count == 2)
            #expect(body[0]["type"]?.string == "TextBlock")
            #expect(body[0]["weight"]?.string == "Bolder")
            #expect(body[0]["text"]?.string == "❌ ROLLBACK FAILED")
            #expect(body[1]["type"]?.string == "TextBlock")
            #expect(body[1]["wrap"]?.bool == true)
            let text = try #require(body[1]["text"]?.string)
            #expect(text.hasPrefix("**Service**: backend, worker\n**Error**: <b>boom</b>"))
        }
    }

    @Test func aManualRollbackCardIsTitledManual() async throws {
        try await withSinks { harness in
            try await teams(harness).send(manualNotice())
            let card = try #require(harness.sinks.accepted(.teams).last?.json?["attachments"]?[0]?["content"])
            #expect(card["body"]?[0]?["text"]?.string == "🚨 MANUAL ROLLBACK INITIATED")
            #expect(card["body"]?[1]?["text"]?.string?.contains("**Trigger**: manual") == true)
        }
    }

    @Test func aFailedChannelCardNamesTheChannel() async throws {
        try await withSinks { harness in
            try await teams(harness).send(channelFailedNotice("oncall-pager"))
            let card = try #require(harness.sinks.accepted(.teams).last?.json?["attachments"]?[0]?["content"])
            #expect(card["body"]?[0]?["text"]?.string?.hasSuffix("NOTIFICATION CHANNEL FAILED: ONCALL-PAGER") == true)
            let text = try #require(card["body"]?[1]?["text"]?.string)
            #expect(text.hasPrefix("**Channel**: oncall-pager"))
        }
    }

    @Test func throttlingReportedInsideA200IsRateLimited() async throws {
        try await withSinks { harness in
            harness.sinks.failNext(
                1,
                path: "/teams/",
                status: 200,
                body: "Microsoft Teams endpoint returned HTTP error 429"
            )
            let error = try await #require(throws: ProviderError.self) {
                try await teams(harness).send(channelNotice(.initiated))
            }
            #expect(error.kind == .rateLimited)
            #expect(error.isTransient)
            #expect(!error.message.contains("workflow-sig-abcdef123456"))
        }
    }

    @Test func theOldConnectorsAnswerIsSuccess() async throws {
        try await withSinks { harness in
            harness.sinks.failNext(1, path: "/teams/", status: 200, body: "1")
            try await teams(harness).send(channelNotice(.initiated))
        }
    }
}
