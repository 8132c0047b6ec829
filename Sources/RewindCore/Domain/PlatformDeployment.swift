/// A deployment as a platform lists it.
public struct PlatformDeployment: Sendable, Equatable, Codable {
    public var id: String
    public var version: String?
    public var createdAt: Timestamp?
    /// The id of an older deployment this one restores, when the platform rolls back by creating
    /// a new deployment from an old one (Railway, a Vercel promote of a rebuilt deployment). The
    /// engine treats a live deployment that restores the rollback target as the target.
    public var restores: String?

    public init(id: String, version: String? = nil, createdAt: Timestamp? = nil, restores: String? = nil) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.restores = restores
    }

    /// True when this deployment is `deploymentID`, or restores it.
    public func serves(_ deploymentID: String) -> Bool {
        id == deploymentID || restores == deploymentID
    }
}
