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
    /// With `config validate --skip-secrets`: a variable that is not set, or a `${file:…}` that does not
    /// exist or cannot be read, is noted in ``notChecked`` instead of being a problem.
    let skipsAbsentSecrets: Bool
    private(set) var problems: [ConfigProblem] = []
    /// Worth fixing, but the file is used as it is.
    private(set) var warnings: [ConfigProblem] = []
    /// Every secret value resolved from `${…}` (see ``Secrecy``), for the Redactor.
    private(set) var secrets: [String] = []
    /// The values left unchecked because a secret was absent (only when ``skipsAbsentSecrets``).
    private(set) var notChecked: [ConfigProblem] = []
    /// For each path whose value was not checked, the number of problems reported before its value was read:
    /// problems at that path from then on are about a placeholder, not about what the file says.
    private(set) var uncheckedSince: [String: Int] = [:]
    /// `monitoring.early_warning:`, which each signal's `early_warning:` overrides key by key.
    var earlyWarningDefaults = EarlyWarningPolicy()

    init(file: String, folder: String, environment: [String: String], skipsAbsentSecrets: Bool = false) {
        self.file = file
        self.folder = folder
        self.environment = environment
        self.skipsAbsentSecrets = skipsAbsentSecrets
    }

    /// The problems, less those about values that were not checked.
    var checkedProblems: [ConfigProblem] {
        problems.enumerated().filter { index, problem in
            uncheckedSince[problem.path].map { index < $0 } ?? true
        }.map(\.element)
    }

    mutating func report(_ at: Located, _ message: String) {
        report(line: at.line, path: at.path, message)
    }

    mutating func report(line: Int, path: String, _ message: String) {
        problems.append(ConfigProblem(file: file, line: line, path: path, message: message))
    }

    /// A warning: reported by `rewind config validate`, the file stays valid.
    mutating func warn(_ at: Located, _ message: String) {
        warnings.append(ConfigProblem(file: file, line: at.line, path: at.path, message: message, severity: .warning))
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

    /// A duration such as `30s`, `2m`, `1h`, `1h30m` or `250ms`, inside `bounds` (see ``DurationBounds``).
    mutating func duration(_ at: Located, _ bounds: DurationBounds) -> Duration? {
        guard let text = word(at, expected: "a duration like 30s") else { return nil }
        guard let duration = Duration.parseRewind(text) else {
            report(at, "invalid duration '\(text)': use \(Duration.acceptedForms)")
            return nil
        }
        guard bounds.contains(duration) else {
            report(at, bounds.problem(got: text))
            return nil
        }
        return duration
    }

    /// A whole number inside `range` (counts of failures, attempts, rollbacks; sizes).
    mutating func count(_ at: Located, _ range: ClosedRange<Int>) -> Int? {
        let expected = "a whole number from \(range.lowerBound) to \(range.upperBound)"
        guard let text = word(at, expected: expected) else { return nil }
        guard let value = Int(text), range.contains(value) else {
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
    /// `secret` names what the key holds when it holds a credential (see ``Secrecy``), e.g. "bot token".
    mutating func text(_ at: Located, secret: String? = nil) -> ConfigText? {
        guard let written = word(at, expected: "text") else { return nil }
        return resolve(written, at: at, secret: secret)
    }

    /// Resolves the references in `written`; each missing variable or unreadable file is a problem (or, when
    /// absent secrets are skipped, a note that the value was not checked).
    ///
    /// The value is a secret (``ConfigText/isSecret``, and in the ``Redactor``) by the rules of ``Secrecy``:
    /// `secret` (what the key holds, when it holds a credential) makes every reference in it one.
    mutating func resolve(_ written: String, at: Located, secret: String? = nil) -> ConfigText? {
        let parts: [(part: Interpolation.Part, marked: Bool)]
        switch Interpolation.markedParts(of: written) {
        case .success(let found): parts = found
        case .failure(let error):
            report(at, error.message)
            return nil
        }
        let purpose = secret.map { " (the \($0))" } ?? ""
        var value = ""
        var resolved: [(value: String, secret: Bool)] = []
        // Where the value came from (variable names, `file:` paths), never the values: for messages.
        var sources: [String] = []
        var complete = true
        var unchecked = false
        for (part, marked) in parts {
            let found: String?
            let name: String
            let absent: String
            switch part {
            case .literal(let literal):
                value += literal
                continue
            case .environment(let variable):
                found = environment[variable]
                name = variable
                absent = "environment variable \(variable)\(purpose) is not set"
                if found == nil, !skipsAbsentSecrets {
                    report(at, "\(absent); export it or use ${file:/path/to/file}")
                }
                sources.append(variable)
            case .file(let path):
                let absolute = absolutePath(path)
                name = Secrecy.fileName(absolute)
                switch SecretFile.contents(of: absolute) {
                case .success(let text):
                    found = text
                    absent = ""
                case .failure(let problem):
                    found = nil
                    absent = "\(absolute)\(purpose) for ${file:…} cannot be read"
                    if !(skipsAbsentSecrets && problem.isAbsent) {
                        report(at, problem.message(absolute))
                        complete = false
                        continue
                    }
                }
                sources.append("file:\(path)")
            }
            guard let found else {
                if skipsAbsentSecrets {
                    notChecked.append(
                        ConfigProblem(file: file, line: at.line, path: at.path, message: "not checked: \(absent)"))
                    unchecked = true
                    value += Self.uncheckedPlaceholder
                } else {
                    complete = false
                }
                continue
            }
            value += found
            resolved.append((found, secret != nil || marked || Secrecy.namesCredential(name)))
        }
        guard complete else { return nil }
        if unchecked, uncheckedSince[at.path] == nil { uncheckedSince[at.path] = problems.count }
        let isCredentialURL = !resolved.isEmpty && Secrecy.isCredentialURL(value)
        let secretValues = resolved.filter { $0.secret || isCredentialURL }.map(\.value)
        secrets += secretValues.filter { !$0.isEmpty }
        return ConfigText(value, isSecret: !secretValues.isEmpty || (unchecked && secret != nil), sources: sources)
    }

    /// What stands for a value `--skip-secrets` did not read: non-empty, so that the checks of the rest go on.
    static let uncheckedPlaceholder = "unchecked"

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
