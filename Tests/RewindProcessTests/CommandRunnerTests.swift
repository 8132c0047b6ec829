import Foundation
import RewindCore
import RewindProcess
import Testing

@Suite("Command runner")
struct CommandRunnerTests {
    static func run(
        _ arguments: [String], environment: ChildEnvironment = .inherited, timeout: Duration = .seconds(20),
        killGrace: Duration = CommandRunner.defaultKillGrace, shownBytes: Int = OutputText.shownBytes,
        secrets: [String] = [], workingDirectory: String? = nil
    ) async throws -> CommandResult {
        try await CommandRunner.run(
            CommandInvocation(
                arguments: arguments, environment: environment, workingDirectory: workingDirectory, timeout: timeout,
                redactor: Redactor(secrets: secrets), killGrace: killGrace, shownBytes: shownBytes
            ))
    }

    @Test("an argument vector: a value with spaces or `;` stays one argument, nothing is run by a shell")
    func argumentVector() async throws {
        let result = try await Self.run(["printf", "[%s]\\n", "a; echo b", "c d"])
        #expect(result.ending == .exited(0))
        #expect(result.stdout == "[a; echo b]\n[c d]\n")
        #expect(result.command == ["printf", "[%s]\\n", "a; echo b", "c d"])
    }

    @Test("exit statuses and signals are told apart")
    func endings() async throws {
        let failed = try await Self.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(failed.ending == .exited(3))
        #expect(failed.exitCode == 3)
        #expect((failed.stdout, failed.stderr) == ("out\n", "err\n"))
        let killed = try await Self.run(["sh", "-c", "kill -9 $$"])
        #expect(killed.ending == .signalled(9))
        #expect(killed.exitCode == -1)
    }

    @Test("the minimal environment holds only what a program needs, plus what is added")
    func minimalEnvironment() async throws {
        let result = try await Self.run(["env"], environment: .minimal.adding(["REWIND_ADDED": "yes"]))
        let lines = result.stdout.split(separator: "\n")
        let names = Set(lines.compactMap { $0.split(separator: "=").first }.map(String.init))
        #expect(names.contains("REWIND_ADDED"))
        #expect(names.allSatisfy { ChildEnvironment.minimalKeeps($0) || $0 == "REWIND_ADDED" }, "\(names.sorted())")
        #expect(names.contains("PATH"))
        #expect(result.stdout.contains("REWIND_ADDED=yes\n"))
    }

    @Test("the minimal environment's list: PATH, HOME, USER, LOGNAME, LANG, LC_*, TZ, TMPDIR and nothing else")
    func minimalList() {
        for kept in ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_MESSAGES", "TZ", "TMPDIR"] {
            #expect(ChildEnvironment.minimalKeeps(kept), "\(kept)")
        }
        for dropped in [
            "VERCEL_TOKEN", "AWS_SECRET_ACCESS_KEY", "SSH_AUTH_SOCK", "GIT_DIR", "LD_PRELOAD", "LCX", "PATHS",
        ] {
            #expect(!ChildEnvironment.minimalKeeps(dropped), "\(dropped)")
        }
    }

    @Test("the inherited environment is the daemon's, with added variables replacing its own")
    func inheritedEnvironment() async throws {
        let daemon = ProcessInfo.processInfo.environment
        let name = try #require(daemon.keys.first { !ChildEnvironment.minimalKeeps($0) && !$0.contains("=") })
        let environment = ChildEnvironment.inherited.adding(["HOME": "/rewind-test-home"])
        #expect(environment[name] == daemon[name])
        let result = try await Self.run(["sh", "-c", "printf %s \"$HOME\""], environment: environment)
        #expect(result.stdout == "/rewind-test-home")
    }

    @Test("secrets are redacted from the command line and from both streams")
    func redaction() async throws {
        let secret = "tok-5e8a1f"
        let result = try await Self.run(
            ["sh", "-c", "echo \"$0\"; echo \"$0\" >&2", secret], secrets: [secret])
        #expect(result.stdout == "<redacted>\n")
        #expect(result.stderr == "<redacted>\n")
        #expect(result.command == ["sh", "-c", "echo \"$0\"; echo \"$0\" >&2", "<redacted>"])
    }

    @Test("a long output is capped and said to be, never an error, on both streams")
    func cappedOutput() async throws {
        let result = try await Self.run(
            ["sh", "-c", "head -c 10000000 /dev/zero | tr '\\0' a; head -c 300000 /dev/zero | tr '\\0' b >&2"],
            // 10 MB through a pipe is quick alone, but the whole test run shares two cores: the deadline only
            // turns a hang into a failure.
            timeout: .seconds(120), shownBytes: 1000)
        #expect(result.ending == .exited(0))
        #expect(result.stdout == String(repeating: "a", count: 1000) + "\n…truncated (10000000 bytes in all)")
        #expect(result.stderr == String(repeating: "b", count: 1000) + "\n…truncated (300000 bytes in all)")
        #expect(result.stdoutBytes == 10_000_000, "the whole count, for callers that refuse a cut output")
        let whole = try await Self.run(["printf", "12345"], shownBytes: 1000)
        #expect(whole.stdoutBytes == 5)
    }

    @Test("past its deadline the whole process group is stopped, and what it printed is kept")
    func deadlineStopsTheGroup() async throws {
        let result = try await Self.run(
            ["sh", "-c", "sleep 60 & echo $!; echo started; wait"], timeout: .milliseconds(300))
        #expect(result.ending == .timedOut)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.last == "started")
        let grandchild = try #require(lines.first.flatMap { Int32($0) })
        #expect(await stops(grandchild))
    }

    @Test("a program that ignores SIGTERM is killed once the grace period is over")
    func killAfterGrace() async throws {
        let start = ContinuousClock.now
        let result = try await Self.run(
            ["sh", "-c", "trap '' TERM; echo ready; sleep 60; echo never"], timeout: .milliseconds(200),
            killGrace: .milliseconds(300))
        #expect(result.ending == .timedOut)
        #expect(result.stdout == "ready\n")
        #expect(ContinuousClock.now - start >= .milliseconds(500))
    }

    @Test("a grandchild that keeps the pipes open does not hold the run up")
    func grandchildHoldingThePipes() async throws {
        let result = try await Self.run(["sh", "-c", "sleep 60 & echo $!; echo done"])
        defer { if let pid = Int32(result.stdout.split(separator: "\n").first ?? "") { kill(pid, SIGKILL) } }
        #expect(result.ending == .exited(0))
        #expect(result.stdout.hasSuffix("done\n"))
    }

    @Test("a program that closes its streams and runs on still meets its deadline")
    func closedStreams() async throws {
        let result = try await Self.run(["sh", "-c", "echo bye; exec >&- 2>&-; sleep 60"], timeout: .milliseconds(300))
        #expect(result.ending == .timedOut)
        #expect(result.stdout == "bye\n")
    }

    @Test("a cancelled run kills the group at once and throws CancellationError")
    func cancellation() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-\(UUID().uuidString).pid").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = Task {
            try await Self.run(["sh", "-c", "echo $$ > '\(file)'; exec sleep 60"], timeout: .seconds(120))
        }
        var pid: Int32?
        while pid == nil {
            await Task.yield()
            let written = try? String(contentsOfFile: file, encoding: .utf8)
            pid = written.flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        run.cancel()
        await #expect(throws: CancellationError.self) { try await run.value }
        #expect(await stops(try #require(pid)))
    }

    @Test("what cannot start is a launch failure naming why")
    func launchFailures() async throws {
        await #expect(throws: CommandLaunchFailure.emptyCommand) { try await Self.run([]) }
        await #expect(throws: CommandLaunchFailure.notFound(program: "rewind-no-such-tool")) {
            try await Self.run(["rewind-no-such-tool", "--flag"])
        }
        await #expect(throws: CommandLaunchFailure.missingWorkingDirectory("/nonexistent/rewind")) {
            try await Self.run(["true"], workingDirectory: "/nonexistent/rewind")
        }
        #expect(try await Self.run(["./printf", "%s", "relative"], workingDirectory: "/usr/bin").stdout == "relative")

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-\(UUID().uuidString).bin")
        try Data([0, 1, 2, 3]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        let error = await #expect(throws: CommandLaunchFailure.self) { try await Self.run([file.path]) }
        guard case .launchFailed(let program, _)? = error else {
            Issue.record("expected launchFailed, got \(String(describing: error))")
            return
        }
        #expect(program == file.path)
    }

    @Test("many commands at once: quick ones, long outputs and ones past their deadline")
    func manyAtOnce() async throws {
        try await withThrowingTaskGroup(of: (Int, CommandResult).self) { group in
            for index in 0..<60 {
                group.addTask {
                    switch index % 3 {
                    case 0: (index, try await Self.run(["sh", "-c", "echo \(index)"]))
                    case 1: (index, try await Self.run(["head", "-c", "200000", "/dev/zero"], shownBytes: 10))
                    default: (index, try await Self.run(["sleep", "30"], timeout: .milliseconds(100)))
                    }
                }
            }
            var seen = 0
            for try await (index, result) in group {
                seen += 1
                switch index % 3 {
                case 0: #expect(result.ending == .exited(0) && result.stdout == "\(index)\n")
                case 1: #expect(result.ending == .exited(0) && result.stdout.hasSuffix("(200000 bytes in all)"))
                default: #expect(result.ending == .timedOut)
                }
            }
            #expect(seen == 60)
        }
    }
}

/// Whether `pid` stops running, looking again (and yielding) at most `attempts` times: a signalled process
/// takes a moment to exit.
func stops(_ pid: Int32, attempts: Int = 100_000) async -> Bool {
    for _ in 0..<attempts {
        if !isRunning(pid) { return true }
        await Task.yield()
    }
    return false
}

/// Whether `pid` is a live process (a zombie waiting for its parent does not count).
func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state != "Z" && state != "X"
}
