import RewindCore
import Testing

@Suite("Time: durations and timestamps")
struct TimeTests {
    @Test(
        "parseRewind accepts the configuration forms",
        arguments: [
            ("30s", Int64(30_000)),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("1h30m", 5_400_000),
            ("250ms", 250),
            ("1h30m15s", 5_415_000),
            ("1m500ms", 60_500),
            ("0s", 0),
            ("90m", 5_400_000),
        ])
    func parsesAcceptedForms(text: String, milliseconds: Int64) {
        #expect(Duration.parseRewind(text) == .milliseconds(milliseconds))
    }

    @Test(
        "parseRewind rejects anything else",
        arguments: [
            "5 minutes", "90", "1.5h", "", "m", "30s1h", "1h1h", "1ms1s", "-5s", "5d", "1h 30m", " 30s", "30s ",
            "10000000000s",
        ])
    func rejectsOtherForms(text: String) {
        #expect(Duration.parseRewind(text) == nil)
    }

    @Test(
        "rewindDescription prints canonical forms unchanged",
        arguments: ["30s", "2m", "1h", "1h30m", "250ms", "1h30m15s"])
    func descriptionRoundTripsCanonicalText(text: String) throws {
        let duration = try #require(Duration.parseRewind(text))
        #expect(duration.rewindDescription == text)
    }

    @Test(
        "parseRewind reads back what rewindDescription prints",
        arguments: [Int64(0), 1, 999, 1000, 59_999, 60_000, 3_600_000, 5_415_250, 90_061_001])
    func parseRoundTripsDescription(milliseconds: Int64) {
        let duration = Duration.milliseconds(milliseconds)
        #expect(Duration.parseRewind(duration.rewindDescription) == duration)
    }

    @Test("rewindDescription normalises and signs")
    func descriptionNormalises() {
        #expect(Duration.seconds(5400).rewindDescription == "1h30m")
        #expect(Duration.zero.rewindDescription == "0s")
        #expect(Duration.milliseconds(-1500).rewindDescription == "-1s500ms")
        #expect(Duration.milliseconds(-1500).milliseconds == -1500)
    }

    @Test(
        "iso8601 renders known instants in UTC with milliseconds",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00.000Z"),
            // python3: datetime.fromtimestamp(1790000000, tz=timezone.utc) → 2026-09-21 14:13:20
            (1_790_000_000_000, "2026-09-21T14:13:20.000Z"),
            // Leap days, and a century that is not a leap year.
            (1_709_210_096_789, "2024-02-29T12:34:56.789Z"),
            (951_868_799_999, "2000-02-29T23:59:59.999Z"),
            (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
            // Before the epoch: the milliseconds still count forward.
            (-1, "1969-12-31T23:59:59.999Z"),
        ])
    func iso8601(milliseconds: Int64, expected: String) {
        let timestamp = Timestamp(millisecondsSinceEpoch: milliseconds)
        #expect(timestamp.iso8601 == expected)
        #expect(timestamp.description == expected)
    }

    @Test("timestamp arithmetic with durations")
    func arithmetic() {
        let start = Timestamp(millisecondsSinceEpoch: 1_000)
        #expect(start + .seconds(2) == Timestamp(millisecondsSinceEpoch: 3_000))
        #expect(start - .milliseconds(250) == Timestamp(millisecondsSinceEpoch: 750))
        #expect(Timestamp(millisecondsSinceEpoch: 3_500) - start == .milliseconds(2_500))
        #expect(start < start + .milliseconds(1))
        #expect(Duration.milliseconds(2_500).seconds == 2.5)
    }
}
