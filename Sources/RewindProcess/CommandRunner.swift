import Foundation
import RewindCore
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs programs with swift-subprocess: an argument vector, never a shell; the program in a process group of its
/// own; stdout and stderr read concurrently, capped and redacted; a deadline that stops the whole group.
///
/// What swift-subprocess 1.0 gives and what is built here on top of it:
/// - process group: `PlatformOptions.processGroupID = 0` (the child leads a new group);
/// - deadline: Subprocess has none. A task beside the readers sleeps until the timeout, then runs Subprocess's
///   `teardown`: SIGTERM to the group, SIGKILL to the group after ``CommandInvocation/killGrace``;
/// - capped output: Subprocess's collected outputs (`.bytes(limit:)`, `.string(limit:)`) stop reading at the limit
///   and throw `outputLimitExceeded`. Here both streams are read as sequences: the first bytes are kept, the rest
///   are read and counted, so the program never blocks on a full pipe and a long output is never an error;
/// - a grandchild that keeps the pipes open does not hold the run up: Subprocess stops reading once the program
///   exits and returns what was already in the pipes.
///
/// Subprocess reads on one epoll thread and watches exits through pidfds: no dispatch sources, so many commands
/// starting and ending at once do not meet the libdispatch race (swift-corelibs-libdispatch#949) that the
/// earlier Foundation `Process` runner had to work around.
public enum CommandRunner {
    /// Between SIGTERM and SIGKILL, by default.
    public static let defaultKillGrace: Duration = .seconds(2)

    /// Runs the program to its end (or its deadline).
    ///
    /// - Throws: ``CommandLaunchFailure`` when it could not start (nothing ran); `CancellationError` when the
    ///   calling task was cancelled (the group is killed at once, without the grace period).
    public static func run(_ invocation: CommandInvocation) async throws -> CommandResult {
        let executable = try resolve(invocation)
        var options = PlatformOptions()
        options.processGroupID = 0
        // Cancelled by the caller: no grace period, the whole group at once.
        options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .zero)]
        let environment = Dictionary(
            invocation.environment.variables.compactMap { name, value in
                Environment.Key(rawValue: name).map { ($0, value) }
            },
            uniquingKeysWith: { $1 }
        )
        let configuration = Configuration(
            executable: .path(.init(executable)),
            arguments: Arguments(Array(invocation.arguments.dropFirst())),
            environment: .custom(environment),
            workingDirectory: invocation.workingDirectory.map { .init($0) },
            platformOptions: options
        )
        let kept = invocation.shownBytes + OutputText.redactionMargin
        let streams: Streams
        let status: TerminationStatus
        do {
            let outcome = try await Subprocess.run(
                configuration, input: .none, output: .sequence, error: .sequence
            ) { execution in
                await watch(execution, keeping: kept, invocation)
            }
            (streams, status) = (outcome.closureResult, outcome.terminationStatus)
        } catch let error as SubprocessError {
            try Task.checkCancellation()
            throw CommandLaunchFailure.launchFailed(program: invocation.arguments[0], reason: "\(error)")
        }
        try Task.checkCancellation()
        let ending: CommandResult.Ending =
            switch (streams.timedOut, status) {
            case (true, _): .timedOut
            case (false, .exited(let status)): .exited(status)
            case (false, .signaled(let signal)): .signalled(signal)
            }
        let redactor = invocation.redactor
        return CommandResult(
            ending: ending,
            command: invocation.arguments.map(redactor.redact),
            timeout: invocation.timeout,
            stdout: OutputText.render(streams.stdout, shownBytes: invocation.shownBytes, redactor: redactor),
            stderr: OutputText.render(streams.stderr, shownBytes: invocation.shownBytes, redactor: redactor),
            stdoutBytes: streams.stdout.total
        )
    }

    /// The program's path; checks the working directory first so that a missing one is named as such.
    private static func resolve(_ invocation: CommandInvocation) throws -> String {
        guard let program = invocation.arguments.first, !program.isEmpty else {
            throw CommandLaunchFailure.emptyCommand
        }
        if let directory = invocation.workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else { throw CommandLaunchFailure.missingWorkingDirectory(directory) }
        }
        guard
            let executable = ExecutableLookup.resolve(
                program, searchPath: invocation.environment["PATH"], workingDirectory: invocation.workingDirectory)
        else { throw CommandLaunchFailure.notFound(program: program) }
        return executable.path
    }

    // MARK: While it runs

    /// What the run's body collected.
    struct Streams: Sendable {
        var stdout: CapturedBytes
        var stderr: CapturedBytes
        var timedOut = false
    }

    private enum Event: Sendable {
        case stdout(CapturedBytes)
        case stderr(CapturedBytes)
        case deadline(fired: Bool)
    }

    /// Reads both streams and keeps the deadline until the program has exited.
    ///
    /// The streams end when the program exits (Subprocess then stops waiting for an end of file that a grandchild
    /// could hold back). A program may also close them early and run on: then the deadline is kept until it exits.
    private static func watch(
        _ execution: Execution<NoInput, SequenceOutput, SequenceOutput>, keeping limit: Int,
        _ invocation: CommandInvocation
    ) async -> Streams {
        await withTaskGroup(of: Event.self) { group in
            group.addTask { .stdout(await drain(execution.standardOutput, keeping: limit)) }
            group.addTask { .stderr(await drain(execution.standardError, keeping: limit)) }
            group.addTask {
                do {
                    try await Task.sleep(for: invocation.timeout)
                } catch {
                    return .deadline(fired: false)
                }
                await execution.teardown(using: [
                    .gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: invocation.killGrace)
                ])
                return .deadline(fired: true)
            }
            var streams = Streams(stdout: CapturedBytes(limit: limit), stderr: CapturedBytes(limit: limit))
            var open = 2
            for await event in group {
                switch event {
                case .stdout(let bytes):
                    streams.stdout = bytes
                    open -= 1
                case .stderr(let bytes):
                    streams.stderr = bytes
                    open -= 1
                case .deadline(let fired):
                    streams.timedOut = streams.timedOut || fired
                    continue
                }
                if open == 0 {
                    await waitForExit(of: execution.processIdentifier.value)
                    group.cancelAll()
                }
            }
            return streams
        }
    }

    /// Reads a stream to its end, keeping the first `limit` bytes. A read error ends it like an end of file.
    private static func drain(_ stream: SubprocessOutputSequence, keeping limit: Int) async -> CapturedBytes {
        var captured = CapturedBytes(limit: limit)
        do {
            for try await buffer in stream {
                buffer.withUnsafeBytes { captured.append($0) }
            }
        } catch {}
        return captured
    }

    /// Returns once `pid` has exited (without reaping it: Subprocess does), or when the task is cancelled.
    ///
    /// Both streams have ended by now, almost always because the program exited: the first look, a millisecond
    /// later, finds it so. Only a program that closed its streams and runs on is looked at again, less and less
    /// often, while the deadline task stops it.
    private static func waitForExit(of pid: Int32) async {
        var pause: Duration = .milliseconds(1)
        while !hasExited(pid) {
            do { try await Task.sleep(for: pause) } catch { return }
            pause = min(pause * 2, .milliseconds(100))
        }
    }

    private static func hasExited(_ pid: Int32) -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return true }
        return info.si_signo != 0
    }
}
