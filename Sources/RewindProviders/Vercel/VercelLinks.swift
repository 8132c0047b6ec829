import RewindSpecs

/// A Vercel deployment's page and logs, as the Vercel CLI shows them.
///
/// Vercel's dashboard URL of a deployment is its `inspectorUrl`, `https://vercel.com/<team slug>/<project
/// name>/<id without dpl_>` (platform-apis.md §1.3): it needs the team's *slug* and the project's *name*, while
/// Rewind's configuration may hold ids (`team_…`, `prj_…`), and a personal account's slug is not in it at all. A
/// guessed URL that 404s helps nobody, so Rewind names the CLI commands of the guide's troubleshooting, which
/// resolve both: `vercel inspect` (status, domains, and the inspector URL), `vercel inspect --logs` (the build
/// logs), `vercel logs` (the runtime logs). `--scope` carries `team_id` when there is one.
public enum VercelLinks {
    public static func links(_ spec: VercelProviderSpec, deploymentID: String) -> [PlatformLink] {
        let scope = spec.teamID.map { ["--scope", $0] } ?? []
        return [
            PlatformLink(.deployment, command: ["vercel", "inspect", deploymentID] + scope),
            PlatformLink(.buildLogs, command: ["vercel", "inspect", deploymentID, "--logs"] + scope),
            PlatformLink(.logs, command: ["vercel", "logs", deploymentID] + scope),
        ]
    }
}
