import AsyncHTTPClient
import RewindCore
import RewindPorts

/// Builds the provider a service's configuration names.
public enum ProviderFactory {
    public static func make(_ spec: ProviderSpec, service: ServiceName, client: HTTPClient, redactor: Redactor)
        -> any PlatformProvider
    {
        switch spec {
        case .command(let command):
            CommandProvider(spec: command, redactor: redactor, service: service)
        case .http(let http):
            HTTPProvider(spec: http, client: client, redactor: redactor)
        }
    }
}
