import Foundation
import RewindCore
import RewindPorts

/// Runs a service's down-migration (`migration:` in the configuration) as part of its rollback.
///
/// The command is an argument vector run through ``CommandRunner`` (no shell, a deadline that stops
/// the whole process group, output capped at 64 KiB and redacted); `{{service}}`, `{{target.id}}`,
/// `{{target.version}}`, `{{current.id}}` and `{{incident.id}}` are filled inside single arguments.
/// Whether it runs before or after the application's rollback is `runsBeforeApp` (the engine orders
/// the steps).
public struct MigrationRunner: MigrationRollback, CustomStringConvertible {
    private let spec: MigrationSpec
    private let redactor: Redactor

    public init(spec: MigrationSpec, redactor: Redactor) {
        self.spec = spec
        self.redactor = redactor
    }

    /// True when the migration is rolled back before the application (``MigrationSpec/beforeApp``).
    public var runsBeforeApp: Bool { spec.beforeApp }
    public var isIrreversible: Bool { spec.irreversible }
    public var description: String { spec.irreversible ? "irreversible migration" : "migration `\(program)`" }

    private var program: String { redactor.redact(spec.rollback.first ?? "") }

    /// Runs the down-migration from `current` (the deployment being rolled back) to `target`.
    ///
    /// - Returns: what the command printed (redacted), when it exited 0.
    /// - Throws: ``ProviderError``: `.unsupported` for an irreversible migration (nothing is run),
    ///   `.commandFailed` with the output for a non-zero exit or a command that cannot start,
    ///   `.timeout` when it outlives its timeout (it is stopped).
    public func rollBack(
        service: ServiceName,
        from current: Deployment?,
        to target: Deployment,
        context: ActionContext
    )
        async throws -> CapturedOutput
    {
        guard !spec.irreversible else {
            throw ProviderError(
                .unsupported,
                "migration of \(service) is marked irreversible: no down step; restore from backup"
            )
        }
        let values = TemplateValues.rollback(
            service: service,
            target: target,
            context: ActionContext(incidentID: context.incidentID, current: current ?? context.current)
        )
        let arguments = spec.rollback.map { Template.render($0, values) }
        let invocation = CommandInvocation(
            arguments: arguments,
            environment: ProcessInfo.processInfo.environment.merging(spec.environment.mapValues(\.value)) { $1 },
            workingDirectory: spec.workingDirectory,
            timeout: spec.timeout ?? MigrationSpec.defaultTimeout
        )
        let what = "the migration rollback of \(service) to \(target.label)"
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
        let program = redactor.redact(arguments.first ?? "")
        switch result.ending {
        case .exited(0):
            return output
        case .exited(let status):
            let detail = OutputText.firstLine(of: output.stderr).map { ": \($0)" } ?? ""
            let message = "\(what) (`\(program)`) exited with status \(status)\(detail)"
            throw ProviderError(.commandFailed, redactor.redact(message), output: output)
        case .signalled(let signal):
            let message = "\(what) (`\(program)`) was killed by signal \(signal)"
            throw ProviderError(.commandFailed, redactor.redact(message), output: output)
        case .timedOut:
            let timeout = invocation.timeout.rewindDescription
            let message = "\(what) (`\(program)`) did not finish within \(timeout) and was stopped"
            throw ProviderError(.timeout, redactor.redact(message), output: output)
        }
    }
}

extension ProviderFactory {
    /// The runner of a service's `migration:`.
    public static func makeMigrationRunner(_ spec: MigrationSpec, redactor: Redactor) -> MigrationRunner {
        MigrationRunner(spec: spec, redactor: redactor)
    }
}
