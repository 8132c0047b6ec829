/// A point in wall-clock time, in whole milliseconds since the Unix epoch.
///
/// RewindCore never reads a clock: every decision takes `now` as an argument, so the same
/// observations and the same `now` always give the same answer. Callers get the time from the
/// injected clock (`RewindClock` in RewindPorts).
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    // Arithmetic saturates at the ends of Int64 instead of trapping: a time or a wait can come from
    // outside (a vendor's Retry-After, a reset time, a commit date), and no value may crash the daemon.

    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Saturating.add(lhs.millisecondsSinceEpoch, rhs.milliseconds))
    }

    public static func - (lhs: Timestamp, rhs: Duration) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Saturating.subtract(lhs.millisecondsSinceEpoch, rhs.milliseconds))
    }

    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration {
        .milliseconds(Saturating.subtract(lhs.millisecondsSinceEpoch, rhs.millisecondsSinceEpoch))
    }

    /// From seconds since the epoch (a `Date`'s `timeIntervalSince1970`, a Unix time from a vendor),
    /// rounded to milliseconds and clamped to what Timestamp holds; NaN is the epoch.
    public init(secondsSinceEpoch seconds: Double) {
        self.init(millisecondsSinceEpoch: Saturating.milliseconds(fromSeconds: seconds))
    }

    /// From whole seconds since the epoch, clamped to what Timestamp holds.
    public init(secondsSinceEpoch seconds: Int64) {
        self.init(millisecondsSinceEpoch: Saturating.multiply(seconds, 1000))
    }

    public init(from decoder: any Decoder) throws {
        millisecondsSinceEpoch = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(millisecondsSinceEpoch)
    }

    /// 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the range ``iso8601`` prints.
    static let firstPrintable: Int64 = -62_135_596_800_000
    static let lastPrintable: Int64 = 253_402_300_799_999

    /// ISO 8601 in UTC with milliseconds, e.g. `2026-11-27T10:31:08.250Z`.
    public var description: String { iso8601 }

    /// Instants before the year 1 or after the year 9999 (a saturated time) print as those years' ends.
    public var iso8601: String {
        let ms = min(max(millisecondsSinceEpoch, Self.firstPrintable), Self.lastPrintable)
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let millis = ms - seconds * 1000
        var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil-from-days (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        var year = yearOfEra + era * 400
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        if month <= 2 { year += 1 }
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }
}

extension Duration {
    /// Whole milliseconds, truncated toward zero; a duration beyond what Int64 milliseconds hold
    /// (about 292 million years either way) gives the nearest end instead of trapping.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return Saturating.add(Saturating.multiply(seconds, 1000), attoseconds / 1_000_000_000_000_000)
    }

    /// `seconds` seconds, clamped to what Int64 milliseconds hold; NaN is zero. For a number of
    /// seconds read from outside (a header, a JSON answer).
    public static func seconds(saturating seconds: Double) -> Duration {
        .milliseconds(Saturating.milliseconds(fromSeconds: seconds))
    }

    /// Seconds as a floating-point number, for display and JSON.
    public var seconds: Double {
        Double(milliseconds) / 1000
    }

    /// The form Rewind's configuration accepts and prints: `1h30m`, `2m`, `30s`, `250ms`.
    public var rewindDescription: String {
        var ms = milliseconds
        if ms == 0 { return "0s" }
        var parts = ""
        if ms < 0 {
            parts = "-"
            ms = ms == .min ? .max : -ms
        }
        let hours = ms / 3_600_000
        let minutes = ms % 3_600_000 / 60_000
        let secs = ms % 60_000 / 1000
        let rest = ms % 1000
        if hours > 0 { parts += "\(hours)h" }
        if minutes > 0 { parts += "\(minutes)m" }
        if secs > 0 { parts += "\(secs)s" }
        if rest > 0 { parts += "\(rest)ms" }
        return parts
    }

    /// Parses `30s`, `2m`, `1h`, `1h30m`, `250ms` (units in descending order, each at most once).
    /// Returns nil for anything else, such as `5 minutes`, `90`, or `1.5h`.
    public static func parseRewind(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]
        var rest = Substring(text)
        var total: Int64 = 0
        var nextUnit = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, digits.count <= 9, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix(while: { $0.isASCII && $0.isLetter })
            rest = rest.dropFirst(letters.count)
            guard let index = units.firstIndex(where: { $0.0 == letters }), index >= nextUnit else { return nil }
            total += value * units[index].1
            nextUnit = index + 1
        }
        return .milliseconds(total)
    }

    public static let acceptedForms = "30s, 2m, 1h, 1h30m or 250ms"
}

/// Int64 arithmetic that stops at the ends instead of trapping.
public enum Saturating {
    public static func add(_ lhs: Int64, _ rhs: Int64) -> Int64 {
        let (sum, overflow) = lhs.addingReportingOverflow(rhs)
        guard overflow else { return sum }
        return rhs > 0 ? .max : .min
    }

    public static func subtract(_ lhs: Int64, _ rhs: Int64) -> Int64 {
        let (difference, overflow) = lhs.subtractingReportingOverflow(rhs)
        guard overflow else { return difference }
        return rhs < 0 ? .max : .min
    }

    public static func multiply(_ lhs: Int64, _ rhs: Int64) -> Int64 {
        let (product, overflow) = lhs.multipliedReportingOverflow(by: rhs)
        guard overflow else { return product }
        return (lhs < 0) == (rhs < 0) ? .max : .min
    }

    /// `seconds` × 1000, rounded, clamped to Int64; NaN is 0.
    public static func milliseconds(fromSeconds seconds: Double) -> Int64 {
        integer(seconds * 1000)
    }

    /// `value` rounded to the nearest whole number, clamped to Int64; NaN is 0.
    public static func integer(_ value: Double) -> Int64 {
        guard !value.isNaN else { return 0 }
        let rounded = value.rounded()
        // 2^63 is exactly representable; every Double below it converts without trapping.
        if rounded >= 9_223_372_036_854_775_807.0 { return .max }
        if rounded <= -9_223_372_036_854_775_808.0 { return .min }
        return Int64(rounded)
    }

    /// Parses a run of ASCII digits (an optional leading `-`), giving the nearest end of Int64 for a
    /// number too large for it; nil for anything that is not such a number.
    public static func integer<Text: StringProtocol>(_ text: Text) -> Int64? {
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        var value: Int64 = 0
        for scalar in digits.unicodeScalars {
            let digit = Int64(scalar.value - 48)
            value = add(multiply(value, 10), negative ? -digit : digit)
        }
        return value
    }
}
