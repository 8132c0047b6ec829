import AsyncHTTPClient
import RewindCore
import RewindPorts
import RewindSpecs

/// Builds the provider a service's configuration names.
public enum ProviderFactory {
    /// The provider that rolls the service back: its `provider:`; with `gitops: {type: argocd}` the Argo CD
    /// Application instead; with `gitops: {type: flux}` its `provider:` with the Flux object suspended around it.
    public static func makePrimary(
        _ platforms: PlatformSpecs, service: ServiceName, client: HTTPClient, redactor: Redactor
    ) -> (any PlatformProvider)? {
        switch platforms.gitops {
        case .argoCD(let argo)?:
            return ArgoCDProvider(spec: argo, client: client, redactor: redactor, service: service)
        case .flux(let flux)?:
            guard let spec = platforms.provider else { return nil }
            let inner = make(spec, service: service, client: client, redactor: redactor)
            return FluxProvider(spec: flux, wrapping: inner, client: client, redactor: redactor, service: service)
        case nil:
            return platforms.provider.map { make($0, service: service, client: client, redactor: redactor) }
        }
    }

    public static func make(
        _ spec: ProviderSpec, service: ServiceName, client: HTTPClient, redactor: Redactor
    )
        -> any PlatformProvider
    {
        switch spec {
        case .command(let command):
            CommandProvider(spec: command, redactor: redactor, service: service)
        case .http(let http):
            HTTPProvider(spec: http, client: client, redactor: redactor)
        case .git(let git):
            GitProvider(spec: git, redactor: redactor, service: service)
        case .railway(let railway):
            RailwayProvider(spec: railway, client: client, redactor: redactor)
        case .kubernetes(let kubernetes):
            KubernetesProvider(spec: kubernetes, client: client, redactor: redactor)
        case .vercel(let vercel):
            VercelProvider(spec: vercel, client: client, redactor: redactor)
        case .helm(let helm):
            HelmProvider(spec: helm, redactor: redactor, service: service)
        }
    }
}
