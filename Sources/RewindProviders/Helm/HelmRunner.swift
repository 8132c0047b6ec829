import RewindCore
import RewindPorts
import RewindProcess
import RewindSpecs

/// Runs `helm <arguments>` for one release: an argument vector with the configured binary, the minimal
/// environment plus `env:`, Rewind's deadline, and output capped and redacted by ``CommandRunner``.
/// Failures become ``ProviderError``s that name the service, the release and helm's own first error line,
/// classified from what helm printed (``HelmFailure``).
struct HelmRunner: Sendable {
    let spec: HelmProviderSpec
    let redactor: Redactor
    let service: ServiceName

    /// `--namespace=NS` and the cluster options, in the `--name=value` form (a value can never be an option).
    var scope: [String] {
        var options = ["--namespace=\(spec.namespace)"]
        if let context = spec.kubeContext { options.append("--kube-context=\(context)") }
        if let kubeconfig = spec.kubeconfig { options.append("--kubeconfig=\(kubeconfig)") }
        return options
    }

    /// Runs helm and requires exit status 0.
    func succeed(_ arguments: [String], purpose: String) async throws -> CapturedOutput {
        if let problem = setupProblem {
            throw error(.rejected, purpose, "\(problem); nothing was run")
        }
        let invocation = CommandInvocation(
            arguments: [spec.binary] + arguments,
            environment: .minimal.adding(spec.environment.mapValues(\.value)),
            timeout: spec.commandTimeout,
            redactor: redactor
        )
        let result: CommandResult
        do {
            result = try await CommandRunner.run(invocation)
        } catch let failure as CommandLaunchFailure {
            throw error(.commandFailed, purpose, "helm could not start: \(failure.reason)")
        }
        let captured = result.captured
        switch result.ending {
        case .exited(0):
            return captured
        case .timedOut:
            throw error(
                .timeout, purpose,
                "helm did not finish within \(spec.commandTimeout.rewindDescription) and was stopped; "
                    + "check the release with `helm status \(spec.release) -n \(spec.namespace)`",
                captured)
        case .exited, .signalled:
            let said = OutputText.firstLine(of: HelmFailure.mainMessage(result.stderr) ?? result.stderr, limit: 300)
            let ended = result.exitCode >= 0 ? "exited with status \(result.exitCode)" : "was stopped by a signal"
            let detail = "helm \(ended)" + (said.map { ": \($0)" } ?? "")
            throw error(HelmFailure.classify(result.stderr), purpose, detail, captured)
        }
    }

    /// The release, namespace and context checked again before anything runs (the configuration checked them).
    private var setupProblem: String? {
        if let problem = HelmProviderSpec.releaseNameProblem(spec.release) {
            return "the release name '\(spec.release)' \(problem)"
        }
        if let problem = HelmProviderSpec.namespaceProblem(spec.namespace) {
            return "the namespace '\(spec.namespace)' \(problem)"
        }
        if let context = spec.kubeContext, let problem = HelmProviderSpec.contextNameProblem(context) {
            return "the kube context '\(context)' \(problem)"
        }
        return nil
    }

    func error(
        _ kind: ProviderError.Kind, _ purpose: String, _ reason: String, _ output: CapturedOutput? = nil
    ) -> ProviderError {
        ProviderError(
            kind,
            clean("could not \(purpose) for \(service): \(reason) (helm, release \(spec.namespace)/\(spec.release))"),
            output: output)
    }

    func clean(_ text: String) -> String { redactor.redact(text) }

    /// A duration the way Go's `time.ParseDuration` reads it (`300s`), for `--timeout`.
    static func goDuration(_ duration: Duration) -> String {
        "\(max(1, duration.components.seconds))s"
    }
}

/// What a failed helm command's stderr says happened.
enum HelmFailure {
    static func classify(_ stderr: String) -> ProviderError.Kind {
        let text = stderr.lowercased()
        func has(_ needles: String...) -> Bool { needles.contains { text.contains($0) } }
        if has("another operation (install/upgrade/rollback) is in progress") { return .server }
        if has("release: not found", "has no deployed releases", "not found") { return .notFound }
        if has("unauthorized", "forbidden", "you must be logged in", "credentials") { return .auth }
        if has("too many requests", "429") { return .rateLimited }
        if has("connection refused", "no such host", "i/o timeout", "network is unreachable", "connection reset") {
            return .connection
        }
        if has("internal error", "service unavailable", "etcdserver") { return .server }
        return .commandFailed
    }

    /// Helm's `Error: …` line, which says more than the warnings around it.
    static func mainMessage(_ stderr: String) -> String? {
        stderr.split(whereSeparator: \.isNewline).map(String.init).first { $0.hasPrefix("Error:") }
    }
}
