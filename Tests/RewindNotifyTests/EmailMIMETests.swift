import Foundation
import NIOCore
import RewindCore
import RewindPorts
import RewindSpecs
import Testing

@testable import RewindNotify

/// Message building and encoding, and SMTP reply parsing: pure functions, tested by value.
struct EmailMIMETests {
    // MARK: Quoted-printable

    @Test func quotedPrintableKeepsLinesWithin76AndRoundTrips() {
        let texts = [
            "plain ascii line",
            String(repeating: "long line with words ", count: 20),
            String(repeating: "é", count: 100),
            "trailing space \ntrailing tab\t\n= sign and =3D\n",
            "emoji 🚨 and «quotes» — dash",
            String(repeating: "x", count: 75) + "=",
        ]
        for text in texts {
            let encoded = QuotedPrintable.encode(text)
            let lines = encoded.components(separatedBy: "\r\n")
            #expect(lines.allSatisfy { $0.utf8.count <= 76 }, "\(text)")
            #expect(encoded.utf8.allSatisfy { $0 < 0x80 })
            #expect(lines.allSatisfy { !$0.hasSuffix(" ") && !$0.hasSuffix("\t") })
            #expect(Self.decodeQuotedPrintable(encoded) == text.linesSplitAtAnyBreak.joined(separator: "\r\n"))
        }
    }

    @Test func quotedPrintableEscapesEqualsAndTrailingWhitespace() {
        #expect(QuotedPrintable.encode("a=b") == "a=3Db")
        #expect(QuotedPrintable.encode("end ") == "end=20")
        #expect(QuotedPrintable.encode("é") == "=C3=A9")
        #expect(QuotedPrintable.encode("one\ntwo\r\nthree") == "one\r\ntwo\r\nthree")
    }

    // MARK: Headers

    @Test func headerValuesNeverCarryALineBreak() {
        #expect(HeaderText.sanitized("backend\r\nBcc: x@evil") == "backend Bcc: x@evil")
        #expect(HeaderText.sanitized("a\rb\nc\u{2028}d\u{0}e") == "a b c d e")
        let field = HeaderText.field("Subject", "x\r\nBcc: y")
        #expect(field == "Subject: x Bcc: y")
    }

    @Test func longASCIISubjectsAreFoldedAtSpaces() {
        let subject =
            "[Rewind] AUTOMATED ROLLBACK INITIATED: " + (1...12).map { "service-\($0)" }.joined(separator: ", ")
        let field = HeaderText.field("Subject", subject)
        let lines = field.components(separatedBy: "\r\n")
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(lines.joined() == "Subject: " + subject)
    }

    @Test func nonASCIISubjectsBecomeEncodedWords() throws {
        let subject = "[Rewind] ROLLBACK FAILED: café-サービス " + String(repeating: "ü", count: 40)
        let field = HeaderText.field("Subject", subject)
        let words = String(field.dropFirst("Subject: ".count)).components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        var decoded = Data()
        for word in words {
            #expect(word.utf8.count <= 75)
            #expect(word.hasPrefix("=?utf-8?B?") && word.hasSuffix("?="))
            let payload = word.dropFirst("=?utf-8?B?".count).dropLast(2)
            let bytes = try #require(Data(base64Encoded: String(payload)))
            #expect(String(data: bytes, encoding: .utf8) != nil, "a word must not split a character")
            decoded += bytes
        }
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
    }

    @Test func displayNamesAreQuotedOrEncodedWhenNeeded() throws {
        #expect(try EmailAddress(parsing: "Rewind <rewind@example.com>").headerValue == "Rewind <rewind@example.com>")
        #expect(
            try EmailAddress(parsing: "\"Ops, Team\" <ops@example.com>").headerValue
                == "\"Ops, Team\" <ops@example.com>"
        )
        #expect(
            try EmailAddress(parsing: "Équipe <ops@example.com>").headerValue
                == "=?utf-8?B?w4lxdWlwZQ==?= <ops@example.com>"
        )
        #expect(try EmailAddress(parsing: "  oncall@example.com ").address == "oncall@example.com")
    }

    @Test(arguments: ["", "no-at-sign", "a@", "@b", "a b@c", "a@b>\r\nRCPT TO:<c@d", "x <a@b", "a@b\n"])
    func invalidAddressesAreRefused(_ text: String) {
        #expect(throws: ProviderError.self) { try EmailAddress(parsing: text) }
    }

    @Test func datesAreRFC5322InUTC() {
        #expect(RFC5322Date.string(Timestamp(millisecondsSinceEpoch: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(
            RFC5322Date.string(Timestamp(millisecondsSinceEpoch: 1_772_366_880_999))
                == "Sun, 01 Mar 2026 12:08:00 +0000"
        )
        #expect(
            RFC5322Date.string(Timestamp(millisecondsSinceEpoch: 951_782_400_000)) == "Tue, 29 Feb 2000 00:00:00 +0000"
        )
        #expect(RFC5322Date.string(Timestamp(millisecondsSinceEpoch: -1)) == "Wed, 31 Dec 1969 23:59:59 +0000")
    }

    @Test func theMessageHasEveryHeaderAndBothParts() throws {
        let notifier = try EmailFixtures.notifier(EmailFixtures.spec(port: 25))
        let message = try notifier.message(for: EmailFixtures.notice(kind: .failed, error: "platform said <no>"))
            .rendered()
        let head = try #require(message.components(separatedBy: "\r\n\r\n").first)

        for name in ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"] {
            #expect(head.contains("\r\n\(name): ") || head.hasPrefix("\(name): "), "\(name)")
        }
        #expect(head.contains("Subject: [Rewind] ROLLBACK FAILED: backend (incident #7)"))
        #expect(
            message.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable")
        )
        #expect(
            message.contains("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable")
        )
        #expect(message.hasSuffix("--\r\n"))
        #expect(message.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(!message.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        let html = Self.decodeQuotedPrintable(
            try #require(message.components(separatedBy: "quoted-printable\r\n\r\n").last)
        )
        #expect(html.contains("platform said &lt;no&gt;"))
        #expect(html.contains("Immediate Actions Required"))
    }

    @Test func theHTMLPartEscapesEveryValue() {
        let notice = EmailFixtures.notice(services: ["<script>alert(1)</script>"], evidence: ["a & b \"c\" 'd'"])
        let html = EmailBody(notice, templates: try! NoticeTemplates()).html
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("a &amp; b &quot;c&quot; &#39;d&#39;"))
    }

    // MARK: DATA payload

    @Test func theDataPayloadIsDotStuffedWithCRLFAndTerminated() throws {
        let payload = try SMTPClient.dataPayload("a\n.b\n..c\r\n.\nd")
        #expect(String(buffer: payload) == "a\r\n..b\r\n...c\r\n..\r\nd\r\n.\r\n")
        #expect(throws: ProviderError.self) { try SMTPClient.dataPayload(String(repeating: "x", count: 999)) }
    }

    @Test func credentialsNeverTravelInPlaintextExceptToThisMachine() {
        let refusal = SMTPClient.plaintextCredentialsRefusal(
            host: "mail.example.com",
            security: .none,
            hasCredentials: true
        )
        #expect(refusal?.kind == .rejected)
        #expect(refusal?.message.contains("unencrypted") == true)
        #expect(
            SMTPClient.plaintextCredentialsRefusal(host: "mail.example.com", security: .starttls, hasCredentials: true)
                == nil
        )
        #expect(
            SMTPClient.plaintextCredentialsRefusal(host: "mail.example.com", security: .none, hasCredentials: false)
                == nil
        )
        for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.53"] {
            #expect(
                SMTPClient.plaintextCredentialsRefusal(host: host, security: .none, hasCredentials: true) == nil,
                "\(host)"
            )
        }
        #expect(
            SMTPClient.plaintextCredentialsRefusal(host: "127.example.com", security: .none, hasCredentials: true)
                != nil
        )
    }

    // MARK: Replies

    @Test func multiLineRepliesEndAtTheSpaceForm() throws {
        var parser = SMTPReplyParser()
        #expect(try parser.consume("250-mail.example.com greets rewind") == nil)
        #expect(try parser.consume("250-STARTTLS") == nil)
        #expect(try parser.consume("250-AUTH PLAIN LOGIN") == nil)
        let reply = try #require(try parser.consume("250 8BITMIME"))
        #expect(reply.code == 250)
        #expect(reply.lines == ["mail.example.com greets rewind", "STARTTLS", "AUTH PLAIN LOGIN", "8BITMIME"])
        let capabilities = SMTPCapabilities(ehlo: reply)
        #expect(capabilities.startTLS)
        #expect(capabilities.authMechanisms == ["PLAIN", "LOGIN"])
        #expect(try parser.consume("221") == SMTPReply(code: 221, lines: [""]))
        #expect(try parser.consume("354 End data") == SMTPReply(code: 354, lines: ["End data"]))
    }

    @Test(arguments: ["", "25", "abc hello", "2500 x", "250_x", "999 no", "099 no"])
    func malformedReplyLinesAreRefused(_ line: String) {
        var parser = SMTPReplyParser()
        #expect(throws: SMTPReplyParser.Malformed.self) { try parser.consume(line) }
    }

    @Test func aReplyMayNotChangeCodeHalfway() {
        var parser = SMTPReplyParser()
        _ = try? parser.consume("250-first")
        #expect(throws: SMTPReplyParser.Malformed.self) { try parser.consume("251 second") }
    }

    // MARK: Helpers

    /// A minimal quoted-printable decoder (soft breaks, `=XX`), for checking the encoder.
    static func decodeQuotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "="), index + 2 < input.count,
                let byte = UInt8(String(decoding: input[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(byte)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
