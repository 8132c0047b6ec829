import RewindCore

/// An e-mail with a plain-text and an HTML alternative (`multipart/alternative`), both
/// quoted-printable, so that every line of the message is 7-bit ASCII and at most 76 characters.
struct MIMEMessage: Sendable {
    var from: EmailAddress
    var to: [EmailAddress]
    var subject: String
    var date: Timestamp
    /// Without the angle brackets.
    var messageID: String
    var text: String
    var html: String
    /// Extra `X-…` headers; values are sanitized like every other header value.
    var extraHeaders: [(name: String, value: String)] = []
    /// `=_` never occurs in quoted-printable text, so the boundary cannot collide with a part.
    var boundary = "=_rewind_" + RandomToken.hex(bytes: 12)

    /// The whole message as sent after DATA (before dot-stuffing), lines ending in CRLF.
    func rendered() -> String {
        var lines = [
            HeaderText.addressField("From", [from]),
            HeaderText.addressField("To", to),
            HeaderText.field("Subject", subject),
            "Date: \(RFC5322Date.string(date))",
            "Message-ID: <\(HeaderText.sanitized(messageID))>",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
        ]
        lines += extraHeaders.map { HeaderText.field($0.name, $0.value) }
        lines += [
            "Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"",
            "",
            "This is a message in MIME format: a plain-text and an HTML version.",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            QuotedPrintable.encode(text),
            "--\(boundary)",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            QuotedPrintable.encode(html),
            "--\(boundary)--",
        ]
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

/// Quoted-printable (RFC 2045 §6.7) of UTF-8 text with CRLF line breaks.
enum QuotedPrintable {
    /// Encoded lines are at most 76 characters; longer ones end in a soft break (`=`).
    static let maximumLineLength = 76

    static func encode(_ text: String) -> String {
        text.linesSplitAtAnyBreak.flatMap { encodeLine(Array($0.utf8)) }.joined(separator: "\r\n")
    }

    private static func encodeLine(_ bytes: [UInt8]) -> [String] {
        var lines: [String] = []
        var current = ""
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let token = isLiteral(byte, atEndOfLine: isLast) ? String(UnicodeScalar(byte)) : escaped(byte)
            // Room for the soft break `=` unless this token ends the line.
            let limit = isLast ? maximumLineLength : maximumLineLength - 1
            if current.utf8.count + token.utf8.count > limit {
                lines.append(current + "=")
                current = ""
            }
            current += token
        }
        lines.append(current)
        return lines
    }

    /// Printable ASCII except `=`; spaces and tabs too, but not at the end of a line.
    private static func isLiteral(_ byte: UInt8, atEndOfLine: Bool) -> Bool {
        if byte == 0x20 || byte == 0x09 { return !atEndOfLine }
        return (33...126).contains(byte) && byte != UInt8(ascii: "=")
    }

    private static func escaped(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "=\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0F)])"
    }
}

enum RandomToken {
    /// `bytes` random bytes as lower-case hex.
    static func hex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }
}

extension String {
    /// The lines of the text, split at CRLF, LF or CR; a final line break does not add an empty line.
    var linesSplitAtAnyBreak: [Substring] {
        var lines = split(
            omittingEmptySubsequences: false,
            whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }
        )
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
