/// PromQL with `{{name}}` placeholders filled with label values, e.g.
/// `sum(rate(http_requests_total{service="{{service}}", code=~"5.."}[5m]))`.
///
/// A placeholder may only appear inside a double-quoted string literal (a label matcher's value). Its value
/// is escaped for a PromQL string (`\\`, `\"`, `\n`, `\r`, `\t`, other control characters as `\u00XX`), so
/// untrusted text can never end the string and change the query. Inside a regex matcher's string (after
/// `=~` or `!~`) the value is also regex-quoted (`.` → `\.`, …): it matches itself, never a pattern.
///
/// ``render(_:_:)`` fills only placeholders that are inside a closed double-quoted string and have a
/// value; everything else is left as written (so a misused template fails loudly at Prometheus instead of
/// inserting text where it could change the query). ``validate(_:knownNames:)`` reports that misuse when the
/// configuration is loaded.
public enum PromQLTemplate {
    /// Problems with `template`, one sentence each; empty when it is fine. Reports placeholders outside
    /// double-quoted strings, unknown placeholder names, a `{{` that does not form a placeholder, and a string
    /// literal left open. Positions are 1-based characters.
    public static func validate(_ template: String, knownNames: Set<String>) -> [String] {
        if template.allSatisfy(\.isWhitespace) { return ["the query is empty"] }
        var problems: [String] = []
        for segment in PromQLScanner.segments(of: template) {
            if !segment.isClosed {
                problems.append(
                    "the string literal opened at character \(segment.offset) is not closed (add the closing "
                        + "\(segment.kind.quote.map(String.init) ?? "quote"))"
                )
            }
            for placeholder in PromQLScanner.placeholders(in: segment.body) {
                let position = segment.bodyOffset + placeholder.range.lowerBound + 1
                guard let name = placeholder.name else {
                    problems.append("`{{` at character \(position) does not form a placeholder such as `{{service}}`")
                    continue
                }
                switch segment.kind {
                case .doubleQuoted:
                    break
                case .singleQuoted, .backtick:
                    problems.append(
                        "`{{\(name)}}` at character \(position) is inside a \(segment.kind.name); placeholders may "
                            + "only appear inside double quotes, e.g. {service=\"{{service}}\"}"
                    )
                case .code, .comment:
                    problems.append(
                        "`{{\(name)}}` at character \(position) is outside a double-quoted string; placeholders may "
                            + "only be label values, e.g. {service=\"{{service}}\"}"
                    )
                }
                if !knownNames.contains(name) {
                    let known = knownNames.sorted().map { "{{\($0)}}" }.joined(separator: ", ")
                    problems.append(
                        "`{{\(name)}}` at character \(position) is not a known placeholder"
                            + (known.isEmpty ? "" : " (known: \(known))")
                    )
                }
            }
        }
        return problems
    }

    /// `template` with each placeholder inside a closed double-quoted string replaced by its escaped value.
    public static func render(_ template: String, _ values: [String: String]) -> String {
        var output = ""
        output.reserveCapacity(template.utf8.count)
        for segment in PromQLScanner.segments(of: template) {
            guard case .doubleQuoted(let isRegex) = segment.kind, segment.isClosed else {
                output += segment.source
                continue
            }
            var body = ""
            var position = 0
            let characters = segment.body
            for placeholder in PromQLScanner.placeholders(in: characters) {
                guard let name = placeholder.name, let value = values[name] else { continue }
                body += String(characters[position..<placeholder.range.lowerBound])
                body += escapeString(isRegex ? quoteRegex(value) : value)
                position = placeholder.range.upperBound
            }
            body += String(characters[position...])
            output += "\"" + body + "\""
        }
        return output
    }

    /// The placeholder names a template uses, in order of first appearance.
    public static func placeholderNames(in template: String) -> [String] {
        var names: [String] = []
        for segment in PromQLScanner.segments(of: template) {
            for name in PromQLScanner.placeholders(in: segment.body).compactMap(\.name) where !names.contains(name) {
                names.append(name)
            }
        }
        return names
    }

    /// `value` as the inside of a PromQL double-quoted string.
    public static func escapeString(_ value: String) -> String {
        var output = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": output += "\\\\"
            case "\"": output += "\\\""
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    /// `value` as an RE2 pattern matching exactly itself (Go's `regexp.QuoteMeta`).
    public static func quoteRegex(_ value: String) -> String {
        var output = ""
        for character in value {
            if "\\.+*?()|[]{}^$".contains(character) { output.append("\\") }
            output.append(character)
        }
        return output
    }
}

/// Splits PromQL into code, comments and string literals, the way the PromQL lexer does: `"…"` and `'…'`
/// with backslash escapes, raw `` `…` `` without, `#` comments to the end of the line.
enum PromQLScanner {
    enum Kind: Equatable {
        case code
        case comment
        /// `isRegex`: the string follows `=~` or `!~`.
        case doubleQuoted(isRegex: Bool)
        case singleQuoted
        case backtick

        var quote: Character? {
            switch self {
            case .doubleQuoted: "\""
            case .singleQuoted: "'"
            case .backtick: "`"
            case .code, .comment: nil
            }
        }

        var name: String {
            switch self {
            case .code: "expression"
            case .comment: "comment"
            case .doubleQuoted: "double-quoted string"
            case .singleQuoted: "single-quoted string"
            case .backtick: "raw (backtick) string"
            }
        }
    }

    struct Segment {
        var kind: Kind
        /// The text between the quotes (a string) or the text itself (code, comment).
        var body: [Character]
        /// 1-based position of the segment's first character (the opening quote of a string).
        var offset: Int
        var isClosed: Bool

        /// 0-based position of `body`'s first character in the template.
        var bodyOffset: Int { kind.quote == nil ? offset - 1 : offset }

        /// The segment as written.
        var source: String {
            guard let quote = kind.quote else { return String(body) }
            return String(quote) + String(body) + (isClosed ? String(quote) : "")
        }
    }

    struct Placeholder {
        /// Characters from `{{` through `}}` (through `{{` when malformed).
        var range: Range<Int>
        /// nil when `{{` is not followed by a name and `}}`.
        var name: String?
    }

    static func segments(of template: String) -> [Segment] {
        let characters = Array(template)
        var segments: [Segment] = []
        var code: [Character] = []
        var codeStart = 0
        var index = 0

        func flushCode() {
            if !code.isEmpty {
                segments.append(Segment(kind: .code, body: code, offset: codeStart + 1, isClosed: true))
            }
            code = []
        }

        while index < characters.count {
            let character = characters[index]
            switch character {
            case "#":
                flushCode()
                let end = characters[index...].firstIndex(of: "\n") ?? characters.count
                segments.append(
                    Segment(kind: .comment, body: Array(characters[index..<end]), offset: index + 1, isClosed: true)
                )
                index = end
                codeStart = index
            case "\"", "'", "`":
                let isRegex = followsRegexOperator(code)
                flushCode()
                let kind: Kind =
                    switch character {
                    case "\"": .doubleQuoted(isRegex: isRegex)
                    case "'": .singleQuoted
                    default: .backtick
                    }
                var body: [Character] = []
                var cursor = index + 1
                var closed = false
                while cursor < characters.count {
                    let next = characters[cursor]
                    if next == character {
                        closed = true
                        break
                    }
                    body.append(next)
                    if next == "\\", character != "`", cursor + 1 < characters.count {
                        body.append(characters[cursor + 1])
                        cursor += 1
                    }
                    cursor += 1
                }
                segments.append(Segment(kind: kind, body: body, offset: index + 1, isClosed: closed))
                index = closed ? cursor + 1 : characters.count
                codeStart = index
            default:
                if code.isEmpty { codeStart = index }
                code.append(character)
                index += 1
            }
        }
        flushCode()
        return segments
    }

    /// Every `{{` in `text`: a placeholder `{{name}}` (spaces allowed inside the braces), or a malformed one.
    static func placeholders(in text: [Character]) -> [Placeholder] {
        var found: [Placeholder] = []
        var index = 0
        while index + 1 < text.count {
            guard text[index] == "{", text[index + 1] == "{" else {
                index += 1
                continue
            }
            var cursor = index + 2
            while cursor < text.count, text[cursor] == " " { cursor += 1 }
            let nameStart = cursor
            if cursor < text.count, text[cursor].isASCII, text[cursor].isLetter || text[cursor] == "_" {
                cursor += 1
                while cursor < text.count, text[cursor].isASCII,
                    text[cursor].isLetter || text[cursor].isNumber || text[cursor] == "_" || text[cursor] == "."
                {
                    cursor += 1
                }
            }
            let name = String(text[nameStart..<cursor])
            while cursor < text.count, text[cursor] == " " { cursor += 1 }
            if !name.isEmpty, cursor + 1 < text.count, text[cursor] == "}", text[cursor + 1] == "}" {
                found.append(Placeholder(range: index..<(cursor + 2), name: name))
                index = cursor + 2
            } else {
                found.append(Placeholder(range: index..<(index + 2), name: nil))
                index += 2
            }
        }
        return found
    }

    private static func followsRegexOperator(_ code: [Character]) -> Bool {
        let trimmed = code.reversed().drop(while: \.isWhitespace)
        let lastTwo = String(trimmed.prefix(2).reversed())
        return lastTwo == "=~" || lastTwo == "!~"
    }
}
