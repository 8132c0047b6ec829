import RewindCore
import RewindSpecs
import Yams

/// `gitops:` on a service: the controller that owns its manifests.
///
/// ```yaml
/// gitops:                              # Argo CD: replaces provider:
///   type: argocd
///   url: https://argocd.example.com
///   application: shop-web
///   app_namespace: argocd              # optional
///   token: ${ARGOCD_TOKEN}
///   prune: false
///   timeout: 10s
///
/// provider: { type: kubernetes, … }    # Flux: provider: rolls back in the cluster while Flux is suspended
/// gitops:
///   type: flux
///   kind: Kustomization                # or HelmRelease
///   name: shop-web
///   namespace: flux-system
///   in_cluster: true                   # or kubeconfig:/context:, api_url:/token:, as for type: kubernetes
///   git: { working_copy: /srv/rewind/fleet, branch: main, paths: [apps/shop/web] }
/// ```
extension ConfigReader {
    static let gitOpsTypes = ["argocd", "flux"]
    static let argoCDKeys = ["type", "url", "application", "app_namespace", "token", "prune", "timeout"]
    static let fluxKeys = [
        "type", "kind", "name", "namespace", "git", "timeout", "kubeconfig", "context", "in_cluster", "api_url",
        "token",
        "ca_file", "insecure_skip_tls_verify",
    ]

    /// The `type:` written under `gitops:`, without reporting anything (the reader of `gitops:` does).
    static func gitOpsType(_ at: Located) -> String? {
        guard let mapping = at.node.mapping else { return nil }
        return mapping.first { $0.key.string == "type" }?.value.string
    }

    mutating func gitOps(_ at: Located) -> GitOpsSpec? {
        guard let entries = rawMapping(at) else { return nil }
        guard let typeEntry = entries.first(where: { $0.name == "type" })?.value else {
            report(at, "missing required key 'type'; use one of \(Suggestion.list(Self.gitOpsTypes))")
            return nil
        }
        guard let type = choice(typeEntry, Self.gitOpsTypes.map { ($0, $0) }) else { return nil }
        return type == "argocd" ? argoCD(at).map(GitOpsSpec.argoCD) : flux(at).map(GitOpsSpec.flux)
    }

    /// Checks `provider:` against `gitops:`: Argo CD replaces the provider, Flux needs one that acts in the cluster.
    mutating func checkProvider(_ provider: Located?, gitOps: Located?, service fields: Fields) {
        let type = gitOps.flatMap(Self.gitOpsType)
        switch (provider, type) {
        case (let provider?, "argocd"?):
            report(
                provider,
                "with gitops: {type: argocd} Rewind rolls back the Argo CD Application itself; remove provider: "
                    + "(a second way to roll back belongs in fallback:)")
        case (nil, "flux"?):
            report(
                fields.owner,
                "missing required key 'provider'; with gitops: {type: flux}, provider: rolls back in the cluster "
                    + "while Flux is suspended, e.g. provider: {type: kubernetes, …} or {type: helm, …}")
        case (let provider?, "flux"?) where Self.providerType(provider) == "git":
            report(
                provider,
                "with gitops: {type: flux}, provider: acts in the cluster while Flux is suspended (type: kubernetes "
                    + "or helm); put the repository Flux reads under gitops: git: instead")
        case (nil, nil):
            report(fields.owner, "missing required key 'provider'; say how to roll back: \(Self.providerTypeHint)")
        default:
            break
        }
    }

    private static func providerType(_ at: Located) -> String? { gitOpsType(at) }

    // MARK: - Argo CD

    private mutating func argoCD(_ at: Located) -> ArgoCDSpec? {
        guard let fields = mapping(at, allowed: Self.argoCDKeys) else { return nil }
        let problemsBefore = problems.count
        let url = require(fields, "url", hint: "Argo CD's API server, e.g. url: https://argocd.example.com")
            .flatMap { httpURL($0) }
        let application = require(fields, "application", hint: "the Application's name, e.g. application: shop-web")
            .flatMap { kubernetesName($0, what: "Application name", allowDots: true) }
        let token = require(fields, "token", hint: "an Argo CD API token, e.g. token: ${ARGOCD_TOKEN}")
            .flatMap { sourcedToken($0, variable: "ARGOCD_TOKEN") }
        let appNamespace = fields["app_namespace"].flatMap { kubernetesName($0, what: "namespace", allowDots: false) }
        let prune = fields["prune"].flatMap { bool($0) } ?? false
        let timeout = fields["timeout"].flatMap { duration($0, .timeout) } ?? ArgoCDSpec.defaultTimeout
        guard let url, let application, let token, problems.count == problemsBefore else { return nil }
        return ArgoCDSpec(
            url: Self.vendorBaseURL(url.value), application: application, appNamespace: appNamespace,
            token: token.text, tokenSource: token.source, prune: prune, timeout: timeout)
    }

    // MARK: - Flux

    private mutating func flux(_ at: Located) -> FluxSpec? {
        guard let fields = mapping(at, allowed: Self.fluxKeys) else { return nil }
        let problemsBefore = problems.count
        let kinds = FluxSpec.Kind.allCases.map { ($0.rawValue, $0) }
        let kind = require(fields, "kind", hint: "kind: Kustomization or kind: HelmRelease").flatMap {
            choice($0, kinds)
        }
        let name = require(fields, "name", hint: "the \(kind?.rawValue ?? "Flux object")'s name, e.g. name: shop-web")
            .flatMap { kubernetesName($0, what: "name", allowDots: true) }
        let namespace = require(fields, "namespace", hint: "the Flux object's namespace, e.g. namespace: flux-system")
            .flatMap { kubernetesName($0, what: "namespace", allowDots: false) }
        let cluster = kubernetesCluster(fields)
        let timeout = fields["timeout"].flatMap { duration($0, .timeout) } ?? KubernetesProviderSpec.defaultTimeout
        let git = fields["git"].flatMap { gitProvider($0) }
        guard let kind, let name, let namespace, let cluster, problems.count == problemsBefore else { return nil }
        return FluxSpec(kind: kind, name: name, namespace: namespace, cluster: cluster, timeout: timeout, git: git)
    }
}
