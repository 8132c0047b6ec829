import Foundation
import RewindCore
import RewindSpecs

/// Where to look at a deployment on its platform — the guide's troubleshooting "check platform logs":
/// the deployment's page and its logs, as a URL to open or, where the platform has no page Rewind can
/// name from its configuration, the platform's own command that shows it.
public struct PlatformLink: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Equatable, Codable {
        /// The deployment itself: its page, status and details.
        case deployment
        /// What the build printed.
        case buildLogs = "build_logs"
        /// What the running deployment prints.
        case logs
        /// The service's past deployments on the platform.
        case history
    }

    public var kind: Kind
    /// A page to open.
    public var url: String?
    /// A command to run (an argument vector), when there is no page to link.
    public var command: [String]?

    public init(_ kind: Kind, url: String) {
        self.kind = kind
        self.url = url
        command = nil
    }

    public init(_ kind: Kind, command: [String]) {
        self.kind = kind
        url = nil
        self.command = command
    }

    /// The URL, or the command as a shell line (arguments quoted where needed).
    public var text: String {
        url ?? (command ?? []).map(Self.shellQuoted).joined(separator: " ")
    }

    static func shellQuoted(_ argument: String) -> String {
        let safe = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:@%+,".contains($0) }
        return safe && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// The links of one deployment on the platform a provider spec describes. Pure: built from the
/// configuration and the deployment id alone, without calling the platform. Per vendor:
/// ``VercelLinks``, ``RailwayLinks``, ``KubernetesLinks``; other providers have none.
public enum PlatformLinks {
    public static func links(for spec: ProviderSpec, service: ServiceName, deploymentID: String) -> [PlatformLink] {
        switch spec {
        case .vercel(let vercel): VercelLinks.links(vercel, deploymentID: deploymentID)
        case .railway(let railway): RailwayLinks.links(railway, service: service, deploymentID: deploymentID)
        case .kubernetes(let kubernetes): KubernetesLinks.links(kubernetes, deploymentID: deploymentID)
        case .command, .http, .git, .helm: []
        }
    }
}
