import Crypto
import Foundation
import RewindSandbox
import Synchronization

extension SinkKind {
    /// A receiver of Rewind's signed webhook (``WebhookSink``).
    public static let webhook = SinkKind(rawValue: "webhook")
}

/// A generic webhook receiver, checking Rewind's webhook contract: `POST /webhook/{id}` → 200 `ok`.
///
/// When ``secret`` is set, the request must carry `X-Rewind-Timestamp` (unix
/// seconds, within 5 minutes of now) and `X-Rewind-Signature: sha256=<hex HMAC-SHA256 of
/// "<timestamp>.<body>">`, compared in constant time; otherwise 401 with a plain-text reason.
public final class WebhookSink: Sendable {
    static let maxAge: TimeInterval = 300

    private let configuredSecret = Mutex<String?>(nil)

    public init() {}

    /// When set, `POST /webhook/{id}` requires a valid `X-Rewind-Signature`. Default nil.
    public var secret: String? {
        get { configuredSecret.withLock { $0 } }
        set { configuredSecret.withLock { $0 = newValue } }
    }

    /// `POST /webhook/{id}`, for a ``NotificationSinksServer``.
    public var routes: [SinkRoute] { [SinkRoute("webhook/:id", .webhook, answer)] }

    func answer(_ request: SinkRequest) -> SinkAnswer {
        guard let secret else { return .text("ok", status: 200) }
        guard let timestamp = request.header("x-rewind-timestamp"), let seconds = TimeInterval(timestamp) else {
            return .text("missing or malformed X-Rewind-Timestamp", status: 401)
        }
        guard abs(Date().timeIntervalSince1970 - seconds) <= Self.maxAge else {
            return .text("stale X-Rewind-Timestamp", status: 401)
        }
        guard let signature = request.header("x-rewind-signature"), signature.hasPrefix("sha256="),
            let code = Self.bytes(hex: signature.dropFirst("sha256=".count))
        else { return .text("missing or malformed X-Rewind-Signature", status: 401) }
        var signed = Data(timestamp.utf8)
        signed.append(UInt8(ascii: "."))
        signed.append(request.body)
        let key = SymmetricKey(data: Data(secret.utf8))
        guard HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: signed, using: key) else {
            return .text("signature mismatch", status: 401)
        }
        return .text("ok", status: 200)
    }

    private static func bytes(hex: Substring) -> Data? {
        guard hex.count % 2 == 0 else { return nil }
        var data = Data(capacity: hex.count / 2)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            data.append(byte)
            index = next
        }
        return data
    }
}
