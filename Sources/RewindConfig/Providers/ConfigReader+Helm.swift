import RewindCore
import RewindSpecs

/// `provider: {type: helm, …}`: roll back a Helm release by running `helm rollback`.
///
/// ```yaml
/// provider:
///   type: helm
///   release: web
///   namespace: shop
///   binary: /usr/local/bin/helm       # default helm (looked up on the PATH)
///   kube_context: prod                # optional
///   kubeconfig: /etc/rewind/kubeconfig
///   wait_timeout: 5m                  # helm rollback --wait --timeout
///   timeout: 6m                       # Rewind's deadline per helm command
///   history: 20                       # helm history --max
///   env: { HELM_CACHE_HOME: /var/cache/rewind/helm }
/// ```
extension ConfigReader {
    static let helmKeys = [
        "type", "release", "namespace", "binary", "kube_context", "kubeconfig", "wait_timeout", "timeout", "history",
        "env",
    ]

    /// Every problem of the provider is reported; the spec comes back only when there was none.
    mutating func helmProvider(_ at: Located) -> HelmProviderSpec? {
        guard let fields = mapping(at, allowed: Self.helmKeys) else { return nil }
        let problemsBefore = problems.count
        let release = require(fields, "release", hint: "the Helm release to roll back, as `helm list` names it")
            .flatMap { checkedName($0, what: "release", HelmProviderSpec.releaseNameProblem) }
        let namespace = require(fields, "namespace", hint: "the release's namespace, e.g. namespace: shop")
            .flatMap { checkedName($0, what: "namespace", HelmProviderSpec.namespaceProblem) }
        var spec = HelmProviderSpec(release: release ?? "", namespace: namespace ?? "")
        if let at = fields["binary"], let binary = helmBinary(at) { spec.binary = binary }
        if let at = fields["kube_context"],
            let context = checkedName(at, what: "kube context", HelmProviderSpec.contextNameProblem)
        {
            spec.kubeContext = context
        }
        if let at = fields["kubeconfig"] { spec.kubeconfig = filePath(at) }
        if let at = fields["wait_timeout"], let wait = duration(at, .timeout) { spec.waitTimeout = wait }
        if let at = fields["timeout"] { spec.timeout = duration(at, .timeout) }
        if let at = fields["history"], let limit = count(at, CountBounds.helmHistory) { spec.historyLimit = limit }
        if let at = fields["env"] { spec.environment = commandEnvironment(at) }
        if let timeout = spec.timeout, timeout <= spec.waitTimeout, let at = fields["timeout"] {
            report(
                at,
                "timeout (\(timeout.rewindDescription)) must be longer than wait_timeout "
                    + "(\(spec.waitTimeout.rewindDescription)), or Rewind stops helm while it still waits; "
                    + "leave timeout out to use wait_timeout + 1m")
        }
        return problems.count == problemsBefore ? spec : nil
    }

    /// `helm`, or an absolute path to it: never an option, never a relative path that depends on the daemon's folder.
    private mutating func helmBinary(_ at: Located) -> String? {
        guard let binary = name(at) else { return nil }
        if binary.contains("/") {
            return filePath(at)
        }
        if binary.hasPrefix("-") || binary.contains(where: \.isWhitespace) {
            report(at, "'\(binary)' is not a program name; write helm or an absolute path such as /usr/local/bin/helm")
            return nil
        }
        return binary
    }
}
