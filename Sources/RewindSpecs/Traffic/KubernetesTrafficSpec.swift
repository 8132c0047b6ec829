/// Traffic shared by replica ratio between two Deployments whose pods sit behind the same Service
/// (`traffic: {type: kubernetes, …}`): the new version's share is `canary replicas / (stable + canary replicas)`.
///
/// ```yaml
/// traffic:
///   type: kubernetes
///   namespace: shop
///   deployment: web                # the stable version
///   canary: web-canary             # the new version, next to it
///   kubeconfig: ~/.kube/config     # or in_cluster: true, or api_url + token: ${KUBE_TOKEN}
///   context: prod                  # optional
///   timeout: 10s                   # optional, per request
/// ```
///
/// The cluster keys are the Kubernetes provider's (`api_url`, `token`, `ca_file`, `insecure_skip_tls_verify`,
/// `kubeconfig`, `context`, `in_cluster`). RBAC: `get` and `patch` on `deployments/scale` for both Deployments.
public struct KubernetesTrafficSpec: Sendable, Equatable {
    /// The deadline of each request.
    public static let defaultTimeout: Duration = .seconds(10)

    /// The namespace of both Deployments.
    public var namespace: String
    /// The Deployment that runs the stable version.
    public var stable: String
    /// The Deployment that runs the new (canary) version; never the same as `stable`.
    public var canary: String
    /// How to reach the API server and who Rewind is there.
    public var cluster: KubernetesClusterSpec
    /// The deadline of each request.
    public var timeout: Duration

    public init(
        namespace: String,
        stable: String,
        canary: String,
        cluster: KubernetesClusterSpec,
        timeout: Duration = KubernetesTrafficSpec.defaultTimeout
    ) {
        self.namespace = namespace
        self.stable = stable
        self.canary = canary
        self.cluster = cluster
        self.timeout = timeout
    }
}
