import AsyncHTTPClient
import RewindCore
import RewindPorts
import RewindSpecs

/// Builds the provider a service's configuration names.
public enum ProviderFactory {
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
        }
    }
}
