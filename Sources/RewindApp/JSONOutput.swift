import Foundation
import RewindCore

/// What `-o json` prints, for every command: one key style, snake_case, and times as RFC 3339 strings
/// (`"opened_at": "2026-12-07T10:46:11.000Z"`), whatever the Swift types' own coding says. The state
/// database and the API keep their encodings; only the CLI's output is rewritten.
///
/// A key written in camelCase (`knownGoodAt`, `incidentID`) becomes snake_case (`known_good_at`,
/// `incident_id`); any other key is left as it is. A `Timestamp` encodes as its milliseconds since the
/// epoch: an integer under a time's key (`at`, `…At`, `…_at`, `until`, `…Since`, `timestamp`) is written
/// as RFC 3339 in UTC with milliseconds.
public enum JSONOutput {
    /// `compact`: on one line (the demo's summary, for scripts), else indented.
    public static func render<T: Encodable>(_ value: T, compact: Bool = false) -> String {
        guard let data = try? JSONEncoder().encode(value),
            let tree = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
            let out = try? JSONSerialization.data(
                withJSONObject: rewrite(tree),
                options: compact
                    ? [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]
                    : [.prettyPrinted, .sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        else { return "{}" }
        return String(decoding: out, as: UTF8.self)
    }

    static func rewrite(_ node: Any, key: String? = nil) -> Any {
        if let object = node as? [String: Any] {
            var rewritten: [String: Any] = [:]
            for (key, value) in object { rewritten[snakeCase(key)] = rewrite(value, key: key) }
            return rewritten
        }
        if let array = node as? [Any] { return array.map { rewrite($0, key: key) } }
        if let key, isTime(key), let number = node as? NSNumber, !isBoolean(number),
            number.doubleValue == number.doubleValue.rounded(), abs(number.doubleValue) < 253_402_300_800_000
        {
            return Timestamp(millisecondsSinceEpoch: number.int64Value).iso8601
        }
        return node
    }

    /// The keys Rewind's times are written under.
    static func isTime(_ key: String) -> Bool {
        key == "at" || key == "until" || key == "timestamp" || key.hasSuffix("At") || key.hasSuffix("_at")
            || key.hasSuffix("Since") || key == "since"
    }

    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    /// `knownGoodAt` → `known_good_at`, `incidentID` → `incident_id`, `durationMs` → `duration_ms`; a key that does
    /// not start with a lowercase letter or holds anything but letters and digits is returned as it is.
    static func snakeCase(_ key: String) -> String {
        let characters = Array(key)
        guard let first = characters.first, first.isLowercase, first.isASCII,
            characters.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
            characters.contains(where: \.isUppercase)
        else { return key }
        var result = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                // A word starts here: after a lowercase letter or digit, or at the last capital of an acronym.
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    result.append("_")
                }
            }
            result.append(Character(character.lowercased()))
        }
        return result
    }
}
