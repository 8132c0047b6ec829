/// A kubeconfig user's `exec:` credential plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`):
/// the `client.authentication.k8s.io` protocol, as `kubectl` runs it.
///
/// Rewind runs ``command`` with ``arguments`` (an argument vector, never a shell) in a minimal environment plus
/// ``environment`` and `KUBERNETES_EXEC_INFO`, reads the `ExecCredential` it prints, and keeps the credential
/// until shortly before it expires. Rewind has no terminal: `interactiveMode: Always` is refused when the
/// configuration is loaded.
public struct KubernetesExecPlugin: Sendable, Equatable {
    /// The versions of the protocol Rewind speaks (`v1alpha1` was removed from Kubernetes in 1.24).
    public enum APIVersion: String, Sendable, Equatable, CaseIterable {
        case v1 = "client.authentication.k8s.io/v1"
        case v1beta1 = "client.authentication.k8s.io/v1beta1"
    }

    /// Whether the plugin may ask for input on a terminal.
    public enum InteractiveMode: String, Sendable, Equatable, CaseIterable {
        /// The plugin never asks.
        case never = "Never"
        /// The plugin may ask when there is a terminal; Rewind never has one, so it is told it is not interactive.
        case ifAvailable = "IfAvailable"
        /// The plugin must ask: impossible for a daemon.
        case always = "Always"
    }

    /// How long one run of the plugin may take before its process group is stopped.
    public static let defaultTimeout: Duration = .seconds(30)

    public var apiVersion: APIVersion
    /// An absolute path, or a bare name looked up on `PATH` (a kubeconfig's relative path is resolved against
    /// the kubeconfig's folder when the configuration is read, as `kubectl` does).
    public var command: String
    public var arguments: [String]
    /// The kubeconfig's `env:` entries, added to the minimal environment.
    public var environment: [String: String]
    public var interactiveMode: InteractiveMode
    /// `provideClusterInfo: true`: `KUBERNETES_EXEC_INFO` carries the cluster's server and CA.
    public var provideClusterInfo: Bool
    /// The kubeconfig's `installHint`, shown when the program is not found.
    public var installHint: String?
    public var timeout: Duration

    public init(
        apiVersion: APIVersion, command: String, arguments: [String] = [], environment: [String: String] = [:],
        interactiveMode: InteractiveMode = .ifAvailable, provideClusterInfo: Bool = false, installHint: String? = nil,
        timeout: Duration = KubernetesExecPlugin.defaultTimeout
    ) {
        self.apiVersion = apiVersion
        self.command = command
        self.arguments = arguments
        self.environment = environment
        self.interactiveMode = interactiveMode
        self.provideClusterInfo = provideClusterInfo
        self.installHint = installHint
        self.timeout = timeout
    }

    /// The program's file name (`aws`, `gke-gcloud-auth-plugin`), for messages.
    public var programName: String {
        command.split(separator: "/").last.map(String.init) ?? command
    }
}
