import RewindCore
import RewindSignals
import Testing

@Suite("Webhook authentication")
struct WebhookAuthTests {
    static let token = "s3cr3t-token-value"

    @Test(
        "bearer tokens",
        arguments: [
            ("Bearer s3cr3t-token-value", true),
            ("bearer s3cr3t-token-value", true),
            ("BEARER   s3cr3t-token-value  ", true),
            ("Bearer s3cr3t-token-valuE", false),
            ("Bearer s3cr3t-token-valu", false),
            ("Bearer s3cr3t-token-value-and-more", false),
            ("Bearer ", false),
            ("Bearer", false),
            ("s3cr3t-token-value", false),
            ("Basic s3cr3t-token-value", false),
            ("Token s3cr3t-token-value", false),
        ] as [(String, Bool)]
    )
    func bearer(header: String, accepted: Bool) {
        #expect(WebhookAuth.verifyBearer(header: header, token: Self.token) == accepted)
    }

    @Test("no header, or no configured token, never passes")
    func missing() {
        #expect(!WebhookAuth.verifyBearer(header: nil, token: Self.token))
        #expect(!WebhookAuth.verifyBearer(header: "Bearer ", token: ""))
        #expect(!WebhookAuth.verifyBearer(header: "Bearer x", token: ""))
    }

    /// RFC 4231 test case 2: HMAC-SHA256 of "what do ya want for nothing?" keyed with "Jefe".
    static let rfc4231 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    static let rfc4231Bytes: [UInt8] = stride(from: 0, to: rfc4231.count, by: 2).map { offset in
        let start = rfc4231.index(rfc4231.startIndex, offsetBy: offset)
        return UInt8(rfc4231[start..<rfc4231.index(start, offsetBy: 2)], radix: 16)!
    }

    @Test(
        "X-Rewind-Signature: sha256=<hex>",
        arguments: [
            ("sha256=" + rfc4231, true),
            ("sha256=" + rfc4231.uppercased(), true),
            (" sha256=" + rfc4231 + " ", true),
            (rfc4231, false),
            ("sha1=" + rfc4231, false),
            ("SHA256=" + rfc4231, false),
            ("sha256=" + rfc4231.dropLast() + "4", false),
            ("sha256=" + rfc4231.dropLast(2), false),
            ("sha256=" + rfc4231 + "00", false),
            ("sha256=" + rfc4231.dropLast() + "g", false),
            ("sha256=", false),
        ] as [(String, Bool)]
    )
    func signature(header: String, accepted: Bool) {
        #expect(WebhookAuth.verifySignature(header: header, expected: Self.rfc4231Bytes) == accepted)
    }

    @Test("a missing signature header or an empty expected code never passes")
    func missingSignature() {
        #expect(!WebhookAuth.verifySignature(header: nil, expected: Self.rfc4231Bytes))
        #expect(!WebhookAuth.verifySignature(header: "sha256=", expected: []))
    }

    @Test(
        "constant-time comparison",
        arguments: [
            ([], [], true),
            ([1, 2, 3], [1, 2, 3], true),
            ([1, 2, 4], [1, 2, 3], false),
            ([1, 2], [1, 2, 3], false),
            ([1, 2, 3, 0], [1, 2, 3], false),
            ([], [0], false),
            ([0], [], false),
        ] as [([UInt8], [UInt8], Bool)]
    )
    func constantTime(presented: [UInt8], expected: [UInt8], equal: Bool) {
        #expect(WebhookAuth.constantTimeEquals(presented: presented, expected: expected) == equal)
    }

    /// 2026-11-27T10:00:00Z.
    static let now = Timestamp(millisecondsSinceEpoch: 1_795_773_600_000)

    @Test(
        "a signed request's timestamp is Unix seconds within 5 minutes of now, either way",
        arguments: [
            ("1795773600", true),  // now
            ("1795773300", true),  // 5 minutes old
            ("1795773900", true),  // 5 minutes ahead
            ("1795773299", false),  // older: a replay
            ("1795774201", false),  // too far ahead
            ("0", false),
            ("1795773600000", false),  // milliseconds
            ("17957736OO", false),
            ("-1795773600", false),
            ("", false),
        ] as [(String, Bool)]
    )
    func timestamps(header: String, accepted: Bool) {
        #expect((WebhookAuth.timestampProblem(header: header, now: Self.now) == nil) == accepted)
    }

    @Test("a refused timestamp says why")
    func timestampReasons() {
        #expect(
            WebhookAuth.timestampProblem(header: nil, now: Self.now)?.contains("missing X-Rewind-Timestamp") == true)
        #expect(WebhookAuth.timestampProblem(header: "1795773000", now: Self.now)?.contains("600 s old") == true)
        #expect(WebhookAuth.timestampProblem(header: "1795774600", now: Self.now)?.contains("in the future") == true)
        #expect(WebhookAuth.timestampProblem(header: "soon", now: Self.now)?.contains("not Unix seconds") == true)
    }

    @Test("what is signed is the timestamp, a dot and the body, as the outbound webhooks sign")
    func signedMessage() {
        #expect(
            WebhookAuth.signedMessage(timestamp: "1795773600", body: Array(#"{"a":1}"#.utf8))
                == Array(#"1795773600.{"a":1}"#.utf8))
    }
}
