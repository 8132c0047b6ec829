import Foundation
import Synchronization

/// The mailbox of the sandbox's SMTP server (``SMTPSinkServer``): every message it accepted, in
/// order. Used by `rewind demo` and by tests, so that e-mail works with nothing installed.
///
/// ```swift
/// let sink = SMTPSink(credentials: .init(username: "rewind", password: "s3cret"))
/// let server = SMTPSinkServer(sink: sink)
/// // run `server` in a task group or a ServiceGroup, then:
/// let port = await server.port()
/// …
/// sink.messages.last?.subject
/// ```
public final class SMTPSink: Sendable {
    public struct Credentials: Sendable, Equatable {
        public var username: String
        public var password: String

        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    /// When set, AUTH must give these and MAIL without AUTH is refused (530). When nil, any AUTH
    /// succeeds and none is required.
    public let credentials: Credentials?
    /// Addresses refused at RCPT TO with `550` (compared case-insensitively), to exercise partial delivery.
    public let rejectedRecipients: Set<String>

    private let received = Mutex<[ReceivedEmail]>([])

    public init(credentials: Credentials? = nil, rejectedRecipients: Set<String> = []) {
        self.credentials = credentials
        self.rejectedRecipients = Set(rejectedRecipients.map { $0.lowercased() })
    }

    /// Every accepted message, oldest first. A message is here before the server confirms it (250).
    public var messages: [ReceivedEmail] {
        received.withLock { $0 }
    }

    public func removeAll() {
        received.withLock { $0.removeAll() }
    }

    func record(_ email: ReceivedEmail) {
        received.withLock { $0.append(email) }
    }
}

/// One message as the sink received it.
public struct ReceivedEmail: Sendable, Equatable {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    public var from: String
    /// The envelope recipients the server accepted (`RCPT TO`), in order.
    public var recipients: [String]
    /// The message after DATA, dot-unstuffed, lines ending in CRLF.
    public var data: String
    /// The user name of a successful AUTH, if there was one.
    public var authenticatedAs: String?

    public init(from: String, recipients: [String], data: String, authenticatedAs: String? = nil) {
        self.from = from
        self.recipients = recipients
        self.data = data
        self.authenticatedAs = authenticatedAs
    }

    /// The header fields in order, unfolded (a continuation line joins its field).
    public var headers: [EmailHeader] {
        var headers: [EmailHeader] = []
        for line in headerLines {
            if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += line
            } else if let colon = line.firstIndex(of: ":") {
                let value = line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
                headers.append(EmailHeader(name: String(line[..<colon]), value: String(value)))
            }
        }
        return headers
    }

    /// The first header named `name` (case-insensitive), unfolded.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The `Subject:` header as written (RFC 2047 encoded-words are not decoded).
    public var subject: String? { header("Subject") }

    /// Everything after the blank line that ends the headers.
    public var body: String {
        guard let end = data.range(of: "\r\n\r\n") else { return "" }
        return String(data[end.upperBound...])
    }

    private var headerLines: [Substring] {
        let head = data.range(of: "\r\n\r\n").map { data[..<$0.lowerBound] } ?? data[...]
        return head.split(separator: "\r\n", omittingEmptySubsequences: true)
    }
}

public struct EmailHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
