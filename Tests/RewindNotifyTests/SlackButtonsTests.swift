import AsyncHTTPClient
import RewindCore
import RewindNotify
import RewindPorts
import RewindSandbox
import Testing

/// Slack messages people can act on: a link to the incident on the dashboard (`server.public_url`), and, with the
/// app's signing secret, buttons whose action ids and values `POST /hooks/slack` reads back.
@Suite("Slack channels: dashboard link and buttons")
struct SlackButtonsTests {
    func chat(_ harness: SinkHarness, links: IncidentLinks) -> SlackChatNotifier {
        SlackChatNotifier(
            token: ConfigText("xoxb-sandbox", isSecret: true), channel: "C0123456789",
            apiURL: "\(harness.base)/slack/api", links: links, name: "slack-bot", templates: .builtIn,
            client: harness.client)
    }

    @Test(
        "an observed incident offers Roll back now (with a confirmation) and Acknowledge; the context links the incident"
    )
    func wouldRollBackOffersBothButtons() async throws {
        try await withSinks { harness in
            let notifier = chat(harness, links: IncidentLinks(publicURL: "https://rewind.example.com", buttons: true))
            try await notifier.send(channelNotice(.wouldRollBack))
            let json = try #require(harness.sinks.accepted(.slackChat).last?.json)
            let blocks = try #require(json["blocks"]?.array)
            let context = try #require(blocks.first { $0["type"]?.string == "context" })
            #expect(
                context["elements"]?[0]?["text"]?.string
                    == "<https://rewind.example.com/#incident-7|Rewind incident #7>")
            let actions = try #require(blocks.last)
            #expect(actions["type"]?.string == "actions")
            let buttons = try #require(actions["elements"]?.array)
            #expect(buttons.map { $0["action_id"]?.string } == ["rewind_roll_back_now", "rewind_acknowledge"])
            #expect(buttons.allSatisfy { $0["value"]?.string == "7" && $0["type"]?.string == "button" })
            #expect(buttons[0]["style"]?.string == "danger")
            #expect(buttons[0]["confirm"]?["confirm"]?["text"]?.string == "Roll back")
        }
    }

    @Test("a started rollback offers Acknowledge only; a completed one nothing; without the signing secret no buttons")
    func buttonsFollowTheNotice() async throws {
        try await withSinks { harness in
            let interactive = chat(harness, links: IncidentLinks(buttons: true))
            try await interactive.send(channelNotice(.initiated))
            var blocks = try #require(harness.sinks.accepted(.slackChat).last?.json?["blocks"]?.array)
            #expect(blocks.last?["elements"]?[0]?["action_id"]?.string == "rewind_acknowledge")
            #expect(blocks.last?["elements"]?.array?.count == 1)
            // No public_url: the context names the incident without a link.
            #expect(blocks.contains { $0["elements"]?[0]?["text"]?.string == "Rewind incident #7" })

            try await interactive.send(channelNotice(.completed))
            blocks = try #require(harness.sinks.accepted(.slackChat).last?.json?["blocks"]?.array)
            #expect(!blocks.contains { $0["type"]?.string == "actions" })

            try await chat(harness, links: IncidentLinks()).send(channelNotice(.wouldRollBack))
            blocks = try #require(harness.sinks.accepted(.slackChat).last?.json?["blocks"]?.array)
            #expect(!blocks.contains { $0["type"]?.string == "actions" })
        }
    }
}
