import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSpecs
import Testing

@testable import RewindNotify

/// The e-mail channel against the sandbox's SMTP sink (plain SMTP on 127.0.0.1).
@Suite(.timeLimit(.minutes(1)))
struct EmailSinkTests {
    @Test func plainSMTPDeliversOneMessageToSeveralRecipients() async throws {
        let sink = SMTPSink()
        let recipients = ["oncall@example.com", "devops@example.com", "Product Team <product@example.com>"]

        let delivery = try await withSMTPSink(sink) { port in
            try await EmailFixtures.notifier(EmailFixtures.spec(port: port, to: recipients)).deliver(
                EmailFixtures.notice()
            )
        }

        #expect(
            delivery
                == EmailDelivery(
                    accepted: ["oncall@example.com", "devops@example.com", "product@example.com"],
                    rejected: []
                )
        )
        let message = try #require(sink.messages.first)
        #expect(sink.messages.count == 1)
        #expect(message.from == "rewind@example.com")
        #expect(message.recipients == ["oncall@example.com", "devops@example.com", "product@example.com"])
        #expect(message.subject == "[Rewind] AUTOMATED ROLLBACK INITIATED: backend (incident #7)")
        #expect(message.header("To") == "oncall@example.com, devops@example.com, Product Team <product@example.com>")
        #expect(message.header("Content-Type")?.hasPrefix("multipart/alternative; boundary=") == true)
        #expect(message.header("MIME-Version") == "1.0")
        #expect(message.header("X-Rewind-Incident") == "7")
        #expect(message.authenticatedAs == nil)
        #expect(message.body.contains("Content-Type: text/plain; charset=utf-8"))
        #expect(message.body.contains("Content-Type: text/html; charset=utf-8"))
        #expect(message.data.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(message.data.utf8.allSatisfy { $0 < 0x80 })
    }

    @Test func credentialsAreAcceptedOverLoopback() async throws {
        let sink = SMTPSink(credentials: .init(username: "rewind", password: "s3cret"))

        try await withSMTPSink(sink) { port in
            let spec = EmailFixtures.spec(port: port, username: "rewind", password: "s3cret")
            try await EmailFixtures.notifier(spec).send(EmailFixtures.notice())
        }

        #expect(sink.messages.map(\.authenticatedAs) == ["rewind"])
    }

    @Test func wrongCredentialsAreAnAuthErrorWithoutThePassword() async throws {
        let sink = SMTPSink(credentials: .init(username: "rewind", password: "s3cret"))

        let error = try await withSMTPSink(sink) { port in
            let spec = EmailFixtures.spec(port: port, username: "rewind", password: "not-the-password")
            return await #expect(throws: ProviderError.self) {
                try await EmailFixtures.notifier(spec).send(EmailFixtures.notice())
            }
        }

        #expect(error?.kind == .auth)
        #expect(error?.message.contains("535 5.7.8") == true)
        #expect(error?.message.contains("not-the-password") == false)
        #expect(sink.messages.isEmpty)
    }

    @Test func wrongCredentialsNameTheConfigurationKeysAndTheirVariables() async throws {
        let sink = SMTPSink(credentials: .init(username: "rewind", password: "s3cret"))

        let error = try await withSMTPSink(sink) { port in
            var spec = EmailFixtures.spec(port: port, username: "rewind", password: "not-the-password")
            spec.password = ConfigText("not-the-password", sources: ["SMTP_PASSWORD"])
            return await #expect(throws: ProviderError.self) {
                try await EmailFixtures.notifier(spec).send(EmailFixtures.notice())
            }
        }

        #expect(error?.kind == .auth)
        #expect(
            error?.message.contains(
                "535 5.7.8 Authentication credentials invalid; check notifications.channels.email-oncall.username and "
                    + "notifications.channels.email-oncall.password (${SMTP_PASSWORD})") == true,
            "\(error?.message ?? "")")
        #expect(error?.message.contains("not-the-password") == false)
    }

    @Test func manualAndFailedChannelNoticesSayWhatHappened() async throws {
        let sink = SMTPSink()

        try await withSMTPSink(sink) { port in
            let notifier = try EmailFixtures.notifier(EmailFixtures.spec(port: port, to: ["oncall@example.com"]))
            var manual = EmailFixtures.notice()
            manual.trigger = .manual
            try await notifier.send(manual)
            var failed = EmailFixtures.notice(kind: .channelFailed, error: "PagerDuty refused the routing key")
            failed.failedChannel = "oncall-pager"
            try await notifier.send(failed)
        }

        let subjects = sink.messages.map(\.subject)
        #expect(
            subjects == [
                "[Rewind] MANUAL ROLLBACK INITIATED: backend (incident #7)",
                "[Rewind] NOTIFICATION CHANNEL FAILED: ONCALL-PAGER: backend (incident #7)",
            ])
        let failedBody = try #require(sink.messages.last?.data)
        #expect(failedBody.contains("**Channel**: oncall-pager"))
        #expect(failedBody.contains("<th align=3D\"left\">Channel</th><td>oncall-pager</td>"))
    }

    @Test func aServerThatRequiresAuthenticationIsAnAuthErrorWhenNoneIsConfigured() async throws {
        let sink = SMTPSink(credentials: .init(username: "rewind", password: "s3cret"))

        let error = try await withSMTPSink(sink) { port in
            await #expect(throws: ProviderError.self) {
                try await EmailFixtures.notifier(EmailFixtures.spec(port: port)).send(EmailFixtures.notice())
            }
        }

        #expect(error?.kind == .auth)
        #expect(error?.message.contains("MAIL FROM with 530") == true)
    }

    @Test func aRefusedRecipientIsReportedAndTheOthersStillGetTheMessage() async throws {
        let sink = SMTPSink(rejectedRecipients: ["gone@example.com"])
        let recipients = ["oncall@example.com", "gone@example.com", "devops@example.com"]

        let delivery = try await withSMTPSink(sink) { port in
            try await EmailFixtures.notifier(EmailFixtures.spec(port: port, to: recipients)).deliver(
                EmailFixtures.notice()
            )
        }

        #expect(delivery.accepted == ["oncall@example.com", "devops@example.com"])
        #expect(delivery.rejected.map(\.recipient) == ["gone@example.com"])
        #expect(delivery.rejected.first?.reply.hasPrefix("550 5.1.1") == true)
        #expect(sink.messages.map(\.recipients) == [["oncall@example.com", "devops@example.com"]])
    }

    @Test func whenEveryRecipientIsRefusedNothingIsSent() async throws {
        let sink = SMTPSink(rejectedRecipients: ["gone@example.com", "left@example.com"])

        let error = try await withSMTPSink(sink) { port in
            let spec = EmailFixtures.spec(port: port, to: ["gone@example.com", "left@example.com"])
            return await #expect(throws: ProviderError.self) {
                try await EmailFixtures.notifier(spec).send(EmailFixtures.notice())
            }
        }

        #expect(error?.kind == .rejected)
        #expect(error?.message.contains("accepted no recipient") == true)
        #expect(error?.message.contains("gone@example.com: 550") == true)
        #expect(sink.messages.isEmpty)
    }

    @Test func linesStartingWithADotSurviveTheTrip() async throws {
        let sink = SMTPSink()
        let message =
            [
                "Subject: dots", "", ".", "..", ".leading dot", "middle . dot", "...", ". ", "last line",
            ].joined(separator: "\r\n") + "\r\n"

        let delivery = try await withSMTPSink(sink) { port in
            let client = SMTPClient(spec: EmailFixtures.spec(port: port))
            return try await client.send(
                message,
                envelope: SMTPEnvelope(sender: "a@example.com", recipients: ["b@example.com"])
            )
        }

        #expect(delivery.accepted == ["b@example.com"])
        #expect(sink.messages.map(\.data) == [message])
    }

    @Test func aServiceNameWithALineBreakCannotAddAHeader() async throws {
        let sink = SMTPSink()
        let notice = EmailFixtures.notice(services: ["backend\r\nBcc: x@evil.example"], error: "boom\r\n\r\nbody")

        try await withSMTPSink(sink) { port in
            try await EmailFixtures.notifier(EmailFixtures.spec(port: port)).send(notice)
        }

        let message = try #require(sink.messages.first)
        #expect(!message.headers.contains { $0.name.lowercased() == "bcc" })
        #expect(message.recipients == ["oncall@example.com", "devops@example.com"])
        #expect(message.subject == "[Rewind] AUTOMATED ROLLBACK INITIATED: backend Bcc: x@evil.example (incident #7)")
        let head = message.data.components(separatedBy: "\r\n\r\n")[0]
        #expect(!head.contains("\r\nBcc:"))
    }

    @Test func anAddressThatCouldInjectACommandIsRefusedBeforeConnecting() async throws {
        let sink = SMTPSink()

        let error = try await withSMTPSink(sink) { port in
            let spec = EmailFixtures.spec(port: port, to: ["oncall@example.com>\r\nRCPT TO:<evil@example.com"])
            return await #expect(throws: ProviderError.self) {
                try await EmailFixtures.notifier(spec).send(EmailFixtures.notice())
            }
        }

        #expect(error?.kind == .rejected)
        #expect(error?.message.contains("is not an e-mail address") == true)
        #expect(error?.message.contains("\r") == false)
        #expect(sink.messages.isEmpty)
    }

    @Test func theSinkStopsCleanlyWhenCancelled() async throws {
        let server = SMTPSinkServer(sink: SMTPSink())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            #expect(await server.port() > 0)
            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(await server.port() > 0)
    }
}
