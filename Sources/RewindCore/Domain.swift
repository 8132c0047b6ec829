/// The name of a watched service, as written in the policy (`frontend`, `backend`, `worker`).
///
/// Not called `Service`: swift-service-lifecycle owns that word for long-running tasks.
public struct ServiceName: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (lhs: ServiceName, rhs: ServiceName) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// How far Rewind trusts a deployment.
public enum DeploymentTrust: String, Sendable, Codable, Hashable {
    /// Still inside its bake period: a rollback candidate if a trigger fires.
    case suspect
    /// Ran its whole bake period with no trigger firing: a rollback target.
    case knownGood = "known_good"
    /// A trigger fired while it was live and suspect, or Rewind rolled it back.
    case bad
}

/// One version of a service on its platform.
public struct Deployment: Hashable, Sendable, Codable {
    public var service: ServiceName
    /// The platform's identifier (Vercel deployment id, Railway deployment id, ReplicaSet revision, …).
    public var id: String
    public var version: String
    /// When it went live (or when Rewind first learnt of it).
    public var deployedAt: Timestamp
    public var trust: DeploymentTrust
    public var commit: String?
    public var author: String?
    /// When it became known good, if it did.
    public var knownGoodAt: Timestamp?

    public init(
        service: ServiceName, id: String, version: String, deployedAt: Timestamp, trust: DeploymentTrust = .suspect,
        commit: String? = nil, author: String? = nil, knownGoodAt: Timestamp? = nil
    ) {
        self.service = service
        self.id = id
        self.version = version
        self.deployedAt = deployedAt
        self.trust = trust
        self.commit = commit
        self.author = author
        self.knownGoodAt = knownGoodAt
    }

    public var label: String { version == id ? id : "\(version) (\(id))" }
}

/// What the guide calls severity. `critical` maps to PagerDuty P1 in later channels.
public enum Severity: String, Sendable, Codable, Hashable, CaseIterable, Comparable {
    case low, high, critical

    private var rank: Int {
        switch self {
        case .low: 0
        case .high: 1
        case .critical: 2
        }
    }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// The guide's rollback strategies. `gradual` and `canary` need traffic control: without it,
/// the assessment falls back to `fast` and says so in the decision.
public enum Strategy: String, Sendable, Codable, Hashable, CaseIterable {
    case immediate, fast, gradual, canary

    /// Whether this strategy moves traffic rather than (or before) rolling back.
    public var needsTrafficControl: Bool { self == .gradual || self == .canary }
}

/// Whether Rewind acts on its decisions.
public enum Mode: String, Sendable, Codable, Hashable, CaseIterable {
    /// Decide, act, verify, notify.
    case enforce
    /// Decide and record everything, act on nothing; notifications say "would roll back".
    case observe
}
