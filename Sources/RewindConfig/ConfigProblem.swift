import RewindCore

/// One thing wrong with a configuration file, located precisely enough to fix it without searching.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// An error makes the file invalid; a warning is worth fixing but the file is used as it is.
    public enum Severity: String, Sendable, Equatable {
        case error, warning
    }

    /// The configuration file, as the caller named it.
    public var file: String
    /// 1-based line of the offending key or value; 0 when the problem is the file as a whole.
    public var line: Int
    /// Dotted path with list indexes, e.g. `services.backend.checks[0].interval`; empty for the file itself.
    public var path: String
    /// What is wrong and how to fix it. Never holds a secret value.
    public var message: String
    public var severity: Severity

    public init(file: String, line: Int, path: String, message: String, severity: Severity = .error) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
        self.severity = severity
    }

    /// `FILE:LINE: path: message`, with `warning: ` before the message of a warning; the line is left
    /// out when it is 0 and the path when it is empty.
    public var description: String {
        let location = line > 0 ? "\(file):\(line)" : file
        let text = severity == .warning ? "warning: \(message)" : message
        return path.isEmpty ? "\(location): \(text)" : "\(location): \(path): \(text)"
    }
}

/// Every problem of a configuration file at once, in line order.
public struct ConfigErrors: RewindError, Equatable {
    public var problems: [ConfigProblem]
    /// Warnings found along the way, in line order (see ``RewindConfiguration/warnings``).
    public var warnings: [ConfigProblem]

    public init(problems: [ConfigProblem], warnings: [ConfigProblem] = []) {
        self.problems = problems
        self.warnings = warnings
    }

    public var code: String { "config_invalid" }

    /// All problems, one per line, as `FILE:LINE: path: message`.
    public var message: String { problems.map(\.description).joined(separator: "\n") }
}
