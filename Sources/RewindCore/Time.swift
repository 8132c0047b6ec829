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

    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: lhs.millisecondsSinceEpoch + rhs.milliseconds)
    }

    public static func - (lhs: Timestamp, rhs: Duration) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: lhs.millisecondsSinceEpoch - rhs.milliseconds)
    }

    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration {
        .milliseconds(lhs.millisecondsSinceEpoch - rhs.millisecondsSinceEpoch)
    }

    public init(from decoder: any Decoder) throws {
        millisecondsSinceEpoch = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(millisecondsSinceEpoch)
    }

    /// ISO 8601 in UTC with milliseconds, e.g. `2026-11-27T10:31:08.250Z`.
    public var description: String { iso8601 }

    public var iso8601: String {
        let ms = millisecondsSinceEpoch
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
    /// Whole milliseconds, truncated toward zero.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
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
            ms = -ms
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
