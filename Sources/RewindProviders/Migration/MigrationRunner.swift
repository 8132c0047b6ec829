import Foundation
import RewindCore
import RewindPorts
import RewindProcess
import RewindSpecs

/// Runs a service's down-migration (`migration:` in the configuration) as part of its rollback.
///
/// The command is an argument vector run through ``CommandRunner`` (no shell, a deadline that stops
/// the whole process group, output capped at 64 KiB and redacted); `{{service}}`, `{{target.id}}`,
/// `{{target.version}}`, `{{current.id}}` and `{{incident.id}}` are filled inside single arguments, ids and
/// versions only once they pass ``DeploymentIdentifier``'s rule. The environment is
/// ``ChildEnvironment/minimal`` plus the migration's `env:`.
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
        var context = context
        context.current = current ?? context.current
        let values = try TemplateValues.rollback(service: service, target: target, context: context)
        let arguments = spec.rollback.map { Template.render($0, values) }
        let invocation = CommandInvocation(
            arguments: arguments,
            environment: .minimal.adding(spec.environment.mapValues(\.value)),
            workingDirectory: spec.workingDirectory,
            timeout: spec.timeout ?? MigrationSpec.defaultTimeout,
            redactor: redactor
        )
        let what = "the migration rollback of \(service) to \(target.label)"
        return try await runConfiguredCommand(invocation, what: what)
    }
}

extension ProviderFactory {
    /// The runner of a service's `migration:`.
    public static func makeMigrationRunner(_ spec: MigrationSpec, redactor: Redactor) -> MigrationRunner {
        MigrationRunner(spec: spec, redactor: redactor)
    }
}
