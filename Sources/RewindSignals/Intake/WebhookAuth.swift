import RewindCore

/// Checks the credentials an incoming webhook or event push carries. Every comparison takes time
/// that depends only on the length of the expected value, never on where the first difference is.
public enum WebhookAuth {
    /// `Authorization: Bearer <token>`. The scheme is case-insensitive; an empty configured token
    /// never matches.
    public static func verifyBearer(header: String?, token: String) -> Bool {
        guard let header, !token.isEmpty else { return false }
        let trimmed = trimmedOfSpaces(header[...])
        let scheme = "bearer "
        guard trimmed.count > scheme.count, trimmed.prefix(scheme.count).lowercased() == scheme else {
            return false
        }
        let presented = trimmedOfSpaces(trimmed.dropFirst(scheme.count))
        return constantTimeEquals(presented: Array(presented.utf8), expected: Array(token.utf8))
    }

    /// `X-Rewind-Signature: sha256=<hex>` against `expected`, the HMAC-SHA256 of
    /// ``signedMessage(timestamp:body:)`` keyed with the shared secret, computed by the caller
    /// (RewindSignals has no crypto library):
    ///
    /// ```swift
    /// let message = WebhookAuth.signedMessage(timestamp: timestampHeader, body: body)
    /// let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
    /// WebhookAuth.verifySignature(header: request.headers[signatureHeader], expected: Array(mac))
    /// ```
    ///
    /// Hex digits may be upper or lower case; anything but exactly 32 bytes of hex fails.
    public static func verifySignature(header: String?, expected: [UInt8]) -> Bool {
        guard let header, !expected.isEmpty else { return false }
        let prefix = "sha256="
        let trimmed = trimmedOfSpaces(header[...])
        guard trimmed.hasPrefix(prefix), let presented = bytes(hex: trimmed.dropFirst(prefix.count)),
            presented.count == 32
        else { return false }
        return constantTimeEquals(presented: presented, expected: expected)
    }

    /// The header carrying the signature of `<timestamp>.<body>`.
    public static let signatureHeader = "X-Rewind-Signature"
    /// The header carrying when the request was signed, in Unix seconds; it is part of what is signed.
    public static let timestampHeader = "X-Rewind-Timestamp"
    /// How far a signed request's timestamp may be from the receiver's clock, either way: a captured
    /// request cannot be replayed after this.
    public static let timestampTolerance: Duration = .seconds(300)

    /// What is signed: the timestamp header as sent, a dot, and the raw body — the same contract
    /// as the outbound webhooks (`WebhookNotifier`).
    public static func signedMessage(timestamp: String, body: [UInt8]) -> [UInt8] {
        Array(timestamp.utf8) + [UInt8(ascii: ".")] + body
    }

    /// Why a signed request's `X-Rewind-Timestamp` is refused, in words; nil when it is a whole
    /// number of Unix seconds within ``timestampTolerance`` of `now`.
    public static func timestampProblem(header: String?, now: Timestamp) -> String? {
        guard let header, !header.isEmpty else {
            return
                "missing \(timestampHeader): a signed request carries its Unix time in seconds, and the signature covers \"<timestamp>.<body>\""
        }
        guard header.utf8.count <= 12, header.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let seconds = Int64(header)
        else {
            return "\(timestampHeader) '\(header.prefix(20))' is not Unix seconds"
        }
        let skew = seconds - now.millisecondsSinceEpoch / 1000
        let tolerance = timestampTolerance.components.seconds
        if skew < -tolerance {
            return
                "\(timestampHeader) is \(-skew) s old; signed requests are accepted for \(tolerance) s (a replay, or a clock out of sync)"
        }
        if skew > tolerance {
            return
                "\(timestampHeader) is \(skew) s in the future; the sender's clock is out of sync by more than \(tolerance) s"
        }
        return nil
    }

    /// Equal bytes, in time that depends only on `expected.count`.
    public static func constantTimeEquals(presented: [UInt8], expected: [UInt8]) -> Bool {
        var difference: UInt8 = presented.count == expected.count ? 0 : 1
        for index in expected.indices {
            let byte = index < presented.count ? presented[index] : ~expected[index]
            difference |= byte ^ expected[index]
        }
        return difference == 0
    }

    public static func bytes(hex: Substring) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else {
                return nil
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Without leading and trailing spaces and tabs.
private func trimmedOfSpaces(_ text: Substring) -> Substring {
    var result = text
    while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
    while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
    return result
}
