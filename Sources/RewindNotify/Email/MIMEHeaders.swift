import Foundation
import RewindCore

/// Header text (RFC 5322, RFC 2047): never a line break from a value, encoded-words for anything
/// that is not plain ASCII, folding to keep lines short.
enum HeaderText {
    /// Replaces every run of CR, LF, tabs and other control characters with one space, so that text
    /// from the configuration or from a platform (service names, errors) can never start a header.
    static func sanitized(_ text: String) -> String {
        var output = String.UnicodeScalarView()
        var inBreak = false
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                if !inBreak { output.append(" ") }
                inBreak = true
            } else {
                output.append(scalar)
                inBreak = false
            }
        }
        return String(output)
    }

    /// `Name: value` for unstructured text (Subject): sanitized, RFC 2047-encoded when it is not
    /// printable ASCII, folded at spaces before 78 columns.
    static func field(_ name: String, _ value: String) -> String {
        let clean = sanitized(value)
        let longestWord = clean.split(separator: " ").map(\.utf8.count).max() ?? 0
        if !isPlainASCII(clean) || clean.contains("=?") || longestWord > 70 {
            return "\(name): " + encodedWords(clean).joined(separator: "\r\n ")
        }
        return fold("\(name): \(clean)")
    }

    /// `Name: a@example.com,` folded between mailboxes.
    static func addressField(_ name: String, _ addresses: [EmailAddress]) -> String {
        var lines: [String] = []
        var line = "\(name):"
        for (index, address) in addresses.enumerated() {
            let part = address.headerValue + (index < addresses.count - 1 ? "," : "")
            if line.utf8.count + 1 + part.utf8.count > 78, line != "\(name):" {
                lines.append(line)
                line = ""
            }
            line += " " + part
        }
        lines.append(line)
        return lines.joined(separator: "\r\n")
    }

    /// A display name: as written when it is plain words, quoted when it has specials, encoded when
    /// it is not ASCII.
    static func phrase(_ text: String) -> String {
        let clean = sanitized(text)
        if !isPlainASCII(clean) || clean.contains("=?") { return encodedWords(clean).joined(separator: " ") }
        let atext = Set("!#$%&'*+-/=?^_`{|}~ ".unicodeScalars)
        if clean.unicodeScalars.allSatisfy({ isLetterOrDigit($0) || atext.contains($0) }) {
            return clean
        }
        return "\"" + clean.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
    }

    /// RFC 2047 `=?utf-8?B?…?=` words of at most 75 characters, never splitting a character.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty, chunk.count + bytes.count > 45 {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(encodedWord(chunk)) }
        return words
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?utf-8?B?\(Data(bytes).base64EncodedString())?="
    }

    /// Breaks before a space so that lines stay within 78 columns where the words allow it.
    private static func fold(_ line: String) -> String {
        var lines: [String] = []
        var current = ""
        for (index, word) in line.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            if index == 0 {
                current = String(word)
            } else if current.utf8.count + 1 + word.utf8.count > 78, !current.trimmingASCIISpaces.isEmpty {
                lines.append(current)
                current = " " + word
            } else {
                current += " " + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    private static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}

/// The RFC 5322 `Date:` form, such as `Sun, 01 Mar 2026 12:08:00 +0000`, always in UTC.
enum RFC5322Date {
    static func string(_ timestamp: Timestamp) -> String {
        // `iso8601` is `YYYY-MM-DDTHH:MM:SS.mmmZ`; the calendar work is done there.
        let iso = Array(timestamp.iso8601.utf8)
        func part(_ range: Range<Int>) -> String { String(decoding: iso[range], as: UTF8.self) }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
        let milliseconds = timestamp.millisecondsSinceEpoch
        let days = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        let month = months[(Int(part(5..<7)) ?? 1) - 1]
        return "\(weekday), \(part(8..<10)) \(month) \(part(0..<4)) \(part(11..<19)) +0000"
    }
}
