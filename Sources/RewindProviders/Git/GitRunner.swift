import Foundation
import RewindCore
import RewindPorts
import RewindProcess
import RewindSpecs

/// What one git command printed (redacted) and how it exited.
struct GitOutput: Sendable {
    var captured: CapturedOutput
    var exitCode: Int32 { captured.exitCode }
    var stdout: String { captured.stdout }
    /// stdout and stderr together, for classifying a failure.
    var text: String { captured.stdout + "\n" + captured.stderr }
}

/// Runs git in one working copy through ``CommandRunner``: an argument vector, a deadline per command,
/// the process group stopped when it passes, output capped and redacted.
///
/// git runs non-interactively and in English (`LC_ALL=C`, so failures can be classified), never asks
/// for a password (`GIT_TERMINAL_PROMPT=0`) and never opens an editor. Commits carry the configured author.
///
/// Its environment is ``ChildEnvironment/minimal`` plus the provider's `env:` plus those settings: not the
/// daemon's other variables (no vendor token, no `GIT_DIR` or `GIT_SSH_COMMAND` set for something else).
/// What git needs to reach the remote is named in `env:` — `GIT_SSH_COMMAND`, `GIT_ASKPASS`, and
/// `SSH_AUTH_SOCK: ${SSH_AUTH_SOCK}` to use the daemon's SSH agent.
struct GitRunner: Sendable {
    let spec: GitProviderSpec
    let redactor: Redactor
    let service: ServiceName

    var timeout: Duration { spec.timeout ?? GitProviderSpec.defaultTimeout }

    /// Runs `git <arguments>` and returns its output whatever the exit status. Throws only when git
    /// could not start (`.commandFailed`) or passed its deadline (`.timeout`).
    func run(_ arguments: [String], purpose: String) async throws -> GitOutput {
        let invocation = CommandInvocation(
            arguments: ["git"] + arguments,
            environment: environment,
            workingDirectory: spec.workingCopy,
            timeout: timeout,
            redactor: redactor
        )
        let result: CommandResult
        do {
            result = try await CommandRunner.run(invocation)
        } catch let failure as CommandLaunchFailure {
            throw error(.commandFailed, purpose, "git could not start: \(failure.reason)", arguments)
        }
        let output = GitOutput(
            captured: CapturedOutput(
                command: result.command.map(clean),
                exitCode: result.exitCode,
                stdout: clean(result.stdout),
                stderr: clean(result.stderr)
            )
        )
        if case .exited = result.ending { return output }
        let kind: ProviderError.Kind = result.ending == .timedOut ? .timeout : .commandFailed
        throw error(kind, purpose, "git \(result.failure ?? "did not exit")", arguments, output)
    }

    /// Runs `git <arguments>` and requires exit status 0; any other status is classified from what
    /// git printed (``GitFailure``): the network ones as transient or auth, the local ones as `.commandFailed`.
    @discardableResult
    func succeed(_ arguments: [String], purpose: String) async throws -> GitOutput {
        let output = try await run(arguments, purpose: purpose)
        guard output.exitCode != 0 else { return output }
        throw failure(output, purpose: purpose, arguments)
    }

    /// The error for a command that exited with a non-zero status.
    func failure(_ output: GitOutput, purpose: String, _ arguments: [String]) -> ProviderError {
        let said = OutputText.firstLine(of: GitFailure.mainMessage(output.captured.stderr) ?? output.captured.stderr)
        let detail = said.map { ": \($0)" } ?? ""
        let exited = "git exited with status \(output.exitCode)\(detail)"
        switch GitFailure.classify(output.text) {
        case .auth:
            return error(.auth, purpose, "\(exited); \(credentialHint)", arguments, output)
        case .remoteMissing:
            let hint = "check remote: \(spec.remote) in the git provider against `git remote -v` in the working copy"
            return error(.commandFailed, purpose, "\(exited); \(hint)", arguments, output)
        case .rateLimited:
            return error(.rateLimited, purpose, exited, arguments, output)
        case .server:
            return error(.server, purpose, exited, arguments, output)
        case .connection:
            return error(.connection, purpose, exited, arguments, output)
        case .pushRejectedBehind:
            return error(.server, purpose, "\(exited); the remote moved", arguments, output)
        case .pushRejectedByRemote:
            return error(.rejected, purpose, "\(exited); the remote refused the push", arguments, output)
        case nil:
            return error(.commandFailed, purpose, exited, arguments, output)
        }
    }

    /// Which credentials to check, by name only: the variables of `env:` that hold or point at one.
    var credentialHint: String {
        let credentialWords = ["SSH", "ASKPASS", "TOKEN", "PASSWORD", "CREDENTIAL", "KEY", "SECRET"]
        let variables = spec.environment.filter { name, value in
            value.isSecret || credentialWords.contains { name.uppercased().contains($0) }
        }.keys.sorted()
        let configured = variables.isEmpty ? "" : " (\(variables.joined(separator: ", ")) in env:)"
        return "check the credentials git uses for remote \(spec.remote)\(configured): the SSH key or the "
            + "credential helper of the working copy must be allowed to read and push \(spec.branch)"
    }

    func error(
        _ kind: ProviderError.Kind,
        _ purpose: String,
        _ reason: String,
        _ arguments: [String],
        _ output: GitOutput? = nil
    ) -> ProviderError {
        let command = arguments.first.map { "git \($0)" } ?? "git"
        let message = "could not \(purpose) for \(service): \(reason) (\(command) in \(spec.workingCopy))"
        return ProviderError(kind, clean(message), output: output?.captured)
    }

    /// Secrets and the user info of URLs (`https://user:token@host`) removed.
    func clean(_ text: String) -> String {
        GitFailure.withoutURLCredentials(redactor.redact(text))
    }

    private var environment: ChildEnvironment {
        let fixed = [
            "LC_ALL": "C",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_OPTIONAL_LOCKS": "0",
            "GIT_EDITOR": "true",
            "GIT_MERGE_AUTOEDIT": "no",
            "GIT_AUTHOR_NAME": spec.authorName,
            "GIT_AUTHOR_EMAIL": spec.authorEmail,
            "GIT_COMMITTER_NAME": spec.authorName,
            "GIT_COMMITTER_EMAIL": spec.authorEmail,
        ]
        return .minimal.adding(spec.environment.mapValues(\.value)).adding(fixed)
    }
}

/// What a failed git command's output says happened.
enum GitFailure: Equatable {
    case auth
    case remoteMissing
    case rateLimited
    case server
    case connection
    /// `! [rejected] … (fetch first)` / `(non-fast-forward)`: someone pushed in between.
    case pushRejectedBehind
    /// `! [remote rejected]`: a hook or a branch protection said no.
    case pushRejectedByRemote

    /// Classifies git's (English) output; nil for a local failure.
    static func classify(_ output: String) -> GitFailure? {
        let text = output.lowercased()
        func has(_ needles: String...) -> Bool { needles.contains { text.contains($0) } }
        if has("[remote rejected]", "pre-receive hook declined", "protected branch") { return .pushRejectedByRemote }
        if has("[rejected]", "non-fast-forward", "(fetch first)", "stale info") { return .pushRejectedBehind }
        if has(
            "authentication failed",
            "permission denied",
            "could not read username",
            "could not read password",
            "terminal prompts disabled",
            "access denied",
            "returned error: 401",
            "returned error: 403",
            "invalid username or password",
            "host key verification failed"
        ) {
            return .auth
        }
        if has("repository not found", "does not appear to be a git repository", "no such remote") {
            return .remoteMissing
        }
        if has("returned error: 429") { return .rateLimited }
        if has("returned error: 5", "internal server error", "bad gateway", "service unavailable") { return .server }
        if has(
            "could not resolve host",
            "connection refused",
            "connection timed out",
            "network is unreachable",
            "operation timed out",
            "failed to connect",
            "connection reset",
            "unable to access",
            "could not read from remote repository",
            "the remote end hung up",
            "early eof",
            "broken pipe"
        ) {
            return .connection
        }
        return nil
    }

    /// The `fatal:` / `error:` line of git's stderr, which says more than the hints around it.
    static func mainMessage(_ stderr: String) -> String? {
        let lines = stderr.split(whereSeparator: \.isNewline).map(String.init)
        return lines.first { $0.hasPrefix("fatal:") || $0.hasPrefix("error:") || $0.hasPrefix("ERROR:") }
    }

    /// Replaces the user info of every `scheme://user[:password]@host` with `<redacted>@`: git prints
    /// remote URLs, and a URL in the working copy's configuration may carry a token Rewind never saw.
    static func withoutURLCredentials(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            output += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authority = rest.prefix { !$0.isWhitespace && $0 != "/" && $0 != "'" && $0 != "\"" }
            if let at = authority.lastIndex(of: "@") {
                output += "<redacted>@"
                rest = rest[rest.index(after: at)...]
            }
        }
        return output + rest
    }
}
