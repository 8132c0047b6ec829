import Foundation
import RewindCore
import RewindPorts
import RewindProcess
import RewindSpecs

/// The `command` platform: rollback (and optionally "which deployment is live") are local programs.
///
/// Each command is an argument vector run by ``CommandRunner``, never through a shell;
/// placeholders (`{{service}}`, `{{target.id}}`, `{{target.version}}`, `{{current.id}}`,
/// `{{incident.id}}`) are filled inside single arguments, and ids and versions must pass
/// ``DeploymentIdentifier``'s rule first (no leading `-`, no `..`). The environment is
/// ``ChildEnvironment/minimal`` plus `spec.environment`: never the daemon's other variables.
///
/// - `rollback` is synchronous: exit 0 is success and the operation is already finished.
/// - `currentDeployment` runs `spec.current` (first non-empty stdout line is the id), or returns nil.
/// - `listDeployments` returns `[]`: a plain command has no way to list deployments.
/// - `isIdempotent` is `spec.idempotent` (`idempotent: true`): only then is a rollback that was running
///   when Rewind stopped run again without a `current` command saying the target is not live.
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
    public var isIdempotent: Bool { spec.idempotent }
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

    public func rollback(
        service: ServiceName, to target: Deployment, context: ActionContext
    ) async throws
        -> RollbackOperation
    {
        let values = try TemplateValues.rollback(service: service, target: target, context: context)
        let output = try await run(spec.rollback, values: values, purpose: "rollback", service)
        return RollbackOperation(finished: true, output: output)
    }

    /// A command rollback is finished when its command exits 0.
    public func status(
        of operation: RollbackOperation, service: ServiceName, target: Deployment
    ) async throws
        -> OperationStatus
    {
        .succeeded
    }

    // MARK: Running

    private func run(
        _ template: [String], values: [String: String], purpose: String, _ service: ServiceName
    )
        async throws -> CapturedOutput
    {
        let arguments = template.map { Template.render($0, values) }
        let invocation = CommandInvocation(
            arguments: arguments,
            environment: .minimal.adding(spec.environment.mapValues(\.value)),
            workingDirectory: spec.workingDirectory,
            timeout: spec.timeout ?? Self.defaultTimeout,
            redactor: redactor
        )
        return try await runConfiguredCommand(invocation, what: "the \(purpose) command for \(service)")
    }
}
