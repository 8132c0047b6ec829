import Foundation
import RewindCore
import RewindSpecs

/// A Railway deployment's page and logs in Railway's dashboard.
///
/// The dashboard addresses a deployment as
/// `https://railway.com/project/<project>/service/<service>?environmentId=<environment>&id=<deployment>`, the
/// form Railway's own CLI prints for a service and links build logs with (`…&id=<deployment>#build`); the
/// deployment's runtime logs are the panel's `#deploy` tab. All three ids are in the configuration, so the links
/// are exact. Without a Railway service id for the service there is no link.
public enum RailwayLinks {
    public static let dashboard = "https://railway.com"

    public static func links(_ spec: RailwayProviderSpec, service: ServiceName, deploymentID: String) -> [PlatformLink]
    {
        guard let serviceID = spec.railwayServiceID(for: service) else { return [] }
        let page =
            "\(dashboard)/project/\(segment(spec.projectID))/service/\(segment(serviceID))"
            + "?environmentId=\(query(spec.environmentID))&id=\(query(deploymentID))"
        return [
            PlatformLink(.deployment, url: page),
            PlatformLink(.buildLogs, url: page + "#build"),
            PlatformLink(.logs, url: page + "#deploy"),
        ]
    }

    private static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
            ?? text
    }

    private static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }
}
