import RewindCore

/// RFC 3339 date-times as Alertmanager (Go's `time.Time`) and pushing applications write them:
/// `2026-03-01T12:04:30Z`, `2026-03-01T12:04:30.123456789Z`, `2026-03-01T13:04:30+01:00`.
///
/// Fractions are truncated to milliseconds. `T` may be `t` or a space; `Z` may be `z`.
public enum RFC3339 {
    /// Go's zero `time.Time`, which Alertmanager sends as `endsAt` for a firing alert.
    static let goZeroTime = Timestamp(millisecondsSinceEpoch: -62_135_596_800_000)

    public static func parse(_ text: String) -> Timestamp? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.take("-"),
            let month = scanner.number(digits: 2), scanner.take("-"),
            let day = scanner.number(digits: 2),
            scanner.take("T") || scanner.take("t") || scanner.take(" "),
            let hour = scanner.number(digits: 2), scanner.take(":"),
            let minute = scanner.number(digits: 2), scanner.take(":"),
            let second = scanner.number(digits: 2)
        else { return nil }
        var millis: Int64 = 0
        if scanner.take(".") {
            guard let fraction = scanner.fractionMilliseconds() else { return nil }
            millis = fraction
        }
        let offsetMinutes: Int64
        if scanner.take("Z") || scanner.take("z") {
            offsetMinutes = 0
        } else {
            let sign: Int64
            if scanner.take("+") {
                sign = 1
            } else if scanner.take("-") {
                sign = -1
            } else {
                return nil
            }
            guard let offsetHours = scanner.number(digits: 2), scanner.take(":"),
                let offsetMins = scanner.number(digits: 2), offsetHours <= 23, offsetMins <= 59
            else { return nil }
            offsetMinutes = sign * (offsetHours * 60 + offsetMins)
        }
        guard scanner.atEnd, (1...12).contains(month), day >= 1,
            day <= daysIn(month: month, year: year),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        return Timestamp(millisecondsSinceEpoch: seconds * 1000 + millis)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days-from-civil).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position == bytes.count }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }

        mutating func number(digits: Int) -> Int64? {
            guard position + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[position..<position + digits] {
                guard let digit = Self.digit(byte) else { return nil }
                value = value * 10 + digit
            }
            position += digits
            return value
        }

        /// One or more digits after the point, as whole milliseconds (truncated).
        mutating func fractionMilliseconds() -> Int64? {
            var millis: Int64 = 0
            var count = 0
            while position < bytes.count, let digit = Self.digit(bytes[position]) {
                if count < 3 { millis = millis * 10 + digit }
                count += 1
                position += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 3) { millis *= 10 }
            return millis
        }

        private static func digit(_ byte: UInt8) -> Int64? {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int64(byte - UInt8(ascii: "0")) : nil
        }
    }
}
