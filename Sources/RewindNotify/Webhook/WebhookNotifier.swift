import AsyncHTTPClient
import Crypto
import Foundation
import RewindCore
import RewindPorts

/// Posts every notice as JSON to any HTTP endpoint.
///
/// The contract for receivers:
///
/// - `POST <url>` with `Content-Type: application/json; charset=utf-8`; the body is one
///   ``NoticeRecord`` (the same object as a line of the `file` channel).
/// - `X-Rewind-Event: <event>` — `initiated`, `completed`, `failed`, `escalated`, `would_roll_back`,
///   `channel_failed`, `task_overdue` or `early_warning`.
/// - `X-Rewind-Timestamp: <unix seconds>` — when this delivery was sent.
/// - `X-Rewind-Signature: sha256=<hex>` — only when a secret is configured: the lowercase hex
///   HMAC-SHA256, keyed with the secret, of `<timestamp>.<body>` (the header's timestamp, a dot, and
///   the raw body bytes). Receivers recompute it over the raw body, compare in constant time, and
///   reject timestamps older than 5 minutes so that a captured delivery cannot be replayed.
/// - Any 2xx is success; 429 and 5xx are retried (with `Retry-After`); 401/403 fail as `.auth`
///   (a wrong secret: the message names the `secret` key and its variable), other 4xx as `.rejected`.
///   A retried delivery carries a new timestamp and signature.
/// - `X-Rewind-Delivery: <id>` — the outbox entry's id, the same on every attempt, after a restart
///   and after a failover: receivers de-duplicate on it. A notice the daemon could not store (sent
///   directly, which the log says) has none. The body's `may_repeat` is true when an earlier daemon
///   may have delivered this entry already (``NoticeDelivery``).
public struct WebhookNotifier: Notifier {
    public let channel: String
    private let url: ConfigText
    private let secret: ConfigText?
    private let now: @Sendable () -> Date
    private let delivery: HTTPDelivery

    /// - Parameter now: the wall clock for `X-Rewind-Timestamp` (tests pin it).
    public init(
        url: ConfigText,
        secret: ConfigText?,
        name: String,
        client: HTTPClient,
        timeout: Duration = .seconds(10),
        redactor: Redactor = Redactor(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.channel = name
        self.url = url
        self.secret = secret
        self.now = now
        var secrets = [secret?.value].compactMap { $0 }
        if url.isSecret { secrets += DeliveryTarget.secrets(ofURL: url.value) }
        let target = DeliveryTarget(
            channel: name,
            vendor: "webhook",
            url: url.value,
            secrets: secrets,
            credential: secret.map { ChannelCredential.describe(channel: name, key: "secret", $0) }
                ?? ChannelCredential.describe(channel: name, key: "url", url),
            redactor: redactor
        )
        self.delivery = HTTPDelivery(client: client, timeout: timeout, target: target)
    }

    public func send(_ notice: Notice) async throws {
        let body = try PayloadEncoder.encode(NoticeRecord(notice))
        let timestamp = String(Int64(now().timeIntervalSince1970))
        var headers: [(name: String, value: String)] = [
            ("X-Rewind-Event", notice.kind.rawValue), ("X-Rewind-Timestamp", timestamp),
        ]
        if let delivery = notice.delivery { headers.append(("X-Rewind-Delivery", String(delivery.id))) }
        if let secret {
            headers.append(
                ("X-Rewind-Signature", Self.signature(secret: secret.value, timestamp: timestamp, body: body))
            )
        }
        let answer = try await delivery.post(url.value, headers: headers, json: body)
        guard !(200...299).contains(answer.status) else { return }
        let said = answer.text.quotedForMessage(limit: 200)
        throw delivery.target.statusError(answer, said: said.isEmpty ? nil : said)
    }

    /// `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>` keyed with `secret`.
    public static func signature(secret: String, timestamp: String, body: Data) -> String {
        var message = Data(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }
}
