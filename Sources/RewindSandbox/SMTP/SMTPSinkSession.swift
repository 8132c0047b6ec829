import Foundation

/// One SMTP conversation of the sink, as a state machine: each line from the client goes in, the
/// replies (and possibly a finished message) come out. Owned by the connection's task.
///
/// Speaks plain SMTP: EHLO/HELO, AUTH PLAIN and AUTH LOGIN, MAIL, RCPT, DATA (dot-unstuffing),
/// RSET, NOOP, QUIT. No STARTTLS: it listens on 127.0.0.1 only.
struct SMTPSinkSession {
    struct Reaction: Equatable {
        /// Reply lines to send, without line endings.
        var replies: [String]
        /// A message that was just accepted: record it before sending the replies.
        var received: ReceivedEmail?
        var close = false

        init(_ replies: [String], received: ReceivedEmail? = nil, close: Bool = false) {
            self.replies = replies
            self.received = received
            self.close = close
        }
    }

    private enum State: Equatable {
        case command
        case data
        case authPlain
        case authLoginUsername
        case authLoginPassword(username: String)
    }

    static let hostname = "rewind-sandbox"
    static let greeting = "220 \(hostname) ESMTP Rewind sandbox SMTP sink ready"
    static let maximumMessageSize = 10 * 1024 * 1024
    static let maximumCommandLength = 512

    private let credentials: SMTPSink.Credentials?
    private let rejectedRecipients: Set<String>
    private var state = State.command
    private var greeted = false
    private var authenticatedAs: String?
    private var sender: String?
    private var recipients: [String] = []
    private var message = MessageLines()

    /// The lines after DATA, dot-unstuffed; stops storing past the size limit.
    private struct MessageLines {
        var lines: [String] = []
        var octets = 0
        var hasOverlongLine = false

        mutating func append(_ line: String) {
            octets += line.utf8.count + 2
            hasOverlongLine = hasOverlongLine || line.utf8.count > 998
            guard octets <= SMTPSinkSession.maximumMessageSize else { return }
            lines.append(line.hasPrefix(".") ? String(line.dropFirst()) : line)
        }
    }

    init(credentials: SMTPSink.Credentials?, rejectedRecipients: Set<String>) {
        self.credentials = credentials
        self.rejectedRecipients = rejectedRecipients
    }

    mutating func receive(_ line: String) -> Reaction {
        switch state {
        case .command:
            return command(line)
        case .data:
            if line == "." { return finishData() }
            message.append(line)
            return Reaction([])
        case .authPlain:
            state = .command
            return authenticatePlain(line)
        case .authLoginUsername:
            guard line != "*" else { return cancelAuthentication() }
            guard let username = Self.decodeBase64(line) else { return malformedAuthentication() }
            state = .authLoginPassword(username: username)
            return Reaction(["334 UGFzc3dvcmQ6"])
        case .authLoginPassword(let username):
            guard line != "*" else { return cancelAuthentication() }
            guard let password = Self.decodeBase64(line) else { return malformedAuthentication() }
            state = .command
            return authenticate(username: username, password: password)
        }
    }

    // MARK: - Commands

    private mutating func command(_ line: String) -> Reaction {
        guard line.utf8.count <= Self.maximumCommandLength else { return Reaction(["500 5.5.2 Line too long"]) }
        let verb = line.prefix(while: { $0 != " " }).uppercased()
        let argument = String(line.dropFirst(verb.count).drop(while: { $0 == " " }))
        switch verb {
        case "EHLO":
            greeted = true
            resetTransaction()
            return Reaction([
                "250-\(Self.hostname) greets \(argument.isEmpty ? "you" : argument)", "250-8BITMIME", "250-SMTPUTF8",
                "250-AUTH PLAIN LOGIN", "250 ENHANCEDSTATUSCODES",
            ])
        case "HELO":
            greeted = true
            resetTransaction()
            return Reaction(["250 \(Self.hostname)"])
        case "AUTH": return auth(argument)
        case "MAIL": return mail(argument)
        case "RCPT": return rcpt(argument)
        case "DATA": return data()
        case "RSET":
            resetTransaction()
            return Reaction(["250 2.0.0 Ok"])
        case "NOOP": return Reaction(["250 2.0.0 Ok"])
        case "QUIT": return Reaction(["221 2.0.0 Bye"], close: true)
        case "VRFY": return Reaction(["252 2.5.0 Cannot verify, but will accept the message"])
        case "STARTTLS": return Reaction(["454 4.7.0 TLS not available"])
        default: return Reaction(["500 5.5.2 Command not recognized"])
        }
    }

    private mutating func auth(_ argument: String) -> Reaction {
        guard greeted else { return Reaction(["503 5.5.1 Send EHLO first"]) }
        guard authenticatedAs == nil else { return Reaction(["503 5.5.1 Already authenticated"]) }
        let words = argument.split(separator: " ").map(String.init)
        switch words.first?.uppercased() {
        case "PLAIN":
            guard words.count > 1 else {
                state = .authPlain
                return Reaction(["334 "])
            }
            return authenticatePlain(words[1])
        case "LOGIN":
            guard words.count > 1 else {
                state = .authLoginUsername
                return Reaction(["334 VXNlcm5hbWU6"])
            }
            guard let username = Self.decodeBase64(words[1]) else { return malformedAuthentication() }
            state = .authLoginPassword(username: username)
            return Reaction(["334 UGFzc3dvcmQ6"])
        default:
            return Reaction(["504 5.5.4 Unrecognized authentication mechanism"])
        }
    }

    /// `base64(authzid \0 authcid \0 password)`.
    private mutating func authenticatePlain(_ response: String) -> Reaction {
        guard response != "*" else { return cancelAuthentication() }
        guard let decoded = Data(base64Encoded: response) else { return malformedAuthentication() }
        let parts = decoded.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return malformedAuthentication() }
        return authenticate(
            username: String(decoding: parts[1], as: UTF8.self),
            password: String(decoding: parts[2], as: UTF8.self)
        )
    }

    private mutating func authenticate(username: String, password: String) -> Reaction {
        if let credentials, credentials != SMTPSink.Credentials(username: username, password: password) {
            return Reaction(["535 5.7.8 Authentication credentials invalid"])
        }
        authenticatedAs = username
        return Reaction(["235 2.7.0 Authentication successful"])
    }

    private mutating func cancelAuthentication() -> Reaction {
        state = .command
        return Reaction(["501 5.7.0 Authentication cancelled"])
    }

    private mutating func malformedAuthentication() -> Reaction {
        state = .command
        return Reaction(["501 5.5.2 Cannot decode the authentication response"])
    }

    private mutating func mail(_ argument: String) -> Reaction {
        guard greeted else { return Reaction(["503 5.5.1 Send EHLO first"]) }
        guard credentials == nil || authenticatedAs != nil else {
            return Reaction(["530 5.7.0 Authentication required"])
        }
        guard sender == nil else { return Reaction(["503 5.5.1 Sender already given"]) }
        guard let address = Self.path(after: "FROM:", in: argument) else {
            return Reaction(["501 5.5.4 Syntax: MAIL FROM:<address>"])
        }
        sender = address
        return Reaction(["250 2.1.0 Ok"])
    }

    private mutating func rcpt(_ argument: String) -> Reaction {
        guard sender != nil else { return Reaction(["503 5.5.1 Need MAIL before RCPT"]) }
        guard let address = Self.path(after: "TO:", in: argument), !address.isEmpty else {
            return Reaction(["501 5.5.4 Syntax: RCPT TO:<address>"])
        }
        guard !rejectedRecipients.contains(address.lowercased()) else {
            return Reaction(["550 5.1.1 <\(address)>: Recipient address rejected: mailbox unavailable"])
        }
        guard recipients.count < 100 else { return Reaction(["452 4.5.3 Too many recipients"]) }
        recipients.append(address)
        return Reaction(["250 2.1.5 Ok"])
    }

    private mutating func data() -> Reaction {
        guard sender != nil else { return Reaction(["503 5.5.1 Need MAIL command"]) }
        guard !recipients.isEmpty else { return Reaction(["554 5.5.1 No valid recipients"]) }
        state = .data
        message = MessageLines()
        return Reaction(["354 End data with <CR><LF>.<CR><LF>"])
    }

    private mutating func finishData() -> Reaction {
        state = .command
        defer {
            resetTransaction()
            message = MessageLines()
        }
        if message.octets > Self.maximumMessageSize { return Reaction(["552 5.3.4 Message too big"]) }
        if message.hasOverlongLine { return Reaction(["554 5.6.0 Message has a line longer than 998 octets"]) }
        let data = message.lines.map { $0 + "\r\n" }.joined()
        let email = ReceivedEmail(
            from: sender ?? "",
            recipients: recipients,
            data: data,
            authenticatedAs: authenticatedAs
        )
        return Reaction(["250 2.0.0 Ok: queued"], received: email)
    }

    private mutating func resetTransaction() {
        sender = nil
        recipients = []
    }

    /// The address in `FROM:<a@example.com> SIZE=123` (the keyword is case-insensitive).
    private static func path(after keyword: String, in argument: String) -> String? {
        guard argument.uppercased().hasPrefix(keyword) else { return nil }
        let rest = argument.dropFirst(keyword.count).drop(while: { $0 == " " })
        guard rest.hasPrefix("<"), let close = rest.firstIndex(of: ">") else { return nil }
        return String(rest[rest.index(after: rest.startIndex)..<close])
    }

    private static func decodeBase64(_ text: String) -> String? {
        Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) }
    }
}
