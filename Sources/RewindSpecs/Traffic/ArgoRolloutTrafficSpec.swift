/// The new version's share of traffic as an Argo Rollout gives it (`traffic: {type: argo_rollouts, …}`): read from
/// the Rollout (its canary weight, or 0 / 100 % for blue-green), cut to 0 by `kubectl argo rollouts abort`, and given
/// back in full by `kubectl argo rollouts promote --full`.
///
/// ```yaml
/// traffic:
///   type: argo_rollouts
///   namespace: shop
///   rollout: web
///   kubeconfig: ~/.kube/config     # or in_cluster: true, or api_url + token: ${KUBE_TOKEN}
///   context: prod                  # optional
///   timeout: 10s                   # optional, per request
/// ```
///
/// Argo moves a canary's weight only through its own steps: a share between 0 and 100 % other than the one the
/// Rollout has is refused (the gradual strategy's halving cannot be done; the canary strategy's 0 can). RBAC: `get` on
/// `rollouts` and `patch` on `rollouts/status` (apiGroup `argoproj.io`).
public struct ArgoRolloutTrafficSpec: Sendable, Equatable {
    /// The deadline of each request.
    public static let defaultTimeout: Duration = .seconds(10)

    /// The Rollout's namespace.
    public var namespace: String
    /// The Rollout's name.
    public var rollout: String
    /// How to reach the API server and who Rewind is there.
    public var cluster: KubernetesClusterSpec
    /// The deadline of each request.
    public var timeout: Duration

    public init(
        namespace: String, rollout: String, cluster: KubernetesClusterSpec,
        timeout: Duration = ArgoRolloutTrafficSpec.defaultTimeout
    ) {
        self.namespace = namespace
        self.rollout = rollout
        self.cluster = cluster
        self.timeout = timeout
    }
}
