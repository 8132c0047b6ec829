import AsyncHTTPClient
import RewindCore
import RewindPorts
import RewindSpecs

/// Builds the traffic controller a service's `traffic:` describes.
public enum TrafficControllerFactory {
    /// The controller for `spec`; each one is also ``AccessCheckable`` (`rewind providers check`).
    /// Throws nothing today (every controller is built from what the configuration already resolved); the
    /// signature leaves room for one that must be checked when it is built.
    public static func make(
        _ spec: TrafficSpec,
        client: HTTPClient,
        redactor: Redactor
    ) throws -> any TrafficController & AccessCheckable {
        switch spec {
        case .cloudflare(let cloudflare):
            CloudflareTraffic.make(cloudflare, client: client, redactor: redactor)
        case .kubernetes(let kubernetes):
            KubernetesTraffic.make(kubernetes, client: client, redactor: redactor)
        case .argoRollout(let rollout):
            ArgoRolloutTraffic(spec: rollout, client: client, redactor: redactor)
        case .flagRollout(let rollout):
            FlagdRollout.make(rollout)
        }
    }
}
