import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSandbox
import Testing

@testable import RewindProviders

/// Every wait a vendor asks for is parsed with saturating arithmetic and capped at an hour: a
/// 16-digit `Retry-After`, a reset time in the year 9999 or before the epoch never traps the daemon.
@Suite("Retry-After and vendor reset times: never a trap, always 0…3600 s")
struct RetryAfterTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)
    static let hour = Duration.seconds(3600)

    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    @Test(
        "extreme delta-seconds are capped at an hour",
        arguments: [
            ("9999999999999999", hour),
            ("99999999999999999999999999999999999999", hour),
            ("9223372036854775807", hour),
            ("9223372036854775808", hour),
            ("3601", hour),
            ("3600", hour),
            ("120", Duration.seconds(120)),
            ("0", Duration.zero),
            (" 7 ", Duration.seconds(7)),
            ("-5", Duration.zero),
            ("-9999999999999999999", Duration.zero),
        ])
    func deltaSeconds(text: String, expected: Duration) {
        #expect(RetryAfter.parse(text, now: Self.now) == expected)
    }

    @Test("HTTP dates: the year 9999 waits an hour, the past waits nothing")
    func httpDates() {
        #expect(RetryAfter.parse("Fri, 31 Dec 9999 23:59:59 GMT", now: Self.now) == Self.hour)
        #expect(RetryAfter.parse(Self.httpDate(Self.now.addingTimeInterval(90)), now: Self.now) == .seconds(90))
        #expect(RetryAfter.parse(Self.httpDate(Self.now.addingTimeInterval(-90)), now: Self.now) == .zero)
        #expect(RetryAfter.parse("Thu, 01 Jan 1970 00:00:00 GMT", now: Self.now) == .zero)
    }

    /// Found by fuzzing (Fuzz/findings/retry-after-non-ascii-date): Foundation's `DateFormatter` traps on
    /// "S", a combining mark, digits and an invalid byte. In its own process, so that a trap fails the test.
    @Test("a value with a combining mark and an invalid byte is no wait, not a trap")
    func nonASCIIValueDoesNotTrap() async {
        await #expect(processExitsWith: .success) {
            let header = String(decoding: [0x53, 0xCC, 0xAD, 0x31, 0x38, 0x36, 0xB0] as [UInt8], as: UTF8.self)
            let dated = String(decoding: Array("Fri, 31 Dec 9999 23:59:59 GMT".utf8) + [0xCC, 0xAD], as: UTF8.self)
            exit(RetryAfter.parse(header) == nil && RetryAfter.parse(dated) == nil ? 0 : 1)
        }
    }

    @Test("what is neither a number nor a date is no wait", arguments: ["", "soon", "1.5", "1e9", "0x10", "٣"])
    func garbage(text: String) {
        #expect(RetryAfter.parse(text, now: Self.now) == nil)
    }

    /// A property over many generated values, from a fixed seed so that a failure reproduces:
    /// whatever the header holds, parsing returns nil or a wait within 0…3600 s.
    @Test("any header value: nil or 0…3600 s (20,000 generated values)")
    func anyValueIsBounded() {
        var random = SplitMix64(seed: 0x5EED_11)
        let alphabet = Array("0123456789-+ .,:eE GMTFriDecJan\u{0}\r\n9")
        for index in 0..<20_000 {
            let text: String
            switch index % 4 {
            case 0:
                text = String((0..<Int(random.next() % 45)).map { _ in "0123456789".randomElement(using: &random)! })
            case 1:
                text =
                    "-"
                    + String((0..<Int(random.next() % 30 + 1)).map { _ in "0123456789".randomElement(using: &random)! })
            case 2:
                let year = Int(random.next() % 12_000)
                text = "Fri, \(random.next() % 40) Dec \(year) \(random.next() % 30):00:00 GMT"
            default: text = String((0..<Int(random.next() % 24)).map { _ in alphabet.randomElement(using: &random)! })
            }
            if let wait = RetryAfter.parse(text, now: Self.now) {
                #expect(wait >= .zero && wait <= Self.hour, "\(text.debugDescription) → \(wait)")
            }
        }
    }

    // MARK: - Vendor-specific reset times

    static func answer(_ status: Int = 429, headers: [(String, String)] = [], json: String = "{}") -> HTTPAnswer {
        HTTPAnswer(status: status, headers: HTTPHeaders(headers), body: Data(json.utf8))
    }

    @Test(
        "Vercel's limit.resetMs / limit.reset in the body, at any value",
        arguments: [
            (#"{"error":{"code":"rate_limited","limit":{"resetMs":9223372036854775807}}}"#, hour),
            (#"{"error":{"code":"rate_limited","limit":{"resetMs":-9223372036854775808}}}"#, Duration.zero),
            (#"{"error":{"code":"rate_limited","limit":{"reset":9999999999999999}}}"#, hour),
            (#"{"error":{"code":"rate_limited","limit":{"reset":-9999999999999999}}}"#, Duration.zero),
            (#"{"error":{"code":"rate_limited","limit":{"resetMs":1790000030000}}}"#, Duration.seconds(30)),
        ])
    func vercelBodyReset(json: String, expected: Duration) {
        let envelope = VercelErrorEnvelope(Self.answer(json: json))
        #expect(envelope.retryAfter(now: Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)) == expected)
    }

    @Test(
        "LaunchDarkly's X-Ratelimit-Reset (epoch ms), at any value",
        arguments: [
            ("9223372036854775807", hour), ("-9223372036854775808", Duration.zero), ("99999999999999999999", hour),
            ("1790000012000", Duration.seconds(12)),
        ])
    func launchDarklyReset(header: String, expected: Duration) {
        let answer = VendorAnswer(status: 429, headers: HTTPHeaders([("X-Ratelimit-Reset", header)]), body: Data())
        #expect(LaunchDarklySwitch.retryAfter(answer, now: Self.now) == expected)
    }

    @Test(
        "Cloudflare's Ratelimit t=, at any value",
        arguments: [
            (#""default";r=0;t=9999999999999999"#, hour), (#""default";r=0;t=99999999999999999999999"#, hour),
            (#""default";r=0;t=-5"#, Duration.zero), (#""default";r=0;t=42"#, Duration.seconds(42)),
        ])
    func cloudflareRatelimit(header: String, expected: Duration) {
        let answer = VendorAnswer(status: 429, headers: HTTPHeaders([("Ratelimit", header)]), body: Data())
        #expect(CloudflareTraffic.retryAfter(answer) == expected)
    }
}
