import RewindCore

/// A provider driven by local programs. Every command is an argument vector, never a shell line;
/// `{{service}}`, `{{target.id}}`, `{{target.version}}`, `{{current.id}}` are replaced inside single
/// arguments, so a value can never become a second argument or a shell word.
public struct CommandProviderSpec: Sendable, Equatable {
    public var rollback: [String]
    /// Prints the live deployment id on stdout (first line). Optional.
    public var current: [String]?
    public var environment: [String: ConfigText]
    public var timeout: Duration?
    public var workingDirectory: String?
    /// Running `rollback` twice for the same target is harmless (`idempotent: true`). Without it and
    /// without `current`, a rollback that was running when Rewind stopped is never run again blindly.
    public var idempotent: Bool

    public init(
        rollback: [String], current: [String]? = nil, environment: [String: ConfigText] = [:], timeout: Duration? = nil,
        workingDirectory: String? = nil, idempotent: Bool = false
    ) {
        self.rollback = rollback
        self.current = current
        self.environment = environment
        self.timeout = timeout
        self.workingDirectory = workingDirectory
        self.idempotent = idempotent
    }
}
