import Foundation
import RewindCore
import Yams

/// A YAML node together with where it is: its dotted path and the line a problem about it points at.
struct Located {
    let node: Node
    /// `services.backend.checks[0].interval`; empty for the document itself.
    let path: String
    /// 1-based. For a value reached through a key, the key's line; for a list element, its own line.
    let line: Int

    func child(_ key: String, node: Node, keyLine: Int) -> Located {
        Located(node: node, path: path.isEmpty ? key : "\(path).\(key)", line: keyLine)
    }

    func element(_ index: Int, node: Node) -> Located {
        Located(node: node, path: "\(path)[\(index)]", line: node.mark?.line ?? line)
    }

    /// How the node looks, for "expected …, got …" messages.
    var shape: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if scalar.style == .plain || scalar.style == .any {
                switch node.tag.rawValue {
                case Tag.Name.null.rawValue: return "nothing"
                case Tag.Name.bool.rawValue: return "true/false"
                case Tag.Name.int.rawValue, Tag.Name.float.rawValue: return "the number \(scalar.string)"
                default: break
                }
            }
            return "'\(scalar.string)'"
        }
    }

    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return node.tag.rawValue == Tag.Name.null.rawValue
    }
}

/// The keys of one YAML mapping, already checked against the keys allowed there.
struct Fields {
    let owner: Located
    let entries: [(key: String, value: Located)]

    subscript(key: String) -> Located? {
        entries.first { $0.key == key }?.value
    }
}

/// Walks a composed YAML document and collects every problem instead of stopping at the first one.
///
/// Each reading method returns nil after reporting a problem, so that callers fall back to the default
/// and keep going; the caller never reports the same problem twice.
struct ConfigReader {
    /// The configuration file as the caller named it (used in problems).
    let file: String
    /// Absolute folder of the configuration file: relative paths start here.
    let folder: String
    let environment: [String: String]
    private(set) var problems: [ConfigProblem] = []
    /// Every value resolved from `${…}`, for the Redactor.
    private(set) var secrets: [String] = []

    init(file: String, folder: String, environment: [String: String]) {
        self.file = file
        self.folder = folder
        self.environment = environment
    }

    mutating func report(_ at: Located, _ message: String) {
        report(line: at.line, path: at.path, message)
    }

    mutating func report(line: Int, path: String, _ message: String) {
        problems.append(ConfigProblem(file: file, line: line, path: path, message: message))
    }

    // MARK: - Collections

    /// The mapping at `at`, reporting keys not in `allowed` (with a did-you-mean).
    mutating func mapping(_ at: Located, allowed: [String]) -> Fields? {
        guard let pairs = rawMapping(at) else { return nil }
        var entries: [(key: String, value: Located)] = []
        for (name, value) in pairs {
            if allowed.contains(name) {
                entries.append((name, value))
            } else {
                report(value, unknownKeyMessage(name, allowed: allowed))
            }
        }
        return Fields(owner: at, entries: entries)
    }

    /// A mapping whose keys are names chosen by the user (services, headers, env), in written order.
    mutating func rawMapping(_ at: Located) -> [(name: String, value: Located)]? {
        guard case .mapping(let mapping) = at.node else {
            report(at, "expected a mapping of keys to values, got \(at.shape)")
            return nil
        }
        var result: [(name: String, value: Located)] = []
        for (keyNode, valueNode) in mapping {
            let keyLine = keyNode.mark?.line ?? at.line
            guard case .scalar(let scalar) = keyNode else {
                report(
                    line: keyLine,
                    path: at.path,
                    "keys must be plain names, got \(Located(node: keyNode, path: at.path, line: keyLine).shape)"
                )
                continue
            }
            result.append((scalar.string, at.child(scalar.string, node: valueNode, keyLine: keyLine)))
        }
        return result
    }

    /// The value of a required key, or a problem on the owning mapping.
    mutating func require(_ fields: Fields, _ key: String, hint: String = "") -> Located? {
        if let value = fields[key] { return value }
        report(fields.owner, "missing required key '\(key)'\(hint.isEmpty ? "" : "; \(hint)")")
        return nil
    }

    /// The elements of a list.
    mutating func list(_ at: Located) -> [Located]? {
        guard case .sequence(let sequence) = at.node else {
            report(at, "expected a list, got \(at.shape)")
            return nil
        }
        return sequence.enumerated().map { at.element($0.offset, node: $0.element) }
    }

    func unknownKeyMessage(_ key: String, allowed: [String]) -> String {
        if let suggestion = Suggestion.closest(to: key, among: allowed) {
            return "unknown key '\(key)'; did you mean '\(suggestion)'?"
        }
        return "unknown key '\(key)'; allowed keys here: \(allowed.joined(separator: ", "))"
    }

    // MARK: - Scalars

    /// A scalar as written, without `${…}` resolution: names, enum values, durations, numbers.
    mutating func word(_ at: Located, expected: String) -> String? {
        guard case .scalar(let scalar) = at.node, !at.isNull else {
            report(at, "expected \(expected), got \(at.shape)")
            return nil
        }
        return scalar.string
    }

    /// A duration such as `30s`, `2m`, `1h`, `1h30m` or `250ms`. Zero is accepted only when `allowZero`.
    mutating func duration(_ at: Located, allowZero: Bool = false) -> Duration? {
        guard let text = word(at, expected: "a duration like 30s") else { return nil }
        guard let duration = Duration.parseRewind(text) else {
            report(at, "invalid duration '\(text)': use \(Duration.acceptedForms)")
            return nil
        }
        if duration == .zero && !allowZero {
            report(at, "must be longer than 0s")
            return nil
        }
        return duration
    }

    /// A whole number of at least `minimum` (counts of failures, attempts, rollbacks).
    mutating func count(_ at: Located, minimum: Int = 1) -> Int? {
        let expected = "a whole number ≥ \(minimum)"
        guard let text = word(at, expected: expected) else { return nil }
        guard let value = Int(text), value >= minimum else {
            report(at, "expected \(expected), got \(at.shape)")
            return nil
        }
        return value
    }

    mutating func bool(_ at: Located) -> Bool? {
        guard case .scalar(let scalar) = at.node, at.node.tag.rawValue == Tag.Name.bool.rawValue,
            let value = Bool.construct(from: scalar)
        else {
            report(at, "expected true or false, got \(at.shape)")
            return nil
        }
        return value
    }

    /// One of a fixed set of words, with a did-you-mean.
    mutating func choice<Value>(_ at: Located, _ options: [(word: String, value: Value)]) -> Value? {
        let words = options.map(\.word)
        guard let text = word(at, expected: "one of \(Suggestion.list(words))") else { return nil }
        if let match = options.first(where: { $0.word == text }) { return match.value }
        var message = "'\(text)' is not one of \(Suggestion.list(words))"
        if let suggestion = Suggestion.closest(to: text, among: words) { message += "; did you mean '\(suggestion)'?" }
        report(at, message)
        return nil
    }

    /// A non-empty name written as is (check names, field names).
    mutating func name(_ at: Located) -> String? {
        guard let text = word(at, expected: "a name") else { return nil }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            report(at, "must not be empty")
            return nil
        }
        return text
    }

    /// Free text with `${NAME}` and `${file:…}` resolved. Numbers and booleans are taken as written.
    mutating func text(_ at: Located) -> ConfigText? {
        guard let written = word(at, expected: "text") else { return nil }
        return resolve(written, at: at)
    }

    /// Resolves the references in `written`; each missing variable or unreadable file is a problem.
    mutating func resolve(_ written: String, at: Located) -> ConfigText? {
        let parts: [Interpolation.Part]
        switch Interpolation.parts(of: written) {
        case .success(let found): parts = found
        case .failure(let error):
            report(at, error.message)
            return nil
        }
        var value = ""
        var isSecret = false
        var complete = true
        for part in parts {
            switch part {
            case .literal(let literal):
                value += literal
            case .environment(let name):
                guard let resolved = environment[name] else {
                    report(at, "environment variable \(name) is not set; export it or use ${file:/path/to/file}")
                    complete = false
                    continue
                }
                value += resolved
                remember(resolved)
                isSecret = true
            case .file(let path):
                let absolute = absolutePath(path)
                guard let resolved = Self.readSecretFile(absolute) else {
                    report(at, "cannot read \(absolute) for ${file:…}; check that the file exists and is readable")
                    complete = false
                    continue
                }
                value += resolved
                remember(resolved)
                isSecret = true
            }
        }
        return complete ? ConfigText(value, isSecret: isSecret) : nil
    }

    private mutating func remember(_ secret: String) {
        if !secret.isEmpty { secrets.append(secret) }
    }

    private static func readSecretFile(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else { return nil }
        var trimmed = Substring(text)
        while let last = trimmed.last, last == "\n" || last == "\r" || last == "\r\n" { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }

    /// `text` in a message: quoted when it is plain, described when it holds a secret.
    static func shown(_ text: ConfigText) -> String {
        text.isSecret ? "the value (not shown: it holds a secret)" : "'\(text.value)'"
    }

    // MARK: - Paths

    /// `path` made absolute against the configuration folder (`~/` is the home folder).
    func absolutePath(_ path: String) -> String {
        var expanded = path
        if expanded == "~" || expanded.hasPrefix("~/") {
            expanded = NSString(string: expanded).expandingTildeInPath
        }
        let url =
            expanded.hasPrefix("/")
            ? URL(fileURLWithPath: expanded)
            : URL(fileURLWithPath: folder, isDirectory: true).appendingPathComponent(expanded)
        return url.standardizedFileURL.path
    }

    /// A file path value, resolved and made absolute.
    mutating func filePath(_ at: Located) -> String? {
        guard let text = text(at) else { return nil }
        guard !text.value.isEmpty else {
            report(at, "expected a file path, got an empty text")
            return nil
        }
        return absolutePath(text.value)
    }
}
