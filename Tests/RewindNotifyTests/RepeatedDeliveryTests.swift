import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import RewindTestSupport
import Testing

@testable import RewindNotify

/// A notice an earlier daemon may have delivered already (``NoticeDelivery``): every channel that
/// cannot fold a repeat says so, and every delivery carries the outbox entry's id.
@Suite("Notices sent again after a restart")
struct RepeatedDeliveryTests {
    private func notice(_ delivery: NoticeDelivery?) -> Notice {
        var notice = channelNotice(.initiated)
        notice.delivery = delivery
        return notice
    }

    @Test func aPossibleRepeatOpensWithTheRepeatLineInEveryFormatEvenUnderATemplateOverride() throws {
        let overridden = try NoticeTemplates(overrides: [.initiated: "rolling back {{service}}"])
        for templates in [NoticeTemplates.builtIn, overridden] {
            for format in NoticeFormat.allCases {
                let again = templates.render(notice(NoticeDelivery(id: 41, mayRepeat: true)), as: format)
                #expect(again.hasPrefix(NoticeDelivery.repeatLine + "\n\n"))
                let first = templates.render(notice(NoticeDelivery(id: 41, mayRepeat: false)), as: format)
                #expect(!first.contains(NoticeDelivery.repeatLine))
                #expect(again.hasSuffix(first))
            }
        }
    }

    @Test func slackShowsTheRepeatLineFirst() async throws {
        try await withSinks { harness in
            let slack = SlackWebhookNotifier(
                url: ConfigText("\(harness.base)/slack/webhook/T1", isSecret: true), name: "slack-critical",
                templates: .builtIn, client: harness.client)
            try await slack.send(notice(NoticeDelivery(id: 41, mayRepeat: true)))
            try await slack.send(notice(NoticeDelivery(id: 42, mayRepeat: false)))
            let texts = harness.sinks.accepted(.slackWebhook).compactMap { $0.json?["text"]?.string }
            #expect(texts.count == 2)
            #expect(texts.first?.hasPrefix(NoticeDelivery.repeatLine) == true)
            #expect(texts.last?.contains(NoticeDelivery.repeatLine) == false)
        }
    }

    @Test func webhooksCarryTheDeliveryIdAndSayWhenItMayRepeat() async throws {
        try await withSinks { harness in
            let hook = WebhookNotifier(
                url: ConfigText("\(harness.base)/webhook/ops"), secret: nil, name: "ops-hook", client: harness.client)
            try await hook.send(notice(NoticeDelivery(id: 41, mayRepeat: true)))
            try await hook.send(notice(nil))
            let received = harness.sinks.accepted(.webhook)
            #expect(received.count == 2)
            #expect(received.first?.headers["x-rewind-delivery"] == "41")
            #expect(received.first?.json?["delivery_id"]?.number == 41)
            #expect(received.first?.json?["may_repeat"]?.bool == true)
            // Sent outside the outbox: no id to de-duplicate on, and nothing to repeat.
            #expect(received.last?.headers["x-rewind-delivery"] == nil)
            #expect(received.last?.json?["may_repeat"]?.bool == false)
            #expect(received.last.map { $0.body.contains("\"delivery_id\":null") } == true)
        }
    }

    @Test func anEmailsMessageIDIsTheSameOnEveryAttemptOfOneEntryAndItsSubjectMarksARepeat() throws {
        let email = try EmailFixtures.notifier(EmailFixtures.spec(port: 25))
        let first = try email.message(for: notice(NoticeDelivery(id: 41, mayRepeat: false)))
        let again = try email.message(for: notice(NoticeDelivery(id: 41, mayRepeat: true)))
        #expect(first.messageID == again.messageID)
        #expect(first.messageID.contains("d41-"))
        #expect(try email.message(for: notice(NoticeDelivery(id: 42, mayRepeat: false))).messageID != first.messageID)
        #expect(try email.message(for: notice(nil)).messageID != email.message(for: notice(nil)).messageID)
        #expect(again.subject.hasPrefix("[Rewind, sent again] "))
        #expect(first.subject.hasPrefix("[Rewind] "))
        #expect(again.text.hasPrefix(NoticeDelivery.repeatLine))
        #expect(again.extraHeaders.contains { $0.name == "X-Rewind-Delivery" && $0.value == "41" })
    }

    @Test func onlyChannelsThatFoldRepeatsByKeySayTheyDo() throws {
        let pager = PagerDutyNotifier(
            routingKey: ConfigText(String(repeating: "a", count: 32), isSecret: true), name: "pager",
            client: .shared)
        #expect(pager.foldsRepeats)
        #expect(!JSONLinesNotifier(path: "/dev/null").foldsRepeats)
        #expect(!(try EmailFixtures.notifier(EmailFixtures.spec(port: 25))).foldsRepeats)
    }
}
