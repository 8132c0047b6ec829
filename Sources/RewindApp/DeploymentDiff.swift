import AsyncHTTPClient
import Foundation
import RewindConfig
import RewindCore
import RewindPorts

/// `rewind diff SERVICE [--from ID] [--to ID]`: what changed between the live deployment and the one a
/// rollback would go to, as far as the platform can tell — the guide's troubleshooting "compare environment
/// variables" and "check what changed".
///
/// - `from` defaults to the live deployment (the platform's, else Rewind's record); `to` to the target a
///   rollback would choose now (``RollbackTarget/select(current:from:)``). Either may name a deployment by id or
///   version.
/// - The commit range comes from the deployments' commits (the platform's, else Rewind's record): `git log
///   TO..FROM` lists what a rollback takes out.
/// - Each provider of the service (primary, then fallback) that adopts ``DeploymentComparing`` adds what its
///   platform knows: images, the names of variables that differ (never values), and what it cannot tell. A
///   provider that fails is reported, not fatal.
///
/// Read-only everywhere: nothing is written to the platform or to Rewind's state.
public enum DeploymentDiff {
    /// One side as Rewind knows it.
    public struct Side: Sendable, Equatable, Codable {
        public var id: String
        public var version: String
        public var commit: String?
        /// `known_good`, `suspect`, `bad`; nil when Rewind has no record of it.
        public var trust: DeploymentTrust?
        /// Why this deployment: `live`, `--from`, `the target a rollback would choose: …`, `--to`.
        public var why: String
    }

    public struct Report: Sendable, Equatable, Codable {
        public var service: ServiceName
        public var from: Side
        public var to: Side
        /// `TO..FROM` when both commits are known and differ.
        public var commits: String?
        public var platforms: [DeploymentComparison]
        /// Providers that could not compare, and why.
        public var problems: [String]
    }

    public static func run(
        configPath: String, service name: String, from: String?, to: String?, client: HTTPClient
    ) async throws -> Report {
        let configuration = try Composition.loadConfiguration(configPath)
        let service = ServiceName(name)
        guard configuration.policy.service(service) != nil else {
            let known = configuration.policy.services.map(\.name.rawValue).joined(separator: ", ")
            throw AppError.usage("unknown service '\(name)'; known: \(known)")
        }
        let providers = Composition.providers(for: configuration, client: client)
        let primary = providers.primary[service]
        let fallback = providers.fallback[service]
        let (recorded, recordedLive) = try await record(of: service, in: configuration)

        let live: (Deployment, String)
        if let from {
            live = (find(from, service: service, in: recorded), "--from")
        } else if let platformLive = await platformLive(primary, service: service, recorded: recorded) {
            live = (platformLive, "live (the platform's)")
        } else if let recordedLive {
            live = (recordedLive, "live (Rewind's record)")
        } else {
            throw AppError.usage(
                "no live deployment of \(service) is known: tell Rewind with rewind deployments record \(service) ID, "
                    + "or name one with --from")
        }
        let target: (Deployment, String)
        if let to {
            target = (find(to, service: service, in: recorded), "--to")
        } else if let chosen = RollbackTarget.select(current: live.0, from: recorded) {
            target = (
                chosen, "the target a rollback would choose: the newest known-good deployment before \(live.0.label)"
            )
        } else {
            throw AppError.usage(
                "\(service) has no known-good deployment before \(live.0.label), so a rollback has no target; "
                    + "name one with --to")
        }

        var comparisons: [DeploymentComparison] = []
        var problems: [String] = []
        for provider in [primary, fallback].compactMap({ $0 }) {
            guard let comparing = provider as? any DeploymentComparing else { continue }
            do {
                comparisons.append(try await comparing.compare(service: service, from: live.0, to: target.0))
            } catch {
                problems.append("\(provider.kind): \((error as? any RewindError)?.message ?? "\(error)")")
            }
        }
        let fromCommit = comparisons.lazy.compactMap(\.from.commit).first ?? live.0.commit
        let toCommit = comparisons.lazy.compactMap(\.to.commit).first ?? target.0.commit
        var range: String?
        if let toCommit, let fromCommit, toCommit != fromCommit { range = "\(toCommit)..\(fromCommit)" }
        return Report(
            service: service,
            from: side(live.0, why: live.1, recorded: recorded, commit: fromCommit),
            to: side(target.0, why: target.1, recorded: recorded, commit: toCommit),
            commits: range,
            platforms: comparisons,
            problems: problems)
    }

    /// Rewind's record of the service: every deployment, and the live one. Empty when there is no state yet.
    static func record(
        of service: ServiceName, in configuration: RewindConfiguration
    ) async throws -> ([Deployment], Deployment?) {
        try await ExistingState.reading(configuration) { store in
            (try await store.deployments(of: service), try await store.liveDeployment(of: service))
        } ?? ([], nil)
    }

    /// The deployment the platform serves, as Rewind records it when it can (a deployment that restores a
    /// recorded one is that one). Nil when there is no provider, it cannot tell, or it fails.
    static func platformLive(
        _ provider: (any PlatformProvider)?, service: ServiceName, recorded: [Deployment]
    ) async
        -> Deployment?
    {
        guard let provider, let current = try? await provider.currentDeployment(service: service) else { return nil }
        let servedID = current.restores.flatMap { id in recorded.contains { $0.id == id } ? id : nil } ?? current.id
        return recorded.first { $0.id == servedID }
            ?? Deployment(
                service: service, id: current.id, version: current.version ?? current.id,
                deployedAt: current.createdAt ?? Timestamp(millisecondsSinceEpoch: 0))
    }

    /// A deployment named on the command line: by id, then by version; one Rewind has no record of is taken
    /// as the platform's id.
    static func find(_ name: String, service: ServiceName, in recorded: [Deployment]) -> Deployment {
        recorded.first { $0.id == name } ?? recorded.first { $0.version == name }
            ?? Deployment(service: service, id: name, version: name, deployedAt: Timestamp(millisecondsSinceEpoch: 0))
    }

    private static func side(_ deployment: Deployment, why: String, recorded: [Deployment], commit: String?) -> Side {
        let record = recorded.first { $0.id == deployment.id }
        return Side(id: deployment.id, version: deployment.version, commit: commit, trust: record?.trust, why: why)
    }
}

extension DeploymentDiff.Report {
    /// The report for a terminal.
    public var text: String {
        func describe(_ side: DeploymentDiff.Side) -> String {
            let commit = side.commit.map { ", commit \($0)" } ?? ""
            let trust = side.trust.map { ", \($0.rawValue)" } ?? ", not in Rewind's record"
            let version = side.version == side.id ? side.id : "\(side.version) (\(side.id))"
            return "\(version)\(commit)\(trust) — \(side.why)"
        }
        var lines = ["\(service): what changed between two deployments", ""]
        lines.append("from: \(describe(from))")
        lines.append("to:   \(describe(to))")
        lines.append("")
        if let commits {
            lines.append("commits: \(commits) (git log \(commits): what going from `from` to `to` takes out)")
        } else if from.commit != nil, from.commit == to.commit {
            lines.append("commits: the same commit (\(from.commit ?? ""))")
        } else {
            lines.append("commits: unknown (the platform and Rewind's record name no commit for both)")
        }
        for comparison in platforms {
            lines.append("")
            lines.append("\(comparison.platform):")
            if comparison.from.images != comparison.to.images {
                let images = { (list: [String]) in list.isEmpty ? "unknown" : list.joined(separator: ", ") }
                lines.append("  images: \(images(comparison.from.images)) → \(images(comparison.to.images))")
            } else if !comparison.from.images.isEmpty {
                lines.append("  images: the same (\(comparison.from.images.joined(separator: ", ")))")
            }
            if let variables = comparison.variables {
                if variables.isEmpty {
                    lines.append("  variables: no difference (\(variables.unchanged) compared)")
                } else {
                    lines.append("  variables (names only; values are never shown):")
                    if !variables.changed.isEmpty {
                        lines.append("    changed: \(variables.changed.joined(separator: ", "))")
                    }
                    if !variables.added.isEmpty {
                        lines.append("    only in `to`: \(variables.added.joined(separator: ", "))")
                    }
                    if !variables.removed.isEmpty {
                        lines.append("    only in `from`: \(variables.removed.joined(separator: ", "))")
                    }
                    lines.append("    the same: \(variables.unchanged)")
                }
            }
            lines += comparison.notes.map { "  note: \($0)" }
        }
        if platforms.isEmpty && problems.isEmpty {
            lines += ["", "The service's provider cannot compare deployments: only Rewind's record is shown."]
        }
        if !problems.isEmpty {
            lines += [""] + problems.map { "could not compare on \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
