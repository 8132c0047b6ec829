import RewindCore

// MARK: - Comparing deployments (`rewind diff`)

/// A platform that can say what differs between two deployments of a service — the guide's
/// troubleshooting "compare environment variables" and "check what changed". Optional: a provider
/// adopts it when its API can tell (Vercel, Railway, Kubernetes); `rewind diff` falls back to what
/// Rewind recorded (versions and commits) for the others.
///
/// Contract:
/// - Read-only: nothing changes on the platform.
/// - Variable *values* never leave the call: they are compared and dropped; only names are
///   returned (``VariableDifference``).
/// - What the platform cannot tell is said in ``DeploymentComparison/notes``, never guessed.
/// - Errors, deadlines and redaction are those of ``PlatformProvider``.
public protocol DeploymentComparing: Sendable {
    /// - Parameters:
    ///   - from: usually the live deployment.
    ///   - to: usually the target a rollback would choose.
    func compare(service: ServiceName, from: Deployment, to: Deployment) async throws -> DeploymentComparison
}

/// One deployment as the platform describes it.
public struct DeploymentFacts: Sendable, Equatable, Codable {
    public var id: String
    public var version: String?
    /// The git commit it was built from, when the platform knows it.
    public var commit: String?
    /// What runs: container images (`name=image` for a pod template with several containers).
    public var images: [String]
    public var createdAt: Timestamp?

    public init(
        id: String, version: String? = nil, commit: String? = nil, images: [String] = [], createdAt: Timestamp? = nil
    ) {
        self.id = id
        self.version = version
        self.commit = commit
        self.images = images
        self.createdAt = createdAt
    }
}

/// The names of the variables that differ between two deployments. Built from two name → value
/// maps whose values are compared and dropped: no value is ever kept.
public struct VariableDifference: Sendable, Equatable, Codable {
    /// Set in `to`, not in `from`.
    public var added: [String]
    /// Set in `from`, not in `to`.
    public var removed: [String]
    /// Set in both, to different values.
    public var changed: [String]
    /// How many variables were the same.
    public var unchanged: Int

    public init(added: [String], removed: [String], changed: [String], unchanged: Int) {
        self.added = added
        self.removed = removed
        self.changed = changed
        self.unchanged = unchanged
    }

    /// Compares `from` with `to`; every list is sorted.
    public init(from: [String: String], to: [String: String]) {
        added = to.keys.filter { from[$0] == nil }.sorted()
        removed = from.keys.filter { to[$0] == nil }.sorted()
        changed = from.keys.filter { name in to[name].map { $0 != from[name] } ?? false }.sorted()
        unchanged = from.keys.filter { to[$0] != nil && to[$0] == from[$0] }.count
    }

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
}

/// What a platform could tell about the difference between two deployments.
public struct DeploymentComparison: Sendable, Equatable, Codable {
    /// The provider's `type` (`vercel`, `railway`, `kubernetes`).
    public var platform: String
    public var from: DeploymentFacts
    public var to: DeploymentFacts
    /// Nil when the platform cannot tell which variables each deployment had (see `notes`).
    public var variables: VariableDifference?
    /// What the comparison is based on, and what the platform could not tell.
    public var notes: [String]

    public init(
        platform: String, from: DeploymentFacts, to: DeploymentFacts, variables: VariableDifference? = nil,
        notes: [String] = []
    ) {
        self.platform = platform
        self.from = from
        self.to = to
        self.variables = variables
        self.notes = notes
    }

}
