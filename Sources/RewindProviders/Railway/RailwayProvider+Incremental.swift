import RewindCore
import RewindPorts
import RewindSpecs

/// Incremental listing for the deployment tracker, and the deployments Railway's rollbacks create.
///
/// - Cursor: the connection cursor of the newest deployment seen. The next poll asks for the deployments
///   before it in the newest-first list — the newer ones — with the connection's backward arguments
///   `deployments(input:, last:, before:)` (platform-apis.md §2.2; pages follow `before: startCursor` while
///   `hasPreviousPage`). Nothing new is an empty `edges`. A cursor Railway no longer accepts (its deployment
///   was deleted) falls back to a full listing. Railway documents no ETag or conditional request.
/// - Restores (§2.4): a rollback, or a redeploy, creates a new deployment of an older one's release
///   (`meta.reason` `rollback`/`redeploy`, same `meta.commitHash`/`meta.image`). Such a deployment is listed
///   with `restores` = the newest older deployment of that release that is not itself a restore (else the
///   newest older one), so that the engine sees the rollback target, not a new suspect deployment.
extension RailwayProvider: IncrementalListing {
    public func listDeployments(service: ServiceName, since cursor: ListingCursor?) async throws -> ListingPage {
        guard let cursor else {
            let all = try await listAll(service: service)
            return ListingPage(deployments: all.deployments, cursor: all.cursor, incremental: false)
        }
        let purpose = listPurpose(service)
        let serviceID = try api.serviceID(service, purpose: purpose)
        let newer: [RailwayNewerConnection.Edge]
        do {
            newer = try await deployments(serviceID: serviceID, newerThan: cursor.value, purpose)
        } catch let error as ProviderError where error.kind == .rejected {
            // The cursor is no longer valid (its deployment was deleted): start over.
            let all = try await listAll(service: service)
            return ListingPage(deployments: all.deployments, cursor: all.cursor, incremental: false)
        }
        guard let newest = newer.first else {
            return ListingPage(deployments: [], cursor: cursor, incremental: true)
        }
        var candidates = newer.map(\.node)
        if candidates.contains(where: RailwayRestores.isRestore) {
            // A rollback among the new ones: its source is older than the cursor; one page finds it.
            let page = try await deployments(serviceID: serviceID, first: pageSize, after: nil, purpose)
            candidates += page.edges.map(\.node).filter { node in !candidates.contains { $0.id == node.id } }
        }
        let listed = newer.map { RailwayRestores.listed($0.node, among: candidates) }
        return ListingPage(
            deployments: listed, cursor: newest.cursor.map(ListingCursor.init) ?? cursor, incremental: true)
    }

    /// Every deployment that ran, newest first, following `endCursor` while `hasNextPage` (at most
    /// ``maxPages`` pages), and the cursor of the newest one.
    func listAll(service: ServiceName) async throws -> (deployments: [PlatformDeployment], cursor: ListingCursor?) {
        let purpose = listPurpose(service)
        let serviceID = try api.serviceID(service, purpose: purpose)
        var nodes: [RailwayDeployment] = []
        var newest: String?
        var cursor: String?
        for _ in 0..<Self.maxPages {
            let page = try await deployments(serviceID: serviceID, first: pageSize, after: cursor, purpose)
            if newest == nil { newest = page.edges.first?.cursor }
            for edge in page.edges where !nodes.contains(where: { $0.id == edge.node.id }) {
                nodes.append(edge.node)
            }
            guard page.pageInfo?.hasNextPage == true, let next = page.pageInfo?.endCursor, next != cursor else { break }
            cursor = next
        }
        return (nodes.map { RailwayRestores.listed($0, among: nodes) }, newest.map(ListingCursor.init))
    }

    /// The live deployment (from `serviceInstance`), with `restores` when Railway created it by a rollback.
    func live(service: ServiceName) async throws -> PlatformDeployment? {
        let purpose = RailwayAPI.Purpose(
            action: "read the live deployment",
            service: service,
            notFound: notFound(service: service)
        )
        let serviceID = try api.serviceID(service, purpose: purpose)
        guard let live = try await instance(serviceID: serviceID, purpose).live else { return nil }
        guard RailwayRestores.isRestore(live) else { return live.platformDeployment }
        let page = try await deployments(serviceID: serviceID, first: pageSize, after: nil, purpose)
        return RailwayRestores.listed(live, among: page.edges.map(\.node))
    }

    private func listPurpose(_ service: ServiceName) -> RailwayAPI.Purpose {
        RailwayAPI.Purpose(action: "list the deployments", service: service, notFound: notFound(service: service))
    }

    /// The deployments newer than `cursor`, newest first (`last`/`before`, paging towards the newest).
    private func deployments(
        serviceID: String,
        newerThan cursor: String,
        _ purpose: RailwayAPI.Purpose
    ) async throws -> [RailwayNewerConnection.Edge] {
        let input: JSONValue = .object([
            "projectId": .string(spec.projectID),
            "environmentId": .string(spec.environmentID),
            "serviceId": .string(serviceID),
            "status": .object(["in": .array(RailwayStatus.ran.map(JSONValue.string))]),
        ])
        var pages: [[RailwayNewerConnection.Edge]] = []
        var before = cursor
        for _ in 0..<Self.maxPages {
            let variables: [String: JSONValue] = [
                "input": input, "last": .number(Double(pageSize)), "before": .string(before),
            ]
            let page = try await api.perform(
                .newerDeployments, variables: variables, as: RailwayNewerConnection.self, purpose)
            pages.append(page.edges)
            guard page.pageInfo?.hasPreviousPage == true, let start = page.pageInfo?.startCursor, start != before
            else { break }
            before = start
        }
        var seen: Set<String> = []
        return pages.reversed().flatMap { $0 }.filter { seen.insert($0.node.id).inserted }
    }
}

/// Which older deployment a deployment created by a Railway rollback (or redeploy) brings back.
enum RailwayRestores {
    static let reasons: Set<String> = ["rollback", "redeploy"]

    /// Created by a rollback or a redeploy, of a known release.
    static func isRestore(_ deployment: RailwayDeployment) -> Bool {
        deployment.reason.map(reasons.contains) == true && deployment.release != nil
    }

    /// The deployment as the engine lists it, `restores` filled from `candidates` when it is a restore.
    static func listed(_ deployment: RailwayDeployment, among candidates: [RailwayDeployment]) -> PlatformDeployment {
        var listed = deployment.platformDeployment
        listed.restores = source(of: deployment, among: candidates)
        return listed
    }

    /// The newest deployment of the same release created before `deployment` that is not itself a restore;
    /// else the newest one that is; nil when `deployment` is not a restore or none is found.
    static func source(of deployment: RailwayDeployment, among candidates: [RailwayDeployment]) -> String? {
        guard isRestore(deployment), let created = deployment.created else { return nil }
        let older = candidates.filter { candidate in
            guard candidate.id != deployment.id, candidate.release == deployment.release,
                let theirs = candidate.created
            else { return false }
            return theirs < created
        }
        .sorted { ($0.created?.millisecondsSinceEpoch ?? 0) > ($1.created?.millisecondsSinceEpoch ?? 0) }
        return (older.first { !isRestore($0) } ?? older.first)?.id
    }
}

/// A `deployments` page read backwards (`last`/`before`).
struct RailwayNewerConnection: Sendable, Decodable {
    struct Edge: Sendable, Decodable {
        var cursor: String?
        var node: RailwayDeployment
    }

    struct PageInfo: Sendable, Decodable {
        var hasPreviousPage: Bool?
        var startCursor: String?
    }

    var edges: [Edge]
    var pageInfo: PageInfo?
}

extension RailwayOperation {
    /// The deployments before a cursor in the newest-first list — the newer ones (`last`/`before`).
    static let newerDeployments = RailwayOperation(
        name: "NewerDeployments",
        field: "deployments",
        query: """
            query NewerDeployments($input: DeploymentListInput!, $last: Int, $before: String) { \
            deployments(input: $input, last: $last, before: $before) { \
            edges { cursor node { id status createdAt canRollback canRedeploy serviceId meta } } \
            pageInfo { hasPreviousPage startCursor } } }
            """
    )
}
