import RewindCore

/// One thing wrong with a configuration file, located precisely enough to fix it without searching.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// The configuration file, as the caller named it.
    public var file: String
    /// 1-based line of the offending key or value; 0 when the problem is the file as a whole.
    public var line: Int
    /// Dotted path with list indexes, e.g. `services.backend.checks[0].interval`; empty for the file itself.
    public var path: String
    /// What is wrong and how to fix it. Never holds a secret value.
    public var message: String

    public init(file: String, line: Int, path: String, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    /// `FILE:LINE: path: message`; the line is left out when it is 0 and the path when it is empty.
    public var description: String {
        let location = line > 0 ? "\(file):\(line)" : file
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }
}

/// Every problem of a configuration file at once, in line order.
public struct ConfigErrors: RewindError, Equatable {
    public var problems: [ConfigProblem]

    public init(problems: [ConfigProblem]) {
        self.problems = problems
    }

    public var code: String { "config_invalid" }

    /// All problems, one per line, as `FILE:LINE: path: message`.
    public var message: String { problems.map(\.description).joined(separator: "\n") }
}
