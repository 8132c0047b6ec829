import RewindCore
import RewindPorts

/// `rewind diff` on Vercel: each deployment as `GET /v13/deployments/{id}` describes it — the git commit and
/// branch from its `meta` (`githubCommitSha`, `gitlabCommitSha`, `bitbucketCommitSha`, `…CommitRef`).
///
/// Vercel's API keeps no record of the environment variables a deployment was built with (project variables
/// are today's values, `vercel env ls`), so the comparison says so instead of guessing; an instant rollback
/// serves the target exactly as it was built.
extension VercelProvider: DeploymentComparing {
    public func compare(service: ServiceName, from: Deployment, to: Deployment) async throws -> DeploymentComparison {
        let live = try await describe(from, service: service)
        let target = try await describe(to, service: service)
        var notes = [
            "variables: Vercel's API does not record the environment variables a deployment was built with; "
                + "compare the project's with `vercel env ls` (an instant rollback serves the target as it was built)"
        ]
        for (deployment, branch) in [(from, live.branch), (to, target.branch)] {
            if let branch { notes.append("\(deployment.id) was built from branch \(branch)") }
        }
        return DeploymentComparison(platform: kind, from: live.facts, to: target.facts, notes: notes)
    }

    private func describe(
        _ deployment: Deployment, service: ServiceName
    ) async throws
        -> (facts: DeploymentFacts, branch: String?)
    {
        let request = try api.request("GET", ["v13", "deployments", deployment.id])
        let purpose = VercelAPI.Purpose(
            action: "read deployment \(deployment.id) to compare it",
            service: service,
            notFound: "Vercel does not know deployment \(deployment.id)"
        )
        let found = try await api.fetch(VercelDeployment.self, request, purpose)
        let commit = Self.metaValue(found.meta, suffix: "CommitSha") ?? deployment.commit
        let facts = DeploymentFacts(
            id: deployment.id,
            version: deployment.version,
            commit: commit,
            createdAt: found.creationTime.map(Timestamp.init(millisecondsSinceEpoch:)))
        return (facts, Self.metaValue(found.meta, suffix: "CommitRef"))
    }

    /// `github<suffix>`, `gitlab<suffix>` or `bitbucket<suffix>` from a deployment's meta.
    static func metaValue(_ meta: [String: JSONValue]?, suffix: String) -> String? {
        ["github", "gitlab", "bitbucket"].lazy.compactMap { meta?[$0 + suffix]?.stringValue }.first { !$0.isEmpty }
    }
}
