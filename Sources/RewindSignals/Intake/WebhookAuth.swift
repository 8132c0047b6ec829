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

    /// `X-Rewind-Signature: sha256=<hex>` against `expected`, the HMAC-SHA256 of the raw body keyed
    /// with the shared secret, computed by the caller (RewindSignals has no crypto library):
    ///
    /// ```swift
    /// let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
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

    /// The header carrying the body's signature.
    public static let signatureHeader = "X-Rewind-Signature"

    /// Equal bytes, in time that depends only on `expected.count`.
    public static func constantTimeEquals(presented: [UInt8], expected: [UInt8]) -> Bool {
        var difference: UInt8 = presented.count == expected.count ? 0 : 1
        for index in expected.indices {
            let byte = index < presented.count ? presented[index] : ~expected[index]
            difference |= byte ^ expected[index]
        }
        return difference == 0
    }

    static func bytes(hex: Substring) -> [UInt8]? {
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
