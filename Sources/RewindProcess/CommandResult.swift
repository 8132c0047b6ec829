import RewindCore
import RewindPorts

/// How a run ended and what it printed, redacted and capped.
public struct CommandResult: Sendable, Equatable {
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// The timeout passed: the process group was stopped (SIGTERM, then SIGKILL after the grace period).
        case timedOut
    }

    public var ending: Ending
    /// The argument vector, redacted.
    public var command: [String]
    /// The deadline it ran with.
    public var timeout: Duration
    /// What the program wrote on stdout: redacted, at most the shown bytes, then a note saying how much there was.
    public var stdout: String
    /// The same for stderr.
    public var stderr: String
    /// How many bytes the program wrote on stdout in all, shown or not: more than the invocation's
    /// ``CommandInvocation/shownBytes`` means ``stdout`` was cut.
    public var stdoutBytes: Int

    public init(
        ending: Ending, command: [String], timeout: Duration, stdout: String, stderr: String, stdoutBytes: Int? = nil
    ) {
        self.ending = ending
        self.command = command
        self.timeout = timeout
        self.stdout = stdout
        self.stderr = stderr
        self.stdoutBytes = stdoutBytes ?? stdout.utf8.count
    }

    /// The exit status, or -1 when the process did not exit by itself.
    public var exitCode: Int32 {
        if case .exited(let status) = ending { return status }
        return -1
    }

    /// Why the run did not succeed, to follow the program's name in a sentence: `exited with status 3: <the first
    /// line of stderr>`, `was killed by signal 9`, `did not finish within 30s and was stopped`. Nil for exit 0.
    public var failure: String? {
        switch ending {
        case .exited(0): nil
        case .exited(let status):
            "exited with status \(status)" + (OutputText.firstLine(of: stderr).map { ": \($0)" } ?? "")
        case .signalled(let signal): "was killed by signal \(signal)"
        case .timedOut: "did not finish within \(timeout.rewindDescription) and was stopped"
        }
    }

    /// The run as providers record it.
    public var captured: CapturedOutput {
        CapturedOutput(command: command, exitCode: exitCode, stdout: stdout, stderr: stderr)
    }
}

/// Why a program could not be started. Nothing ran.
public enum CommandLaunchFailure: Error, Equatable {
    case emptyCommand
    case notFound(program: String)
    case missingWorkingDirectory(String)
    case launchFailed(program: String, reason: String)

    /// A sentence fragment for an error message: "executable `x` was not found on PATH".
    public var reason: String {
        switch self {
        case .emptyCommand: "no command is configured"
        case .notFound(let program) where program.contains("/"):
            "executable `\(program)` was not found or is not executable"
        case .notFound(let program): "executable `\(program)` was not found on PATH"
        case .missingWorkingDirectory(let directory): "working directory \(directory) does not exist"
        case .launchFailed(let program, let reason): "`\(program)` failed to launch (\(reason))"
        }
    }
}
