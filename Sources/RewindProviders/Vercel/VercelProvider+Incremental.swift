import RewindCore
import RewindPorts
import RewindSpecs

/// Incremental listing for the deployment tracker (platform-apis.md §1.3): the cursor is the newest
/// `createdAt` (ms) seen, sent back as `since=<ms>` ("only deployments created after this"); the pages of a
/// listing still follow `until=<pagination.next>`. A poll with nothing new answers an empty page.
///
/// Vercel has no conditional request (no ETag is documented), and the project's live deployment is read
/// with `currentDeployment` (a rollback moves production without creating a deployment).
extension VercelProvider: IncrementalListing {
    public func listDeployments(service: ServiceName, since cursor: ListingCursor?) async throws -> ListingPage {
        let since = cursor.flatMap { Int64($0.value) }
        let listed = try await listReady(service: service, since: since)
        let newest = listed.compactMap { $0.createdAt?.millisecondsSinceEpoch }.max()
        let next = [newest, since].compactMap { $0 }.max()
        return ListingPage(
            deployments: listed, cursor: next.map { ListingCursor(String($0)) }, incremental: since != nil)
    }

    /// The project's READY deployments of the spec's target (`GET /v6/deployments`, paged with
    /// `until=<pagination.next>`), created after `since` when given; newest first.
    func listReady(service: ServiceName, since: Int64?) async throws -> [PlatformDeployment] {
        let purpose = VercelAPI.Purpose(
            action: "list the deployments of Vercel project \(spec.project)",
            service: service,
            notFound: "Vercel does not know project \(spec.project) in \(api.scope)"
        )
        var found: [PlatformDeployment] = []
        var seen: Set<String> = []
        var until: Int64?
        for _ in 0..<Self.maxListPages {
            var query = [
                ("projectId", spec.project), ("target", spec.target), ("state", "READY"),
                ("limit", String(Self.listPageSize)),
            ]
            if let since { query.append(("since", String(since))) }
            if let until { query.append(("until", String(until))) }
            let request = try api.request("GET", ["v6", "deployments"], query: query)
            let page = try await api.fetch(VercelDeploymentPage.self, request, purpose)
            for deployment in page.deployments where deployment.isReady && deployment.target == spec.target {
                if let listed = deployment.platformDeployment, seen.insert(listed.id).inserted { found.append(listed) }
            }
            // Stop on the last page, and on a cursor that does not move back in time.
            guard let next = page.pagination?.next, until.map({ next < $0 }) ?? true else { break }
            until = next
        }
        return found.sorted {
            ($0.createdAt ?? .init(millisecondsSinceEpoch: 0)) > ($1.createdAt ?? .init(millisecondsSinceEpoch: 0))
        }
    }
}
