import Foundation
import RewindCore
import RewindPorts
import RewindSpecs
import Testing

@testable import RewindNotify

/// Against a real SMTP server: aiosmtpd (`pip install aiosmtpd cryptography`), started by
/// `scripts/smtp-test-server.py` with a private CA, STARTTLS or implicit TLS, and AUTH.
@Suite(.timeLimit(.minutes(1)))
struct EmailRealServerTests {
    @Test func startTLSWithAuthDeliversOneMultipartMessageToEveryRecipient() async throws {
        let server = try await AiosmtpdServer.start()
        defer { server.stop() }
        let spec = EmailFixtures.spec(
            port: server.port,
            security: .starttls,
            username: AiosmtpdServer.username,
            password: AiosmtpdServer.password,
            caFile: server.caFile
        )
        let notice = EmailFixtures.notice(evidence: [EmailFixtures.evidence, "latency ≥ 2 s — «checkout» 🚨"])

        let delivery = try await EmailFixtures.notifier(spec).deliver(notice)

        #expect(delivery.accepted == ["oncall@example.com", "devops@example.com"])
        #expect(delivery.rejected.isEmpty)
        let received = try #require(await server.nextMessage())
        #expect(received.mailFrom == "rewind@example.com")
        #expect(received.rcptTos == ["oncall@example.com", "devops@example.com"])
        #expect(received.to == "oncall@example.com, devops@example.com")
        #expect(received.from == "Rewind <rewind@example.com>")
        #expect(received.subject == "[Rewind] AUTOMATED ROLLBACK INITIATED: backend (incident #7)")
        #expect(received.date == "Sun, 01 Mar 2026 12:08:00 +0000")
        #expect(received.messageId.hasPrefix("<rewind-incident-7-initiated-"))
        #expect(received.messageId.hasSuffix("@rewind>"))
        #expect(received.contentType == "multipart/alternative")
        #expect(received.defects.isEmpty)
        #expect(received.maxLineLength <= 998)

        let text = try #require(received.parts.first { $0.contentType == "text/plain" })
        let html = try #require(received.parts.first { $0.contentType == "text/html" })
        for part in [text, html] {
            #expect(part.charset == "utf-8")
            #expect(part.transferEncoding == "quoted-printable")
            #expect(part.text.contains("backend"))
            #expect(part.text.contains("latency ≥ 2 s — «checkout» 🚨"))
        }
        #expect(text.text.contains(EmailFixtures.evidence))
        #expect(text.text.contains("AUTOMATED ROLLBACK INITIATED"))
        #expect(html.text.contains("checkout: HTTP 503 after 2400 ms &gt; 2000 ms &lt;p95&gt; &amp; rising"))
        #expect(!html.text.contains("<p95>"))
    }

    @Test func nonASCIISubjectArrivesDecodedIntact() async throws {
        let server = try await AiosmtpdServer.start()
        defer { server.stop() }
        let spec = EmailFixtures.spec(
            port: server.port,
            security: .starttls,
            username: AiosmtpdServer.username,
            password: AiosmtpdServer.password,
            caFile: server.caFile
        )
        let services: [ServiceName] = ["café-Überweisung-サービス", "backend"]
        let notice = EmailFixtures.notice(kind: .failed, services: services, error: "timeout")

        try await EmailFixtures.notifier(spec).send(notice)

        let received = try #require(await server.nextMessage())
        #expect(received.subject == EmailNotifier.subject(for: notice))
        #expect(received.subject.contains("café-Überweisung-サービス, backend"))
        #expect(received.defects.isEmpty)
    }

    @Test func aWrongPasswordIsAnAuthErrorThatNeverShowsThePassword() async throws {
        let server = try await AiosmtpdServer.start()
        defer { server.stop() }
        let password = "hunter2-wrong-Secret"
        let spec = EmailFixtures.spec(
            port: server.port,
            security: .starttls,
            username: AiosmtpdServer.username,
            password: password,
            caFile: server.caFile
        )

        let error = try #require(
            await #expect(throws: ProviderError.self) {
                try await EmailFixtures.notifier(spec).send(EmailFixtures.notice())
            }
        )

        #expect(error.kind == .auth)
        #expect(error.message.contains("535"))
        #expect(!error.message.contains(password))
        #expect(!error.message.contains(Data("\0rewind\0\(password)".utf8).base64EncodedString()))
        #expect(!error.isTransient)
    }

    @Test func implicitTLSDelivers() async throws {
        let server = try await AiosmtpdServer.start(tls: "implicit")
        defer { server.stop() }
        let spec = EmailFixtures.spec(
            port: server.port,
            security: .tls,
            username: AiosmtpdServer.username,
            password: AiosmtpdServer.password,
            to: ["oncall@example.com"],
            caFile: server.caFile
        )

        try await EmailFixtures.notifier(spec).send(EmailFixtures.notice(kind: .completed))

        let received = try #require(await server.nextMessage())
        #expect(received.rcptTos == ["oncall@example.com"])
        #expect(received.subject == "[Rewind] ROLLBACK COMPLETED SUCCESSFULLY: backend (incident #7)")
    }

    @Test func aCertificateFromAnUntrustedCAIsRefused() async throws {
        let server = try await AiosmtpdServer.start()
        defer { server.stop() }
        let spec = EmailFixtures.spec(
            port: server.port,
            security: .starttls,
            username: AiosmtpdServer.username,
            password: AiosmtpdServer.password,
            caFile: nil
        )

        let error = try #require(
            await #expect(throws: ProviderError.self) {
                try await EmailFixtures.notifier(spec).send(EmailFixtures.notice())
            }
        )

        #expect(error.kind == .rejected)
        #expect(error.message.contains("TLS"))
        #expect(!error.message.contains(AiosmtpdServer.password))
    }
}
