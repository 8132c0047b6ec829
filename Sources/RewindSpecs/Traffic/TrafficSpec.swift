/// How a service's traffic is moved between its stable and its new version (`traffic:` in a service).
public enum TrafficSpec: Sendable, Equatable {
    case cloudflare(CloudflareTrafficSpec)
    /// The replica ratio between a stable and a canary Deployment.
    case kubernetes(KubernetesTrafficSpec)
    /// An Argo Rollout's canary weight (abort and promote).
    case argoRollout(ArgoRolloutTrafficSpec)
    /// A feature flag's percentage rollout.
    case flagRollout(FlagRolloutSpec)

    public var kind: String {
        switch self {
        case .cloudflare: "cloudflare"
        case .kubernetes: "kubernetes"
        case .argoRollout: "argo_rollouts"
        case .flagRollout(let rollout): rollout.backend.kind
        }
    }
}
