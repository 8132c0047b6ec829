import Crypto
import Foundation
import RewindCore
import RewindSignals

/// Slack's signed requests (interactivity): `X-Slack-Signature: v0=<hex>` is HMAC-SHA256, keyed with
/// the app's signing secret, of `v0:<X-Slack-Request-Timestamp>:<raw body>`; the timestamp is Unix
/// seconds and must be within five minutes of now, so a captured click cannot be replayed later.
/// (Slack's contract: api.slack.com/authentication/verifying-requests-from-slack.)
enum SlackSignature {
    static let signatureHeader = "X-Slack-Signature"
    static let timestampHeader = "X-Slack-Request-Timestamp"
    static let tolerance: Duration = .seconds(300)

    /// Why the request is refused, or nil when one of `secrets` signed it in time.
    static func problem(
        body: [UInt8], timestamp: String?, signature: String?, secrets: [String], now: Timestamp
    ) -> String? {
        guard let timestamp, timestamp.count <= 12, let seconds = Int64(timestamp), seconds > 0 else {
            return "missing or malformed \(timestampHeader): Slack sends the request's Unix time in seconds"
        }
        let sent = Timestamp(millisecondsSinceEpoch: Saturating.multiply(seconds, 1000))
        guard abs((now - sent).milliseconds) <= tolerance.milliseconds else {
            return "\(timestampHeader) is more than 5 minutes from this server's clock: a replay, or a clock to fix"
        }
        guard let signature, signature.hasPrefix("v0="),
            let presented = WebhookAuth.bytes(hex: signature.dropFirst(3)), presented.count == 32
        else {
            return "missing or malformed \(signatureHeader): expected v0= and 64 hex digits"
        }
        let message = Array("v0:\(timestamp):".utf8) + body
        for secret in secrets where !secret.isEmpty {
            let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
            if WebhookAuth.constantTimeEquals(presented: presented, expected: Array(mac)) { return nil }
        }
        return
            "\(signatureHeader) does not match: the request was not signed with a slack_chat channel's signing_secret"
    }
}
