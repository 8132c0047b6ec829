import Foundation

/// One run of a program: an argument vector (never a shell line), its environment and limits.
struct CommandInvocation: Sendable {
    var arguments: [String]
    var environment: [String: String]
    var workingDirectory: String?
    var timeout: Duration
}

/// How a run ended.
struct CommandResult: Sendable {
    enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// The timeout expired; the process group was stopped (SIGTERM, then SIGKILL after the grace period).
        case timedOut
    }

    var ending: Ending
    var stdout: CapturedBytes
    var stderr: CapturedBytes
}

/// Why a program could not be started.
enum CommandLaunchFailure: Error {
    case emptyCommand
    case notFound(program: String)
    case missingWorkingDirectory(String)
    case launchFailed(program: String, reason: String)
}

/// Runs programs with Foundation `Process`: no shell, stdout and stderr read concurrently and capped,
/// a timeout that stops the whole process group.
enum CommandRunner {
    /// Bytes kept per stream before redaction; a little more than the 64 KiB shown, so that a
    /// secret crossing the cut is still redacted whole.
    static let keptBytes = OutputText.shownBytes + 8 * 1024
    /// Between SIGTERM and SIGKILL.
    static let killGrace: Duration = .seconds(2)
    /// How long to keep reading after exit when a grandchild still holds the pipes open.
    static let drainGrace: Duration = .milliseconds(500)

    static func run(_ invocation: CommandInvocation) async throws -> CommandResult {
        let process = try makeProcess(invocation)
        let stdoutPipe = Pipe()
        let stderrPipe = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        let exit = OneShot<CommandResult.Ending>()
        process.terminationHandler = { finished in
            let status = finished.terminationStatus
            exit.fulfill(finished.terminationReason == .uncaughtSignal ? .signalled(status) : .exited(status))
        }
        let stdout = PipeCollector(reading: stdoutPipe, limit: keptBytes)
        let stderr = PipeCollector(reading: stderrPipe, limit: keptBytes)
        do {
            try process.run()
        } catch {
            _ = (stdout.stop(), stderr.stop())
            throw CommandLaunchFailure.launchFailed(program: invocation.arguments[0], reason: "\(error)")
        }
        stdout.start()
        stderr.start()

        var ending = await exit.wait(upTo: invocation.timeout)
        if ending == nil {
            ending = await stop(process, exit: exit)
        }
        _ = await stdout.ended.wait(upTo: drainGrace)
        _ = await stderr.ended.wait(upTo: drainGrace)
        let result = CommandResult(ending: ending ?? .timedOut, stdout: stdout.stop(), stderr: stderr.stop())
        try Task.checkCancellation()
        return result
    }

    private static func makeProcess(_ invocation: CommandInvocation) throws -> Process {
        guard let program = invocation.arguments.first, !program.isEmpty else {
            throw CommandLaunchFailure.emptyCommand
        }
        if let directory = invocation.workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else { throw CommandLaunchFailure.missingWorkingDirectory(directory) }
        }
        let searchPath = invocation.environment["PATH"]
        guard
            let executable = ExecutableLookup.resolve(
                program, searchPath: searchPath, workingDirectory: invocation.workingDirectory)
        else { throw CommandLaunchFailure.notFound(program: program) }
        let process = Process()
        process.executableURL = executable
        process.arguments = Array(invocation.arguments.dropFirst())
        process.environment = invocation.environment
        if let directory = invocation.workingDirectory {
            process.currentDirectoryURL = URL(fileURLWithPath: directory, isDirectory: true)
        }
        return process
    }

    /// SIGTERM to the process group, SIGKILL after the grace period; returns once it exited.
    private static func stop(_ process: Process, exit: OneShot<CommandResult.Ending>) async -> CommandResult.Ending {
        if Task.isCancelled {
            // The caller gave up: no grace period. Foundation still reaps the process.
            signal(process, SIGKILL)
            return .timedOut
        }
        signal(process, SIGTERM)
        if await exit.wait(upTo: killGrace) == nil {
            signal(process, SIGKILL)
            _ = await exit.wait()  // SIGKILL cannot be ignored; returns early only if the task is cancelled.
        }
        return .timedOut
    }

    /// Foundation starts each child as the leader of its own process group, so signalling the group
    /// also stops what the command started; falls back to the process alone.
    private static func signal(_ process: Process, _ signal: Int32) {
        let pid = process.processIdentifier
        guard pid > 0 else { return }
        if kill(-pid, signal) != 0 { _ = kill(pid, signal) }
    }
}
