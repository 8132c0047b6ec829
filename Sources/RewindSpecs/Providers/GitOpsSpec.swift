import RewindCore

/// `gitops:` on a service: the controller that owns the service's manifests, so that a rollback happens where
/// the truth lives instead of being undone by the controller's self-healing within minutes.
public enum GitOpsSpec: Sendable, Equatable {
    /// Argo CD: the Application is rolled back to an earlier synced revision through Argo CD's API, after its
    /// automated sync is paused. Replaces `provider:`.
    case argoCD(ArgoCDSpec)
    /// Flux: the Kustomization or HelmRelease is suspended, the service's `provider:` rolls back in the
    /// cluster, and the commits since the target are reverted in git.
    case flux(FluxSpec)

    /// The `type:` word of the configuration.
    public var kind: String {
        switch self {
        case .argoCD: "argocd"
        case .flux: "flux"
        }
    }
}

/// An Argo CD Application and how to reach Argo CD's API server.
///
/// ```yaml
/// gitops:
///   type: argocd
///   url: https://argocd.example.com
///   application: shop-web
///   app_namespace: argocd          # optional (Applications in any namespace)
///   token: ${ARGOCD_TOKEN}         # a project role or account token
///   prune: false                   # rollback's prune
///   timeout: 10s
/// ```
public struct ArgoCDSpec: Sendable, Equatable {
    public static let defaultTimeout: Duration = .seconds(10)

    /// The API server's base URL, without a trailing slash.
    public var url: String
    public var application: String
    public var appNamespace: String?
    /// The bearer token (always a secret).
    public var token: ConfigText
    /// Where the token comes from (`ARGOCD_TOKEN`), for messages: never its value.
    public var tokenSource: String
    /// Delete resources the target revision does not have (`prune` of the rollback request).
    public var prune: Bool
    public var timeout: Duration

    public init(
        url: String, application: String, appNamespace: String? = nil, token: ConfigText, tokenSource: String,
        prune: Bool = false, timeout: Duration = ArgoCDSpec.defaultTimeout
    ) {
        self.url = url
        self.application = application
        self.appNamespace = appNamespace
        self.token = token
        self.tokenSource = tokenSource
        self.prune = prune
        self.timeout = timeout
    }

    /// Why `name` cannot be an Application name (a Kubernetes object name: lowercase letters, digits, `-`
    /// and `.`, at most 253 characters), or nil.
    public static func applicationNameProblem(_ name: String) -> String? {
        FluxSpec.objectNameProblem(name)
    }
}

/// A Flux object that reconciles the service, and the git repository it reads.
///
/// ```yaml
/// provider: { type: kubernetes, namespace: shop, deployment: web, in_cluster: true }
/// gitops:
///   type: flux
///   kind: Kustomization            # or HelmRelease
///   name: shop-web
///   namespace: flux-system
///   in_cluster: true               # the cluster keys of the kubernetes provider
///   git: { working_copy: /srv/rewind/fleet, branch: main, paths: [apps/shop/web] }
/// ```
public struct FluxSpec: Sendable, Equatable {
    /// The Flux objects Rewind suspends, with their API group and version.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case kustomization = "Kustomization"
        case helmRelease = "HelmRelease"

        /// `kustomize.toolkit.fluxcd.io/v1`, `helm.toolkit.fluxcd.io/v2`.
        public var groupVersion: String {
            switch self {
            case .kustomization: "kustomize.toolkit.fluxcd.io/v1"
            case .helmRelease: "helm.toolkit.fluxcd.io/v2"
            }
        }

        /// The API resource (`kustomizations`), as in paths and RBAC rules.
        public var resource: String { rawValue.lowercased() + "s" }

        /// The `flux` CLI's word (`flux resume kustomization …`, `flux resume helmrelease …`).
        public var cliWord: String { rawValue.lowercased() }
    }

    public var kind: Kind
    public var name: String
    public var namespace: String
    public var cluster: KubernetesClusterSpec
    public var timeout: Duration
    /// The repository Flux reads: the commits after the rollback target are reverted there. Nil: nothing is
    /// reverted, and the note on the incident says to revert by hand before resuming.
    public var git: GitProviderSpec?

    public init(
        kind: Kind, name: String, namespace: String, cluster: KubernetesClusterSpec,
        timeout: Duration = KubernetesProviderSpec.defaultTimeout, git: GitProviderSpec? = nil
    ) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.cluster = cluster
        self.timeout = timeout
        self.git = git
    }

    /// `flux resume kustomization NAME -n NAMESPACE`: how a person resumes reconciliation.
    public var resumeCommand: String { "flux resume \(kind.cliWord) \(name) -n \(namespace)" }

    /// Why `name` cannot be a Kubernetes object name (DNS subdomain), or nil.
    public static func objectNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 253 { return "is longer than 253 characters" }
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "."
        }
        guard allowed else { return "is not a Kubernetes name: use lowercase letters, digits, '-' and '.'" }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.contains(where: { $0.isEmpty || $0.hasPrefix("-") || $0.hasSuffix("-") }) {
            return "must start and end with a letter or digit"
        }
        return nil
    }
}
