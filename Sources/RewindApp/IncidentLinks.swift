import Foundation
import RewindCore
import RewindProviders
import RewindSpecs

/// The platform pages of the deployments an incident is about — the one each rollback step left and
/// the one it went to — for `rewind incidents show` (the guide's "check platform logs").
public struct DeploymentLinks: Sendable, Equatable, Codable {
    public var service: ServiceName
    public var deployment: String
    /// `rolled back from`, `rolled back to`, or `live` for an incident without a rollback step.
    public var role: String
    /// The provider's `type`.
    public var platform: String
    public var links: [PlatformLink]

    /// Per deployment of the incident, its links on its service's primary provider; deployments whose
    /// platform has no links (commands, HTTP, git) are left out. Pure.
    public static func of(_ dossier: IncidentDossier, platforms: [ServiceName: PlatformSpecs]) -> [DeploymentLinks] {
        var seen: Set<String> = []
        var result: [DeploymentLinks] = []
        for step in dossier.incident.plan?.steps ?? [] {
            for (deployment, role) in [(step.from, "rolled back from"), (step.to, "rolled back to")] {
                guard seen.insert("\(step.service)/\(deployment.id)").inserted,
                    let entry = entry(step.service, deployment.id, role: role, platforms: platforms)
                else { continue }
                result.append(entry)
            }
        }
        return result
    }

    /// The links of one deployment of `service`, or nil when its platform has none.
    static func entry(
        _ service: ServiceName, _ id: String, role: String, platforms: [ServiceName: PlatformSpecs]
    )
        -> DeploymentLinks?
    {
        guard let spec = platforms[service]?.provider else { return nil }
        let links = PlatformLinks.links(for: spec, service: service, deploymentID: id)
        guard !links.isEmpty else { return nil }
        return DeploymentLinks(service: service, deployment: id, role: role, platform: spec.kind, links: links)
    }

    /// `backend d-new (rolled back from, railway):` and one indented line per link.
    public var text: [String] {
        ["- \(service) \(deployment) (\(role), \(platform)):"]
            + links.map { "  - \($0.kind.rawValue.replacingOccurrences(of: "_", with: " ")): \($0.text)" }
    }
}

/// `rewind incidents show --output json`: the incident's record, plus `links`.
public struct IncidentView: Encodable, Sendable {
    public var dossier: IncidentDossier
    public var links: [DeploymentLinks]

    public init(dossier: IncidentDossier, links: [DeploymentLinks]) {
        self.dossier = dossier
        self.links = links
    }

    enum CodingKeys: String, CodingKey {
        case links
    }

    public func encode(to encoder: any Encoder) throws {
        try dossier.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(links, forKey: .links)
    }
}
