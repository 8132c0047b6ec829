/// One SMTP reply (RFC 5321 §4.2): a three-digit code and its text, one entry per reply line.
struct SMTPReply: Sendable, Equatable {
    var code: Int
    var lines: [String]

    init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 2xx: the command succeeded.
    var isSuccess: Bool { (200..<300).contains(code) }
    /// 3xx: the server waits for more (`334` AUTH challenge, `354` message data).
    var isIntermediate: Bool { (300..<400).contains(code) }
    /// 4xx: try again later.
    var isTransientFailure: Bool { (400..<500).contains(code) }
    /// 5xx: do not try again as it is.
    var isPermanentFailure: Bool { (500..<600).contains(code) }

    /// `550 5.1.1 No such user`, the lines joined by spaces: the form used in error messages.
    var summary: String {
        let text = lines.filter { !$0.isEmpty }.joined(separator: " ")
        return text.isEmpty ? String(code) : "\(code) \(text)"
    }
}

/// Gathers reply lines into replies: `NNN-text` says more lines follow, `NNN text` (or a bare
/// `NNN`) ends the reply.
struct SMTPReplyParser: Sendable {
    struct Malformed: Error, Equatable {
        var line: String
    }

    private var pending: (code: Int, lines: [String])?

    init() {}

    /// Consumes one line (without its CRLF); returns the reply it completes, or nil while more
    /// lines are expected.
    mutating func consume(_ line: String) throws(Malformed) -> SMTPReply? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0..<3].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200...599).contains(code)
        else { throw Malformed(line: String(line.prefix(80))) }
        let separator: UInt8? = bytes.count > 3 ? bytes[3] : nil
        guard separator == nil || separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw Malformed(line: String(line.prefix(80)))
        }
        if let pending, pending.code != code { throw Malformed(line: String(line.prefix(80))) }
        let text = bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : ""
        var current = pending ?? (code, [])
        current.lines.append(text)
        if separator == UInt8(ascii: "-") {
            pending = current
            return nil
        }
        pending = nil
        return SMTPReply(code: code, lines: current.lines)
    }
}

/// What a server offers in its EHLO reply (the lines after the greeting line).
struct SMTPCapabilities: Sendable, Equatable {
    var startTLS = false
    /// Upper-cased SASL mechanism names from `AUTH …` (and the old `AUTH=…` form).
    var authMechanisms: Set<String> = []
    var smtpUTF8 = false

    init() {}

    init(ehlo reply: SMTPReply) {
        for line in reply.lines.dropFirst() {
            let words = line.uppercased().split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
            guard let keyword = words.first else { continue }
            switch keyword {
            case "STARTTLS": startTLS = true
            case "AUTH": authMechanisms.formUnion(words.dropFirst())
            case "SMTPUTF8": smtpUTF8 = true
            default: break
            }
        }
    }
}
