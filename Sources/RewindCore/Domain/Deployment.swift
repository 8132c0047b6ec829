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
    /// Rewind recorded it as the service's live deployment at some time (a deploy reported to the
    /// API or the CLI, the live deployment a platform listing named). Set by whoever records it live;
    /// recording again never clears it.
    public var wasLive: Bool
    /// Learnt from the platform's own listing, so `version` is what the platform says (for Kubernetes,
    /// the container image), not free text someone reported. Recording again never clears it.
    public var listed: Bool

    public init(
        service: ServiceName, id: String, version: String, deployedAt: Timestamp, trust: DeploymentTrust = .suspect,
        commit: String? = nil, author: String? = nil, knownGoodAt: Timestamp? = nil, wasLive: Bool = false,
        listed: Bool = false
    ) {
        self.service = service
        self.id = id
        self.version = version
        self.deployedAt = deployedAt
        self.trust = trust
        self.commit = commit
        self.author = author
        self.knownGoodAt = knownGoodAt
        self.wasLive = wasLive
        self.listed = listed
    }

    public var label: String { version == id ? id : "\(version) (\(id))" }

    /// Rewind has seen this deployment on its platform, not only in someone's report: it was live,
    /// the platform listed it, or it carries a verdict only a live deployment earns (known good after
    /// its bake, bad after a trigger or a rollback). Only such a deployment may be named as a manual
    /// rollback target (`rewind rollback --to`).
    public var isVouchedFor: Bool { wasLive || listed || trust != .suspect }

    private enum CodingKeys: String, CodingKey {
        case service, id, version, deployedAt, trust, commit, author, knownGoodAt, wasLive, listed
    }

    /// Decodes what older Rewinds wrote too: `wasLive` and `listed` are false when missing.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        service = try container.decode(ServiceName.self, forKey: .service)
        id = try container.decode(String.self, forKey: .id)
        version = try container.decode(String.self, forKey: .version)
        deployedAt = try container.decode(Timestamp.self, forKey: .deployedAt)
        trust = try container.decode(DeploymentTrust.self, forKey: .trust)
        commit = try container.decodeIfPresent(String.self, forKey: .commit)
        author = try container.decodeIfPresent(String.self, forKey: .author)
        knownGoodAt = try container.decodeIfPresent(Timestamp.self, forKey: .knownGoodAt)
        wasLive = try container.decodeIfPresent(Bool.self, forKey: .wasLive) ?? false
        listed = try container.decodeIfPresent(Bool.self, forKey: .listed) ?? false
    }
}
