import Crypto
import Foundation
import RewindCore
import RewindNotify
import RewindPorts
import RewindSandbox
import RewindTestSupport
import Testing

@Suite("Webhook channel")
struct WebhookChannelTests {
    static let secret = "whsec-sandbox-0123456789"

    func webhook(_ harness: SinkHarness, secret: String?, sources: [String] = []) -> WebhookNotifier {
        WebhookNotifier(
            url: ConfigText("\(harness.base)/webhook/ops"),
            secret: secret.map { ConfigText($0, isSecret: true, sources: sources) },
            name: "ops-hook",
            client: harness.client
        )
    }

    @Test func postsTheSignedNoticeRecordAndTheSinkVerifiesIt() async throws {
        try await withSinks { harness in
            harness.webhook.secret = Self.secret
            try await webhook(harness, secret: Self.secret).send(channelNotice(.completed))

            let received = try #require(harness.sinks.accepted(.webhook).last)
            #expect(received.headers["x-rewind-event"] == "completed")
            let timestamp = try #require(received.headers["x-rewind-timestamp"])
            let seconds = try #require(TimeInterval(timestamp))
            #expect(abs(Date().timeIntervalSince1970 - seconds) < 60)
            #expect(received.headers["content-type"]?.hasPrefix("application/json") == true)

            // Recomputed here, independently of the notifier.
            let key = SymmetricKey(data: Data(Self.secret.utf8))
            let code = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(received.body)".utf8), using: key)
            let expected = "sha256=" + code.map { String(format: "%02x", $0) }.joined()
            #expect(received.headers["x-rewind-signature"] == expected)

            let json = try #require(received.json)
            #expect(json["event"]?.string == "completed")
            #expect(json["incident"]?.number == 7)
            #expect(json["service"]?.string == "backend,worker")
            #expect(json["duration"]?.string == "42s")
            #expect(json["next_steps"]?.array?.count == 4)
        }
    }

    @Test func aWrongSecretIsRefusedAsAuth() async throws {
        try await withSinks { harness in
            harness.webhook.secret = Self.secret
            let wrong = "not-the-secret-987654"
            let error = try #require(
                await #expect(throws: ProviderError.self) {
                    try await webhook(harness, secret: wrong).send(channelNotice(.failed))
                }
            )
            #expect(error.kind == .auth)
            #expect(!error.isTransient)
            #expect(!error.message.contains(wrong))
            #expect(harness.sinks.received(.webhook).last?.status == 401)

            let unsigned = try #require(
                await #expect(throws: ProviderError.self) {
                    try await webhook(harness, secret: nil).send(channelNotice(.failed))
                }
            )
            #expect(unsigned.kind == .auth)
        }
    }

    @Test func aRefusedSecretNamesTheConfigurationKeyAndItsVariable() async throws {
        try await withSinks { harness in
            harness.webhook.secret = Self.secret
            let wrong = "not-the-secret-987654"
            let notifier = webhook(harness, secret: wrong, sources: ["OPS_HOOK_WEBHOOK_SECRET"])
            let error = try #require(
                await #expect(throws: ProviderError.self) { try await notifier.send(channelNotice(.failed)) })
            #expect(error.message.contains("check notifications.channels.ops-hook.secret (${OPS_HOOK_WEBHOOK_SECRET})"))
            #expect(!error.message.contains(wrong))
        }
    }

    @Test func manualAndFailedChannelNoticesSayWhatHappened() async throws {
        try await withSinks { harness in
            try await webhook(harness, secret: nil).send(manualNotice())
            let manual = try #require(harness.sinks.accepted(.webhook).last?.json)
            #expect(manual["title"]?.string == "MANUAL ROLLBACK INITIATED")
            #expect(manual["trigger"]?.string == "manual")
            #expect(manual["failed_channel"]?.isNull == true)

            try await webhook(harness, secret: nil).send(channelFailedNotice("oncall-pager"))
            let received = try #require(harness.sinks.accepted(.webhook).last)
            #expect(received.headers["x-rewind-event"] == "channel_failed")
            let json = try #require(received.json)
            #expect(json["event"]?.string == "channel_failed")
            #expect(json["failed_channel"]?.string == "oncall-pager")
            #expect(json["title"]?.string == "NOTIFICATION CHANNEL FAILED: ONCALL-PAGER")
        }
    }

    @Test func unsignedWhenNoSecretIsConfigured() async throws {
        try await withSinks { harness in
            try await webhook(harness, secret: nil).send(channelNotice(.wouldRollBack))
            let received = try #require(harness.sinks.accepted(.webhook).last)
            #expect(received.headers["x-rewind-signature"] == nil)
            #expect(received.headers["x-rewind-event"] == "would_roll_back")
        }
    }

    @Test func theSignatureIsTheDocumentedHMAC() {
        // Computed independently: python3 hmac.new(b"whsec-test", b'1700000000.{"event":"failed"}', sha256).
        let signature = WebhookNotifier.signature(
            secret: "whsec-test",
            timestamp: "1700000000",
            body: Data(#"{"event":"failed"}"#.utf8)
        )
        #expect(signature == "sha256=7eeee2b20202fdcb5a6d7b928d72e8e4249629d014d0065b65e201e9d9d92b64")
    }
}
