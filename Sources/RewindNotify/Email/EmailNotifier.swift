import Foundation
import Logging
import RewindCore
import RewindPorts
import RewindSpecs

/// The `email` channel: one message per notice over SMTP (STARTTLS, implicit TLS, or plain for a
/// local relay), to every recipient of the channel, as `multipart/alternative` (plain text + HTML).
///
/// ```swift
/// let email = EmailNotifier(spec: spec, name: "email-oncall", templates: try NoticeTemplates())
/// try await email.send(notice)
/// ```
///
/// `send` throws ``ProviderError``: `.timeout`, `.connection` and `.server` (4xx) are transient;
/// `.auth` (530/535, naming the `username` and `password` keys and their variables), `.rejected`
/// (other 5xx, no recipient accepted, an invalid address, TLS refused) and `.unsupported` (no usable
/// AUTH) are not. A recipient the server refuses while it accepts others is logged and reported by
/// ``deliver(_:)``; the message still goes to the others.
public struct EmailNotifier: Notifier {
    public let channel: String
    private let spec: EmailSpec
    private let templates: NoticeTemplates
    private let now: @Sendable () -> Timestamp
    private let logger: Logger

    public init(spec: EmailSpec, name: String, templates: NoticeTemplates) {
        self.init(spec: spec, name: name, templates: templates, now: { Timestamp(Date()) })
    }

    /// - Parameter now: the time written in the `Date:` header.
    init(spec: EmailSpec, name: String, templates: NoticeTemplates, now: @escaping @Sendable () -> Timestamp) {
        self.spec = spec
        self.channel = name
        self.templates = templates
        self.now = now
        self.logger = Logger(label: "rewind.notify")
    }

    public func send(_ notice: Notice) async throws {
        let delivery = try await deliver(notice)
        for rejection in delivery.rejected {
            logger.warning(
                "e-mail recipient refused",
                metadata: [
                    "rewind.channel": "\(channel)", "rewind.incident.id": "\(notice.incidentID)",
                    "rewind.recipient": "\(rejection.recipient)", "rewind.reply": "\(rejection.reply)",
                ]
            )
        }
    }

    /// Sends `notice` and tells which recipients the server accepted and which it refused.
    public func deliver(_ notice: Notice) async throws -> EmailDelivery {
        let message = try message(for: notice)
        let envelope = SMTPEnvelope(sender: message.from.address, recipients: message.to.map(\.address))
        return try await SMTPClient(spec: spec, credential: credential).send(message.rendered(), envelope: envelope)
    }

    /// Where the login is configured: `notifications.channels.<name>.username and ….password (${VAR})`.
    var credential: String {
        [
            ChannelCredential.describe(channel: channel, key: "username", spec.username),
            ChannelCredential.describe(channel: channel, key: "password", spec.password),
        ].joined(separator: " and ")
    }

    /// The `Subject:` of a notice, e.g. `[Rewind] ROLLBACK FAILED: backend (incident #7)`.
    public static func subject(for notice: Notice) -> String {
        EmailBody.subject(for: notice)
    }

    /// The same for every attempt of one outbox entry (its id and the notice's time of writing), so a
    /// mailbox that drops a message it already holds drops a repeat too; random for a notice sent
    /// outside the outbox.
    static func messageID(for notice: Notice) -> String {
        let unique =
            notice.delivery.map { "d\($0.id)-\(notice.timestamp.millisecondsSinceEpoch)" } ?? RandomToken.hex(bytes: 8)
        return "rewind-incident-\(notice.incidentID)-\(notice.kind.rawValue)-\(unique)@rewind"
    }

    func message(for notice: Notice) throws(ProviderError) -> MIMEMessage {
        let sender = try EmailAddress(parsing: spec.from)
        var recipients: [EmailAddress] = []
        for text in spec.to { recipients.append(try EmailAddress(parsing: text)) }
        guard !recipients.isEmpty else {
            throw ProviderError(.rejected, "the e-mail channel \(channel) has no recipients")
        }
        let body = EmailBody(notice, templates: templates)
        return MIMEMessage(
            from: sender,
            to: recipients,
            subject: Self.subject(for: notice),
            date: now(),
            messageID: Self.messageID(for: notice),
            text: body.text,
            html: body.html,
            extraHeaders: [("X-Rewind-Incident", String(notice.incidentID)), ("X-Rewind-Event", notice.kind.rawValue)]
                + (notice.delivery.map { [("X-Rewind-Delivery", String($0.id))] } ?? [])
        )
    }
}

/// What the SMTP server did with each recipient of a message it accepted.
public struct EmailDelivery: Sendable, Equatable {
    public struct Rejection: Sendable, Equatable {
        public var recipient: String
        /// The server's reply, such as `550 5.1.1 No such user`.
        public var reply: String

        public init(recipient: String, reply: String) {
            self.recipient = recipient
            self.reply = reply
        }
    }

    public var accepted: [String]
    public var rejected: [Rejection]

    public init(accepted: [String], rejected: [Rejection]) {
        self.accepted = accepted
        self.rejected = rejected
    }
}

extension Timestamp {
    init(_ date: Date) {
        self.init(millisecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
