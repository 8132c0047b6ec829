import RewindCore

/// The `kubernetes` platform: rolls a Deployment, StatefulSet or DaemonSet back through the API server the way
/// `kubectl rollout undo` does (`type: kubernetes` in the configuration).
///
/// ```yaml
/// provider:
///   type: kubernetes
///   namespace: shop
///   deployment: web
///   kubeconfig: ~/.kube/config     # its user: a token, a client certificate or an exec plugin (EKS, GKE, AKS);
///                                  # or in_cluster: true, or api_url + token
///   context: prod                  # optional: the kubeconfig's current-context otherwise
///   canary: web-canary             # optional: the Deployment that serves the new version to a share of pods
/// fallback:
///   type: kubernetes
///   namespace: shop
///   deployment: web
///   in_cluster: true
///   method: set_image              # when the target's ReplicaSet is gone from the history
/// ```
///
/// A StatefulSet, DaemonSet or Argo Rollout is named by its kind and name instead of `deployment:`:
///
/// ```yaml
/// provider:
///   type: kubernetes
///   namespace: shop
///   kind: StatefulSet              # or DaemonSet, or Rollout (argoproj.io/v1alpha1); Deployment is the default
///   name: postgres
///   in_cluster: true
///   events: true                   # optional: a Kubernetes Event on the workload for each incident step
///   watch_pods: true               # optional: CrashLoopBackOff / ProgressDeadlineExceeded of a suspect
///                                  # deployment is a critical health observation
/// ```
///
/// Deployments are the workload's revisions: a Deployment's ReplicaSets, a StatefulSet's or DaemonSet's
/// ControllerRevisions. A deployment id is the revision object's name (stable: a rollback reuses it, while its
/// revision number changes), its version the pod template's first container image. An Argo Rollout's revisions are
/// the ReplicaSets it owns, numbered by `rollout.argoproj.io/revision`.
public struct KubernetesProviderSpec: Sendable, Equatable {
    /// How the provider moves the Deployment to the target.
    public enum Method: String, Sendable, Equatable, CaseIterable {
        /// `kubectl rollout undo`: the target ReplicaSet's pod template is written back into the
        /// Deployment (JSON patch guarded by `resourceVersion`). Needs the ReplicaSet to be in the history.
        case rolloutUndo = "rollout_undo"
        /// `kubectl set image`: the first container's image is set to the target's image (strategic merge
        /// patch). The fallback when the history no longer holds the target's ReplicaSet.
        case setImage = "set_image"
    }

    /// The deadline of each request.
    public static let defaultTimeout: Duration = .seconds(10)

    /// The workload's namespace.
    public var namespace: String
    /// What `workload` names: a Deployment, a StatefulSet or a DaemonSet.
    public var kind: KubernetesWorkloadKind
    /// The workload's name.
    public var workload: String
    /// How to reach the API server and who Rewind is there.
    public var cluster: KubernetesClusterSpec
    /// The deadline of each request.
    public var timeout: Duration
    public var method: Method
    /// A second Deployment in the same namespace that runs the new version next to the Deployment `workload`;
    /// traffic is shared by replica ratio (`KubernetesReplicaTraffic`). Nil when there is none.
    public var canaryDeployment: String?
    /// Whether each incident step is also a Kubernetes Event on the workload (`kubectl describe` shows it).
    public var events: Bool
    /// Whether the pods of a suspect deployment are watched for `CrashLoopBackOff`, and the workload for
    /// `ProgressDeadlineExceeded` (a critical health observation, no waiting on probes).
    public var watchPods: Bool

    public init(
        namespace: String, kind: KubernetesWorkloadKind = .deployment, workload: String,
        cluster: KubernetesClusterSpec, timeout: Duration = KubernetesProviderSpec.defaultTimeout,
        method: Method = .rolloutUndo, canaryDeployment: String? = nil, events: Bool = true, watchPods: Bool = true
    ) {
        self.events = events
        self.watchPods = watchPods
        self.namespace = namespace
        self.kind = kind
        self.workload = workload
        self.cluster = cluster
        self.timeout = timeout
        self.method = method
        self.canaryDeployment = canaryDeployment
    }
}

/// The kinds of workload the `kubernetes` platform rolls back, spelt as in a manifest's `kind:`: the `apps/v1` ones and
/// Argo Rollouts' `Rollout`.
public enum KubernetesWorkloadKind: String, Sendable, Equatable, CaseIterable {
    /// Its revisions are the ReplicaSets it owns (`deployment.kubernetes.io/revision`).
    case deployment = "Deployment"
    /// Its revisions are the ControllerRevisions it owns; `status.updateRevision` names the live one.
    case statefulSet = "StatefulSet"
    /// Its revisions are the ControllerRevisions it owns; the live one holds its pod template.
    case daemonSet = "DaemonSet"
    /// An Argo Rollout (`argoproj.io/v1alpha1`): its revisions are the ReplicaSets it owns
    /// (`rollout.argoproj.io/revision`); its controller runs the canary or blue-green steps.
    case rollout = "Rollout"

    /// The API resource (`statefulsets`), as in paths and RBAC rules.
    public var resource: String { rawValue.lowercased() + "s" }

    /// The API group of the workload (`apps`, `argoproj.io`), as in RBAC rules.
    public var apiGroup: String { self == .rollout ? "argoproj.io" : "apps" }

    /// The group and version in paths (`apps/v1`, `argoproj.io/v1alpha1`).
    public var groupVersion: String { self == .rollout ? "argoproj.io/v1alpha1" : "apps/v1" }

    /// The resource of its revisions (`replicasets`, `controllerrevisions`), always in the `apps` group.
    public var revisionResource: String {
        switch self {
        case .deployment, .rollout: "replicasets"
        case .statefulSet, .daemonSet: "controllerrevisions"
        }
    }

    /// `kubectl`'s `TYPE/NAME` form (`statefulset/postgres`).
    public func reference(_ name: String) -> String { "\(rawValue.lowercased())/\(name)" }
}

/// How the provider reaches a Kubernetes API server, resolved when the configuration is loaded (a kubeconfig is
/// read then) or, for `in_cluster`, when the provider runs (the pod's environment and mounted files).
public struct KubernetesClusterSpec: Sendable, Equatable {
    /// Where the API server is.
    public enum Server: Sendable, Equatable {
        /// A base URL such as `https://10.0.0.1:6443`, without a trailing slash.
        case url(String)
        /// `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, read from the environment when the
        /// provider runs.
        case inCluster
    }

    /// Who Rewind is on the API server.
    public enum Credential: Sendable, Equatable {
        /// A token resolved from `${ENV}`, `${file:…}` or a kubeconfig user (always a secret).
        case token(ConfigText)
        /// A file read on every request, so that rotated tokens are picked up (the ServiceAccount token
        /// a pod mounts, a kubeconfig user's `tokenFile`).
        case tokenFile(String)
        /// A kubeconfig user's client certificate and key: mutual TLS, no bearer token.
        case clientCertificate(KubernetesClientCertificate)
        /// A kubeconfig user's `exec` credential plugin (EKS, GKE, AKS), run when a credential is needed.
        case exec(KubernetesExecPlugin)
    }

    /// Which certificate authority the API server's certificate must chain to.
    public enum Authority: Sendable, Equatable {
        /// The system's trust store.
        case systemRoots
        /// PEM text (a kubeconfig's `certificate-authority-data`, decoded).
        case pem(String)
        /// A PEM file, read on every request (the pod's mounted `ca.crt`, `certificate-authority`, `ca_file`).
        case file(String)
        /// No verification (`insecure-skip-tls-verify: true`); only for test clusters.
        case insecureSkipVerify
    }

    /// How ``inCluster(serviceAccountDirectory:apiURL:)`` names its credential, before the token file's path.
    static let serviceAccountName = "the ServiceAccount token"

    /// Where a pod finds its ServiceAccount's token, CA and namespace.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    public var server: Server
    public var credential: Credential
    public var authority: Authority
    /// Names the credential in messages that say what to fix, never its value: `KUBE_TOKEN`,
    /// `the token of user 'ci' in kubeconfig /home/me/.kube/config`, `the ServiceAccount token /var/run/…/token`.
    public var credentialName: String

    public init(server: Server, credential: Credential, authority: Authority, credentialName: String) {
        self.server = server
        self.credential = credential
        self.authority = authority
        self.credentialName = credentialName
    }

    /// The pod's own ServiceAccount: token and CA from `serviceAccountDirectory`, the API server from the
    /// environment unless `apiURL` overrides it.
    public static func inCluster(
        serviceAccountDirectory directory: String = KubernetesClusterSpec.serviceAccountDirectory,
        apiURL: String? = nil
    ) -> KubernetesClusterSpec {
        let tokenFile = directory + "/token"
        return KubernetesClusterSpec(
            server: apiURL.map(Server.url) ?? .inCluster,
            credential: .tokenFile(tokenFile),
            authority: .file(directory + "/ca.crt"),
            credentialName: "\(serviceAccountName) \(tokenFile)"
        )
    }

    /// How Rewind signs in, for `rewind providers check`: `a bearer token (KUBE_TOKEN)`, `the in-cluster
    /// ServiceAccount token (…)`, `a client certificate (…)`, `exec plugin aws (…)`.
    public var mechanism: String {
        switch credential {
        case .tokenFile(let path) where server == .inCluster || credentialName.hasPrefix(Self.serviceAccountName):
            "the in-cluster ServiceAccount token (\(path))"
        case .token: "a bearer token (\(credentialName))"
        case .tokenFile: "a bearer token file (\(credentialName))"
        case .clientCertificate: "a client certificate (\(credentialName))"
        case .exec(let plugin): "exec plugin \(plugin.programName) (\(credentialName))"
        }
    }

    /// The secret values this spec carries (a resolved token, an inline private key), for the ``Redactor``.
    public var secrets: [String] {
        switch credential {
        case .token(let token): [token.value]
        case .clientCertificate(let certificate): certificate.secrets
        case .tokenFile, .exec: []
        }
    }
}
