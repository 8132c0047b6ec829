/// How a service's platform is reached (`provider:` and `fallback:` in a service): local commands,
/// an HTTP API described in the configuration, a git branch, Railway, Kubernetes, a Helm release or Vercel. A new
/// platform adds a case here, a reader in RewindConfig and a provider in RewindProviders.
public enum ProviderSpec: Sendable, Equatable {
    case command(CommandProviderSpec)
    case http(HTTPProviderSpec)
    case git(GitProviderSpec)
    case railway(RailwayProviderSpec)
    case kubernetes(KubernetesProviderSpec)
    case vercel(VercelProviderSpec)
    case helm(HelmProviderSpec)

    /// The `type:` word of the configuration.
    public var kind: String {
        switch self {
        case .command: "command"
        case .http: "http"
        case .git: "git"
        case .railway: "railway"
        case .kubernetes: "kubernetes"
        case .vercel: "vercel"
        case .helm: "helm"
        }
    }
}
