import Foundation
import RewindCore
import RewindPorts
import RewindProcess
import RewindSpecs

/// Runs a kubeconfig's exec credential plugin once, the way `kubectl` does (the `client.authentication.k8s.io`
/// protocol), with ``CommandRunner``:
///
/// - the command and its args as an argument vector (never a shell); a bare name is found on `PATH`;
/// - the minimal environment (``ChildEnvironment/minimal``) plus the kubeconfig's `env:` entries, plus
///   `KUBERNETES_EXEC_INFO`: `{"apiVersion": …, "kind": "ExecCredential", "spec": {"interactive": false}}`, with
///   `spec.cluster` (server, CA, insecure-skip-tls-verify) when the kubeconfig sets `provideClusterInfo`;
/// - no standard input and no terminal: Rewind is a daemon;
/// - bounded: the plugin's timeout (30 s), at most ``maxOutputBytes`` on stdout.
///
/// Failures are ``KubernetesSetupError``s naming the plugin and, for a non-zero exit, the first line of its stderr
/// (redacted) — never what it printed on stdout.
struct KubernetesExecRunner: Sendable {
    /// An ExecCredential is a few KB (a token, or a certificate and key); more is not one.
    static let maxOutputBytes = 256 * 1024

    let plugin: KubernetesExecPlugin
    /// `the exec plugin aws of user 'eks' in kubeconfig …`.
    let name: String
    let cluster: KubernetesClusterSpec
    let redactor: Redactor

    /// Runs the plugin and reads its credential. `baseURL` is the API server it is asked for.
    func run(baseURL: String) async throws -> KubernetesExecCredential {
        guard plugin.interactiveMode != .always else {
            throw KubernetesSetupError(
                .auth,
                "\(name) has interactiveMode: Always, but Rewind runs as a daemon without a terminal; set "
                    + "interactiveMode: Never and configure the plugin to sign in without prompting"
            )
        }
        let invocation = CommandInvocation(
            arguments: [plugin.command] + plugin.arguments,
            environment: ChildEnvironment.minimal.adding(plugin.environment).adding([
                "KUBERNETES_EXEC_INFO": execInfo(baseURL: baseURL)
            ]),
            timeout: plugin.timeout,
            shownBytes: Self.maxOutputBytes
        )
        let result: CommandResult
        do {
            result = try await CommandRunner.run(invocation)
        } catch let failure as CommandLaunchFailure {
            let hint = plugin.installHint.map { "; \(Self.oneLine($0))" } ?? ""
            throw KubernetesSetupError(.auth, redactor.redact("could not run \(name): \(failure.reason)\(hint)"))
        }
        switch result.ending {
        case .exited(0):
            break
        case .timedOut:
            throw KubernetesSetupError(
                .timeout,
                "\(name) did not print a credential within \(plugin.timeout.rewindDescription) and was stopped; "
                    + "check that it can sign in without prompting"
            )
        case .exited, .signalled:
            let failure = result.failure.map(redactor.redact) ?? "failed"
            throw KubernetesSetupError(.auth, "\(name) \(failure)")
        }
        guard result.stdoutBytes <= Self.maxOutputBytes else {
            throw KubernetesSetupError(
                .badResponse,
                "\(name) printed \(result.stdoutBytes) bytes, more than the \(Self.maxOutputBytes / 1024) KiB an "
                    + "ExecCredential may take"
            )
        }
        switch KubernetesExecCredential.parse(Data(result.stdout.utf8), expected: plugin.apiVersion) {
        case .success(let credential):
            return credential
        case .failure(let problem):
            throw KubernetesSetupError(.badResponse, "\(name) did not print a usable ExecCredential: \(problem.reason)")
        }
    }

    /// `KUBERNETES_EXEC_INFO`: the request, as JSON.
    func execInfo(baseURL: String) -> String {
        var spec: [String: Any] = ["interactive": false]
        if plugin.provideClusterInfo {
            var info: [String: Any] = ["server": baseURL]
            switch cluster.authority {
            case .insecureSkipVerify:
                info["insecure-skip-tls-verify"] = true
            case .pem(let pem):
                info["certificate-authority-data"] = Data(pem.utf8).base64EncodedString()
            case .file(let path):
                if let data = FileManager.default.contents(atPath: path) {
                    info["certificate-authority-data"] = data.base64EncodedString()
                }
            case .systemRoots:
                break
            }
            spec["cluster"] = info
        }
        let request: [String: Any] = [
            "apiVersion": plugin.apiVersion.rawValue, "kind": "ExecCredential", "spec": spec,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: request, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private static func oneLine(_ text: String) -> String {
        OutputText.firstLine(of: text, limit: 300) ?? ""
    }
}
