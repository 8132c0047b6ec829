import RewindCore
import RewindPorts

// The parts of Vercel's answers Rewind reads. Every field is optional: Vercel adds and renames
// fields over time, and a missing one must not make an answer unreadable.

/// `GET /v6/deployments`: `{"deployments":[…],"pagination":{"count","next","prev"}}`, newest first.
struct VercelDeploymentPage: Decodable, Sendable {
    var deployments: [VercelDeployment]
    var pagination: VercelPagination?
}

/// `next`: repeat the request with `until=<next>` for the next (older) page; nil on the last one.
struct VercelPagination: Decodable, Sendable {
    var count: Int?
    var next: Int64?
}

/// A deployment as the list (`uid`), the single-deployment endpoint (`id`) and a project's
/// `targets.production` show it.
struct VercelDeployment: Decodable, Sendable {
    var uid: String?
    var id: String?
    var createdAt: Int64?
    var created: Int64?
    var readyState: String?
    var state: String?
    var target: String?
    var meta: [String: JSONValue]?

    var identifier: String? { uid ?? id }
    var creationTime: Int64? { createdAt ?? created }
    var isReady: Bool { (readyState ?? state)?.uppercased() == "READY" }

    /// The commit it was built from when the meta says so, else its id.
    var version: String? {
        let keys = ["githubCommitSha", "gitlabCommitSha", "bitbucketCommitSha"]
        return keys.lazy.compactMap { self.meta?[$0]?.stringValue }.first { !$0.isEmpty } ?? identifier
    }

    var platformDeployment: PlatformDeployment? {
        identifier.map {
            PlatformDeployment(
                id: $0,
                version: version,
                createdAt: creationTime.map(Timestamp.init(millisecondsSinceEpoch:))
            )
        }
    }
}

/// `GET /v9/projects/{idOrName}?rollbackInfo=true`.
struct VercelProject: Decodable, Sendable {
    var id: String
    var name: String?
    /// The deployment each environment serves (`targets.production`); an entry may be null.
    var targets: [String: VercelDeployment?]?
    var lastAliasRequest: VercelAliasJob?
    /// The older name of `lastAliasRequest` (no `type`).
    var lastRollbackTarget: VercelAliasJob?

    var aliasJob: VercelAliasJob? { lastAliasRequest ?? lastRollbackTarget }

    func serving(_ target: String) -> VercelDeployment? {
        guard let entry = targets?[target], let deployment = entry, deployment.identifier != nil else { return nil }
        return deployment
    }
}

/// The latest rollback or promote job of a project (platform-apis.md 1.5).
struct VercelAliasJob: Decodable, Sendable, Equatable {
    var fromDeploymentId: String?
    var toDeploymentId: String?
    /// `pending` | `in-progress` | `succeeded` | `failed` | `skipped`.
    var jobStatus: String?
    var requestedAt: Int64?
    /// `rollback` | `promote`; absent in the older `lastRollbackTarget`.
    var type: String?

    /// The official CLI ignores jobs requested more than 3 minutes ago: "no job in progress".
    static let freshness: Duration = .seconds(180)

    func isFresh(now: Timestamp) -> Bool {
        guard let requestedAt else { return false }
        return now.millisecondsSinceEpoch - requestedAt <= Self.freshness.milliseconds
    }

    var isRunning: Bool { jobStatus == "pending" || jobStatus == "in-progress" }
}

/// `GET /v9/projects/{id}/rollback/aliases?failedOnly=true`: the domains a failed job could not move.
struct VercelAliasPage: Decodable, Sendable {
    struct Entry: Decodable, Sendable {
        struct Alias: Decodable, Sendable {
            var alias: String?
            var deploymentId: String?
        }
        var id: String?
        var status: String?
        var alias: Alias?
    }

    var aliases: [Entry]
    var pagination: VercelPagination?
}

/// `GET /v2/user`.
struct VercelUser: Decodable, Sendable {
    struct User: Decodable, Sendable {
        var id: String?
        var uid: String?
        var username: String?
    }
    var user: User?
}

/// `GET /v2/teams/{teamId}`.
struct VercelTeam: Decodable, Sendable {
    var id: String?
    var slug: String?
    var name: String?
}
