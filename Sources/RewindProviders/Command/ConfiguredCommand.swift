import RewindCore
import RewindPorts
import RewindProcess

/// Runs a command from the configuration (a rollback, a current-deployment lookup, a down-migration) and returns
/// what it printed when it exits 0. Anything else is a ``ProviderError`` naming `what` and the program (redacted),
/// with the output: `.timeout` past its deadline, `.commandFailed` when it could not start, exited non-zero or was
/// killed.
func runConfiguredCommand(_ invocation: CommandInvocation, what: String) async throws -> CapturedOutput {
    let redactor = invocation.redactor
    let result: CommandResult
    do {
        result = try await CommandRunner.run(invocation)
    } catch let failure as CommandLaunchFailure {
        throw ProviderError(.commandFailed, redactor.redact("\(what) could not start: \(failure.reason)"))
    }
    guard let failure = result.failure else { return result.captured }
    let program = redactor.redact(invocation.arguments.first ?? "")
    throw ProviderError(
        result.ending == .timedOut ? .timeout : .commandFailed, redactor.redact("\(what) (`\(program)`) \(failure)"),
        output: result.captured
    )
}
