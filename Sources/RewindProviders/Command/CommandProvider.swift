import Foundation
import RewindCore
import RewindPorts

/// The `command` platform: rollback (and optionally "which deployment is live") are local programs.
///
/// Each command is an argument vector run with Foundation `Process`, never through a shell;
/// placeholders (`{{service}}`, `{{target.id}}`, `{{target.version}}`, `{{current.id}}`,
/// `{{incident.id}}`) are filled inside single arguments, so a value with spaces or `;` stays one
/// argument. The environment is the daemon's plus `spec.environment`.
///
/// - `rollback` is synchronous: exit 0 is success and the operation is already finished.
/// - `currentDeployment` runs `spec.current` (first non-empty stdout line is the id), or returns nil.
/// - `listDeployments` returns `[]`: a plain command has no way to list deployments.
/// - stdout and stderr are capped at 64 KiB each and redacted before they go anywhere.
public struct CommandProvider: PlatformProvider, CustomStringConvertible {
    public static let defaultTimeout: Duration = .seconds(60)

    private let spec: CommandProviderSpec
    private let redactor: Redactor
    /// The service this provider was configured for.
    private let service: ServiceName

    public init(spec: CommandProviderSpec, redactor: Redactor, service: ServiceName) {
        self.spec = spec
        self.redactor = redactor
        self.service = service
    }

    public var kind: String { "command" }
    public var description: String { "command provider for \(service)" }

    public func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] { [] }

    public func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
        guard let current = spec.current else { return nil }
        let output = try await run(current, values: TemplateValues.of(service: service), purpose: "current", service)
        guard let id = OutputText.firstLine(of: output.stdout, limit: 500) else {
            throw ProviderError(
                .badResponse,
                "the current-deployment command for \(service) printed no deployment id on stdout",
                output: output
            )
        }
        return PlatformDeployment(id: id)
    }

    public func rollback(service: ServiceName, to target: Deployment, context: ActionContext) async throws
        -> RollbackOperation
    {
        let values = TemplateValues.rollback(service: service, target: target, context: context)
        let output = try await run(spec.rollback, values: values, purpose: "rollback", service)
        return RollbackOperation(finished: true, output: output)
    }

    /// A command rollback is finished when its command exits 0.
    public func status(of operation: RollbackOperation, service: ServiceName, target: Deployment) async throws
        -> OperationStatus
    {
        .succeeded
    }

    // MARK: Running

    private func run(_ template: [String], values: [String: String], purpose: String, _ service: ServiceName)
        async throws -> CapturedOutput
    {
        let arguments = template.map { Template.render($0, values) }
        let invocation = CommandInvocation(
            arguments: arguments,
            environment: ProcessInfo.processInfo.environment.merging(spec.environment.mapValues(\.value)) { $1 },
            workingDirectory: spec.workingDirectory,
            timeout: spec.timeout ?? Self.defaultTimeout
        )
        let what = "the \(purpose) command for \(service)"
        let result: CommandResult
        do {
            result = try await CommandRunner.run(invocation)
        } catch let failure as CommandLaunchFailure {
            throw ProviderError(.commandFailed, redactor.redact("\(what) could not start: \(failure.reason)"))
        }
        let output = CapturedOutput(
            command: arguments.map(redactor.redact),
            exitCode: result.exitCode,
            stdout: OutputText.render(result.stdout, redactor: redactor),
            stderr: OutputText.render(result.stderr, redactor: redactor)
        )
        let program = redactor.redact(arguments[0])
        switch result.ending {
        case .exited(0):
            return output
        case .exited(let status):
            let detail = OutputText.firstLine(of: output.stderr).map { ": \($0)" } ?? ""
            throw ProviderError(
                .commandFailed, redactor.redact("\(what) (`\(program)`) exited with status \(status)\(detail)"),
                output: output
            )
        case .signalled(let signal):
            throw ProviderError(
                .commandFailed, redactor.redact("\(what) (`\(program)`) was killed by signal \(signal)"), output: output
            )
        case .timedOut:
            let timeout = invocation.timeout.rewindDescription
            throw ProviderError(
                .timeout, redactor.redact("\(what) (`\(program)`) did not finish within \(timeout) and was stopped"),
                output: output
            )
        }
    }
}

extension CommandResult {
    /// The exit status, or -1 when the process did not exit normally.
    var exitCode: Int32 {
        if case .exited(let status) = ending { return status }
        return -1
    }
}

extension CommandLaunchFailure {
    var reason: String {
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
