import RewindCore

/// One run of a program: an argument vector (never a shell line), its whole environment, its limits, and the
/// secrets to take out of what it prints.
public struct CommandInvocation: Sendable {
    /// The program and its arguments. A program with a slash is a path (relative to ``workingDirectory``);
    /// a bare name is looked up on the environment's `PATH`.
    public var arguments: [String]
    public var environment: ChildEnvironment
    /// Where the program runs; nil runs it in the daemon's working directory.
    public var workingDirectory: String?
    /// How long the program may run before its process group is stopped.
    public var timeout: Duration
    /// Between SIGTERM and SIGKILL once ``timeout`` has passed.
    public var killGrace: Duration
    /// Bytes of each stream kept and shown; what comes after is read and counted, never kept.
    public var shownBytes: Int
    /// Removes secrets from the command line and from everything it printed.
    public var redactor: Redactor

    public init(
        arguments: [String],
        environment: ChildEnvironment,
        workingDirectory: String? = nil,
        timeout: Duration,
        redactor: Redactor = Redactor(),
        killGrace: Duration = CommandRunner.defaultKillGrace,
        shownBytes: Int = OutputText.shownBytes
    ) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeout = timeout
        self.redactor = redactor
        self.killGrace = killGrace
        self.shownBytes = shownBytes
    }
}
