import Foundation
import RewindCore
import RewindSignals

/// One object of a JSON-lines input file, with typed, range-checked field reads that fail naming the line.
struct JSONLine {
    let file: String
    let line: Int
    let object: [String: JSONValue]

    /// Every non-blank line of `text` that is not a `#` comment, as an object; throws for anything else.
    static func lines(of text: String, file: String, allowed: Set<String>) throws -> [JSONLine] {
        var lines: [JSONLine] = []
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let number = offset + 1
            guard let data = trimmed.data(using: .utf8),
                case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data)
            else {
                throw ReplayInputError(file: file, line: number, "not a JSON object; write one object per line")
            }
            if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw ReplayInputError(
                    file: file, line: number,
                    "unknown field \"\(unknown)\"; the fields are \(allowed.sorted().joined(separator: ", "))")
            }
            lines.append(JSONLine(file: file, line: number, object: object))
        }
        return lines
    }

    func fail(_ problem: String) -> ReplayInputError { ReplayInputError(file: file, line: line, problem) }

    /// A non-empty string of at most 256 characters.
    func string(_ key: String) throws -> String {
        guard let value = try optionalString(key) else { throw fail("\"\(key)\" is missing") }
        return value
    }

    func optionalString(_ key: String) throws -> String? {
        guard let raw = object[key], raw != .null else { return nil }
        guard case .string(let value) = raw, !value.isEmpty, value.count <= 256 else {
            throw fail("\"\(key)\" must be a non-empty string of at most 256 characters")
        }
        return value
    }

    /// RFC 3339 (`2026-11-01T10:00:00Z`) or Unix seconds, between 1970 and 9999.
    func time(_ key: String) throws -> Timestamp {
        guard let value = try optionalTime(key) else { throw fail("\"\(key)\" is missing") }
        return value
    }

    func optionalTime(_ key: String) throws -> Timestamp? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let text)?: if let time = ReplayTime.parse(text) { return time }
        case .number(let seconds)?: if let time = ReplayTime.unixSeconds(seconds) { return time }
        default: break
        }
        throw fail("\"\(key)\" must be an RFC 3339 time (2026-11-01T10:00:00Z) or Unix seconds")
    }

    func bool(_ key: String) throws -> Bool {
        guard case .bool(let value)? = object[key] else { throw fail("\"\(key)\" must be true or false") }
        return value
    }

    func optionalNumber(_ key: String, in range: ClosedRange<Double>, _ what: String) throws -> Double? {
        guard let raw = object[key], raw != .null else { return nil }
        guard case .number(let number) = raw, range.contains(number) else { throw fail("\"\(key)\" must be \(what)") }
        return number
    }
}

/// Times as replay's inputs and options write them.
public enum ReplayTime {
    /// Unix seconds 0 (1970) up to the end of year 9999.
    static let unixRange = 0.0...253_402_300_799.0

    /// RFC 3339, or Unix seconds with an optional fraction (`1762000000.5`).
    public static func parse(_ text: String) -> Timestamp? {
        if let time = RFC3339.parse(text) { return time }
        guard text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let seconds = Double(text) else {
            return nil
        }
        return unixSeconds(seconds)
    }

    static func unixSeconds(_ seconds: Double) -> Timestamp? {
        guard seconds.isFinite, unixRange.contains(seconds) else { return nil }
        return Timestamp(millisecondsSinceEpoch: Int64((seconds * 1000).rounded()))
    }
}
