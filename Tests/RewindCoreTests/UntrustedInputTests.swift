import Foundation
import RewindCore
import Testing

/// Values that come from outside Rewind — a vendor's wait, a commit's date, an id someone recorded —
/// never trap and never reach a provider unchecked.
@Suite("Untrusted input: saturating time, deployment ids, retry budgets")
struct UntrustedInputTests {
    typealias S = Fixture

    // MARK: - Time saturates instead of trapping

    @Test(
        "Duration.milliseconds saturates for durations beyond Int64 milliseconds",
        arguments: [
            (Duration.seconds(Int64.max), Int64.max),
            (Duration.seconds(Int64.min), Int64.min),
            (Duration.seconds(9_999_999_999_999_999), Int64.max),
            (Duration.seconds(-9_999_999_999_999_999), Int64.min),
            (Duration.seconds(9_223_372_036_854_775), 9_223_372_036_854_775_000),
            (Duration.milliseconds(Int64.max), Int64.max),
            (Duration.milliseconds(Int64.min), Int64.min),
        ] as [(Duration, Int64)])
    func durationMillisecondsSaturate(duration: Duration, expected: Int64) {
        #expect(duration.milliseconds == expected)
        #expect(!duration.rewindDescription.isEmpty)
    }

    @Test("Timestamp arithmetic saturates at the ends of time")
    func timestampArithmeticSaturates() {
        let end = Timestamp(millisecondsSinceEpoch: .max)
        let start = Timestamp(millisecondsSinceEpoch: .min)
        #expect(end + .seconds(1) == end)
        #expect(S.base + .seconds(9_999_999_999_999_999) == end)
        #expect(start - .seconds(1) == start)
        #expect(Timestamp(millisecondsSinceEpoch: -1) - .seconds(9_999_999_999_999_999) == start)
        #expect(end - start == .milliseconds(Int64.max))
        #expect(start - end == .milliseconds(Int64.min))
        #expect(Timestamp(secondsSinceEpoch: Int64(9_999_999_999_999_999)) == end)
        #expect(Timestamp(secondsSinceEpoch: -1e300) == start)
        #expect(Timestamp(secondsSinceEpoch: Double.infinity) == end)
        #expect(Timestamp(secondsSinceEpoch: Double.nan) == Timestamp(millisecondsSinceEpoch: 0))
        #expect(Timestamp(secondsSinceEpoch: 1.2345) == Timestamp(millisecondsSinceEpoch: 1235))
        #expect(end.iso8601 == "9999-12-31T23:59:59.999Z")
        #expect(start.iso8601 == "0001-01-01T00:00:00.000Z")
    }

    @Test(
        "Saturating.integer reads digits of any length",
        arguments: [
            ("0", Int64(0)), ("42", 42), ("-42", -42), ("9223372036854775807", .max),
            ("9223372036854775808", .max), ("99999999999999999999999999999", .max), ("-99999999999999999999", .min),
        ])
    func saturatingInteger(text: String, expected: Int64) {
        #expect(Saturating.integer(text) == expected)
    }

    @Test("Saturating.integer refuses what is not a number", arguments: ["", "-", "1.5", " 1", "1e3", "+1", "٣"])
    func saturatingIntegerRefuses(text: String) {
        #expect(Saturating.integer(text) == nil)
    }

    // MARK: - The retry budget

    @Test("the retry budget is every retry at its longest delay")
    func retryBudget() {
        #expect(RetryPolicy(attempts: 3, baseDelay: .milliseconds(500), maxDelay: .seconds(5)).budget == .seconds(15))
        #expect(RetryPolicy(attempts: 5, baseDelay: .seconds(1), maxDelay: .seconds(60)).budget == .seconds(300))
        #expect(RetryPolicy(attempts: 0, baseDelay: .seconds(1), maxDelay: .seconds(60)).budget == .zero)
        #expect(
            RetryPolicy(attempts: .max, baseDelay: .seconds(1), maxDelay: .seconds(60)).budget
                == Duration.milliseconds(Int64.max))
    }

    struct DeliveryCase: Sendable, CustomTestStringConvertible {
        var name: String
        var attempts = 1
        var transient = true
        var retryAfter: Duration?
        var expected: DeliveryRule.Next
        var testDescription: String { name }
    }

    static let retry = RetryPolicy(attempts: 5, baseDelay: .seconds(1), maxDelay: .seconds(60))

    @Test(
        "delivery: a channel that asks to wait longer than the whole retry budget is given up on at once",
        arguments: [
            DeliveryCase(
                name: "Retry-After within the budget is waited for", retryAfter: .seconds(120),
                expected: .retry(at: S.t(120))),
            DeliveryCase(
                name: "Retry-After equal to the budget is waited for", retryAfter: .seconds(300),
                expected: .retry(at: S.t(300))),
            DeliveryCase(name: "Retry-After past the budget gives up", retryAfter: .seconds(301), expected: .giveUp),
            DeliveryCase(name: "an hour gives up", retryAfter: .seconds(3600), expected: .giveUp),
            DeliveryCase(name: "Int64.max gives up", retryAfter: Duration.milliseconds(Int64.max), expected: .giveUp),
            DeliveryCase(
                name: "no Retry-After: backoff", retryAfter: nil, expected: .retry(at: S.base + .milliseconds(250))),
            DeliveryCase(name: "permanent: give up", transient: false, retryAfter: .seconds(1), expected: .giveUp),
            DeliveryCase(name: "attempts spent: give up", attempts: 6, retryAfter: .seconds(1), expected: .giveUp),
        ])
    func deliveryRuleBudget(_ entry: DeliveryCase) {
        let next = DeliveryRule.afterFailure(
            attempts: entry.attempts, transient: entry.transient, retryAfter: entry.retryAfter, policy: Self.retry,
            now: S.base, unitRandom: 0)
        #expect(next == entry.expected)
    }

    // MARK: - Deployment ids and versions

    @Test(
        "ids and versions that pass: platform ids, images, versions, commit ids",
        arguments: [
            "dpl_7Qm3rX", "web-5d8f7c9b6", "3f2a9c1e", "v1.2.3", "registry.example.com:5000/shop/web:v2@sha256:0a1b",
            "2f1e8a5c-7b6d-4e3f-9a1b-0c2d3e4f5a6b", "release/2026.11", "1.0.0+build.7", "user@host", "a",
            String(repeating: "x", count: 256),
        ])
    func identifiersThatPass(value: String) {
        #expect(DeploymentIdentifier.problem(value) == nil)
    }

    @Test(
        "ids and versions that are refused, with the rule named",
        arguments: [
            ("", "is empty"),
            ("-rf", "starts with '-'"),
            ("--output=/etc/passwd", "starts with '-'"),
            ("..", "'..'"),
            (".", "'..'"),
            ("../../etc", "'..'"),
            ("a/../b", "'..'"),
            ("v1 --force", "a space"),
            ("v1\n--force", "a line break"),
            ("v1\r\nX-Injected: 1", "a line break"),
            ("$(reboot)", "'$'"),
            ("a;b", "';'"),
            ("%2E%2E", "'%'"),
            ("naïve", "U+EF"),
            (String(repeating: "x", count: 257), "longer than 256"),
        ])
    func identifiersThatAreRefused(value: String, problem: String) throws {
        let found = try #require(DeploymentIdentifier.problem(value))
        #expect(found.contains(problem), "\(found)")
        let error = #expect(throws: InvalidDeploymentIdentifier.self) {
            try DeploymentIdentifier.validate(value, as: "version")
        }
        #expect(error?.message.contains(DeploymentIdentifier.rule) == true)
        #expect(error?.code == "invalid_deployment_version")
    }

    // MARK: - Where a deployment was seen

    @Test("recording again never clears wasLive or listed, and a report cannot rename a listed deployment")
    func mergeKeepsProvenance() {
        let listed = Deployment(
            service: "backend", id: "b1", version: "registry/app:v1", deployedAt: S.base, listed: true)
        let reported = Deployment(
            service: "backend", id: "b1", version: "evil/image:latest", deployedAt: S.t(10), wasLive: true)
        let merged = DeploymentRecordMerge.merge(stored: listed, incoming: reported)
        #expect(merged.listed && merged.wasLive)
        #expect(merged.version == "registry/app:v1", "the platform's version stays")
        let relisted = DeploymentRecordMerge.merge(
            stored: merged,
            incoming: Deployment(
                service: "backend", id: "b1", version: "registry/app:v1-renamed", deployedAt: S.base, listed: true))
        #expect(relisted.version == "registry/app:v1-renamed", "the platform may rename its own")
        #expect(relisted.wasLive)
        let plain = DeploymentRecordMerge.merge(
            stored: Deployment(service: "backend", id: "b2", version: "v2", deployedAt: S.base),
            incoming: Deployment(service: "backend", id: "b2", version: "v2.1", deployedAt: S.base))
        #expect(plain.version == "v2.1" && !plain.wasLive && !plain.listed)
    }

    @Test("a deployment stored by an older Rewind decodes with wasLive and listed false")
    func decodesOlderJSON() throws {
        let json = #"{"service":"backend","id":"b1","version":"v1","deployedAt":1000,"trust":"suspect"}"#
        let decoded = try JSONDecoder().decode(Deployment.self, from: Data(json.utf8))
        #expect(
            decoded
                == Deployment(
                    service: "backend", id: "b1", version: "v1", deployedAt: .init(millisecondsSinceEpoch: 1000)))
        let flagged = Deployment(
            service: "backend", id: "b1", version: "v1", deployedAt: S.base, wasLive: true, listed: true)
        #expect(try JSONDecoder().decode(Deployment.self, from: JSONEncoder().encode(flagged)) == flagged)
    }
}
