import RewindCore

/// The `helm` platform: a service deployed as a Helm release, rolled back the way
/// `helm rollback RELEASE REVISION --namespace NS --wait --timeout T` does, by running `helm` itself
/// as an argument vector (`type: helm` in the configuration).
///
/// ```yaml
/// provider:
///   type: helm
///   release: web                    # the release name (`helm list`)
///   namespace: shop                 # the release's namespace
///   binary: /usr/local/bin/helm     # default: helm, looked up on the PATH of env:
///   kube_context: prod              # optional: --kube-context
///   kubeconfig: /etc/rewind/kubeconfig   # optional: --kubeconfig
///   wait_timeout: 5m                # helm's own --timeout for --wait (default 5m)
///   timeout: 6m                     # Rewind's deadline for each helm command (default wait_timeout + 1m)
///   history: 20                     # revisions read with --max (default 20)
///   env: { HELM_CACHE_HOME: /var/cache/rewind/helm }
/// ```
///
/// A deployment is a release revision: its id is the revision number, its version the chart's
/// `app_version` (or the chart when there is none).
public struct HelmProviderSpec: Sendable, Equatable {
    public static let defaultBinary = "helm"
    /// `helm rollback --wait --timeout`: how long helm waits for the release's resources to be ready.
    public static let defaultWaitTimeout: Duration = .seconds(300)
    /// How many revisions `helm history --max` reads.
    public static let defaultHistoryLimit = 20
    /// Helm's own limit on a release name.
    public static let maxReleaseNameLength = 53

    public var release: String
    public var namespace: String
    /// The helm program: a bare name looked up on the `PATH` of ``environment``, or an absolute path.
    public var binary: String
    public var kubeContext: String?
    public var kubeconfig: String?
    public var waitTimeout: Duration
    /// Rewind's deadline for one helm command; nil: ``waitTimeout`` plus one minute.
    public var timeout: Duration?
    public var historyLimit: Int
    /// Added to the minimal environment helm runs with (`HELM_CACHE_HOME`, `AWS_PROFILE`, …).
    public var environment: [String: ConfigText]

    public init(
        release: String, namespace: String, binary: String = defaultBinary, kubeContext: String? = nil,
        kubeconfig: String? = nil, waitTimeout: Duration = defaultWaitTimeout, timeout: Duration? = nil,
        historyLimit: Int = defaultHistoryLimit, environment: [String: ConfigText] = [:]
    ) {
        self.release = release
        self.namespace = namespace
        self.binary = binary
        self.kubeContext = kubeContext
        self.kubeconfig = kubeconfig
        self.waitTimeout = waitTimeout
        self.timeout = timeout
        self.historyLimit = historyLimit
        self.environment = environment
    }

    /// The deadline of one helm command.
    public var commandTimeout: Duration { timeout ?? waitTimeout + .seconds(60) }

    /// Why `name` cannot be a Helm release name, or nil when it can: Helm's rule (lowercase letters,
    /// digits, `-` and `.`, starting and ending with a letter or digit, at most 53 characters), so it can
    /// never be read as an option.
    public static func releaseNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > maxReleaseNameLength { return "is longer than \(maxReleaseNameLength) characters" }
        return dnsNameProblem(name, allowDots: true)
    }

    /// Why `name` cannot be a Kubernetes namespace (a DNS label of at most 63 characters), or nil.
    public static func namespaceProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 63 { return "is longer than 63 characters" }
        return dnsNameProblem(name, allowDots: false)
    }

    /// Why `name` cannot be a kubeconfig context name passed to `--kube-context`, or nil.
    public static func contextNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.hasPrefix("-") { return "starts with '-' (helm would read it as an option)" }
        if name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            return "contains a space or a control character"
        }
        return nil
    }

    private static func dnsNameProblem(_ name: String, allowDots: Bool) -> String? {
        let dot: Unicode.Scalar = "."
        let allowed = { (scalar: Unicode.Scalar) -> Bool in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-"
                || (allowDots && scalar == dot)
        }
        let what = allowDots ? "lowercase letters, digits, '-' and '.'" : "lowercase letters, digits and '-'"
        guard name.unicodeScalars.allSatisfy(allowed) else { return "is not a valid name: use \(what)" }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let badEdge = labels.contains { label in
            label.isEmpty || label.hasPrefix("-") || label.hasSuffix("-")
        }
        if badEdge { return "must start and end with a letter or digit (no '-' or '.' at either end)" }
        return nil
    }
}
