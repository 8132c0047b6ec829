import RewindCore
import RewindPorts
import RewindSpecs

/// `rewind providers check`: read-only calls that show whether the token, the team and the project
/// are right. Rolling back itself cannot be tested without rolling back.
extension VercelProvider {
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        var checks: [AccessCheck] = []
        let authentication = await check("authentication with \(spec.tokenSource)", service: service) {
            let request = try api.request("GET", ["v2", "user"], teamScoped: false)
            let purpose = VercelAPI.Purpose(
                action: "authenticate",
                service: service,
                notFound: "Vercel does not know the token's user",
                forbidden: api.invalidTokenHint
            )
            let user = try await api.fetch(VercelUser.self, request, purpose).user
            let name = user?.username ?? user?.id ?? user?.uid ?? "unknown"
            return "Vercel accepts \(spec.tokenSource) (user \(name))"
        }
        checks.append(authentication)
        // Every further call would fail the same way.
        guard authentication.passed else { return checks }
        if let team = spec.teamID {
            checks.append(
                await check("access to team \(team)", service: service) {
                    let request = try api.request("GET", ["v2", "teams", team], teamScoped: false)
                    let purpose = VercelAPI.Purpose(
                        action: "read team \(team)",
                        service: service,
                        notFound: "Vercel does not know team \(team): check team_id (the team's id, team_…)"
                    )
                    let found = try await api.fetch(VercelTeam.self, request, purpose)
                    return "\(spec.tokenSource) can access team \(found.slug ?? found.name ?? team)"
                }
            )
        }
        checks.append(
            await check("read project \(spec.project)", service: service) {
                let project = try await readProject(service: service, action: "read project \(spec.project)")
                let serving = project.serving(spec.target)?.identifier.map { "; \(spec.target) serves \($0)" } ?? ""
                return "project \(project.name ?? spec.project) (\(project.id))\(serving)"
            }
        )
        checks.append(
            await check("list \(spec.target) deployments of project \(spec.project)", service: service) {
                let query = [("projectId", spec.project), ("target", spec.target), ("state", "READY"), ("limit", "1")]
                let request = try api.request("GET", ["v6", "deployments"], query: query)
                let purpose = VercelAPI.Purpose(
                    action: "list the deployments of project \(spec.project)",
                    service: service,
                    notFound: "Vercel does not know project \(spec.project) in \(api.scope)"
                )
                let page = try await api.fetch(VercelDeploymentPage.self, request, purpose)
                guard let newest = page.deployments.first?.identifier else {
                    return "no READY \(spec.target) deployment yet: there is nothing to roll back to"
                }
                return "newest READY \(spec.target) deployment: \(newest)"
            }
        )
        return checks
    }

    private func check(
        _ name: String,
        service: ServiceName,
        _ body: () async throws -> String
    ) async -> AccessCheck {
        do {
            return AccessCheck(name: name, passed: true, detail: try await body())
        } catch let error as ProviderError {
            return AccessCheck(name: name, failed: error)
        } catch {
            return AccessCheck(name: name, passed: false, detail: "the check was interrupted")
        }
    }
}
