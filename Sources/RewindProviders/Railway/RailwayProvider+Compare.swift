import RewindCore
import RewindPorts
import RewindSpecs

/// `rewind diff` on Railway: each deployment as `deployment(id:)` describes it — the commit (`meta.commitHash`)
/// or the image (`meta.image`) it runs.
///
/// Variables: Railway restores a deployment's variables with a rollback, but its public API has no query for the
/// variables a past deployment ran with — only the service's variables now (`variables`, read unrendered). So:
/// - with `mode: variables` (a configuration rollback), the stable values it would set back are compared with
///   the service's variables now: the names a configuration rollback would change;
/// - otherwise the comparison says that Railway cannot tell, and how many variables the service has now.
///
/// Values are compared and dropped; only names are returned.
extension RailwayProvider: DeploymentComparing {
    public func compare(service: ServiceName, from: Deployment, to: Deployment) async throws -> DeploymentComparison {
        let purpose = RailwayAPI.Purpose(
            action: "compare \(from.label) with \(to.label)",
            service: service,
            notFound: "Railway does not know deployment \(from.id) or \(to.id)"
        )
        let current = try await RailwayVariables(spec: spec, api: api).variables(service: service)
        guard spec.mode != .variables else {
            // A configuration rollback: the deployments are another provider's (a git commit); the variables
            // are what this one knows.
            let stable = spec.variables.mapValues(\.value)
            return DeploymentComparison(
                platform: kind,
                from: Self.recorded(from),
                to: Self.recorded(to),
                variables: VariableDifference(from: current.filter { stable[$0.key] != nil }, to: stable),
                notes: [
                    "variables: the service's variables now against the stable values of mode: variables "
                        + "(what a configuration rollback sets back)"
                ])
        }
        let live = try await describe(from, purpose)
        let target = try await describe(to, purpose)
        let note =
            "variables: Railway's API does not show the variables a past deployment ran with (a rollback "
            + "restores them); the service has \(current.count) variables now (`railway variables`); "
            + "a fallback with mode: variables lists the stable values to compare with"
        return DeploymentComparison(platform: kind, from: live, to: target, notes: [note])
    }

    private static func recorded(_ deployment: Deployment) -> DeploymentFacts {
        DeploymentFacts(id: deployment.id, version: deployment.version, commit: deployment.commit)
    }

    private func describe(_ deployment: Deployment, _ purpose: RailwayAPI.Purpose) async throws -> DeploymentFacts {
        let found = try await api.perform(
            .deployment, variables: ["id": .string(deployment.id)], as: RailwayDeployment.self, purpose)
        let commit = found.meta?.value(at: "commitHash")?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let image = found.meta?.value(at: "image")?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        return DeploymentFacts(
            id: deployment.id,
            version: deployment.version,
            commit: commit ?? deployment.commit,
            images: image.map { [$0] } ?? [],
            createdAt: found.created)
    }
}
