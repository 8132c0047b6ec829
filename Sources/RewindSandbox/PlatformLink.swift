/// Where a sandbox service learns which of its deployments is live, when a vendor emulator rather than
/// the sandbox's own platform API decides it (``SandboxWorld/link(service:to:)``).
///
/// The world keeps how each deployment behaves; the link says which one serves. Deployment ids are
/// shared: the emulator's deployment `fe-v1` is the world's `fe-v1`.
public struct SandboxPlatformLink: Sendable {
    /// The id of the deployment the platform serves now; nil when it serves none (or one the world does not know).
    let liveDeploymentID: @Sendable () -> String?

    public init(liveDeploymentID: @escaping @Sendable () -> String?) {
        self.liveDeploymentID = liveDeploymentID
    }

    /// Vercel: what the project's production serves. A rollback moves it when its job succeeds.
    public static func vercel(_ emulator: VercelEmulator, project: String) -> SandboxPlatformLink {
        SandboxPlatformLink { emulator.production(project: project) }
    }

    /// Railway: the service's live deployment. A rollback creates a new deployment that runs an older
    /// one's build: it stands for the deployment whose build it runs (``RailwayEmulator/Deployment/sourceID``).
    public static func railway(_ emulator: RailwayEmulator, serviceID: String) -> SandboxPlatformLink {
        SandboxPlatformLink {
            emulator.liveDeployment(serviceID: serviceID).map { $0.sourceID ?? $0.id }
        }
    }
}

/// A load balancer in front of a service (``SandboxWorld/route(service:through:)``): its stable origin
/// serves one fixed deployment (the known-good one), its new origin serves whatever the platform has live,
/// and the new origin's share of requests is what the load balancer says now.
public struct SandboxTrafficSplit: Sendable {
    /// The deployment behind the stable origin.
    public var stableDeploymentID: String
    /// The new origin's share of requests (0…1); nil when the load balancer cannot tell (all to the platform's).
    let newShare: @Sendable () -> Double?

    public init(stableDeploymentID: String, newShare: @escaping @Sendable () -> Double?) {
        self.stableDeploymentID = stableDeploymentID
        self.newShare = newShare
    }

    /// One Cloudflare pool with two origins: the new origin's share is its weight relative to the stable
    /// origin's (`new / (new + stable)`, a disabled origin counting 0), as Rewind's Cloudflare control reads it.
    public static func cloudflare(
        _ emulator: CloudflareEmulator, account: String, pool: String, stableOrigin: String, newOrigin: String,
        stableDeploymentID: String
    ) -> SandboxTrafficSplit {
        SandboxTrafficSplit(stableDeploymentID: stableDeploymentID) {
            guard let pool = emulator.pool(account: account, id: pool),
                let stable = pool.origin(named: stableOrigin), let new = pool.origin(named: newOrigin)
            else { return nil }
            let stableWeight = stable.enabled ? stable.weight : 0
            let newWeight = new.enabled ? new.weight : 0
            guard stableWeight + newWeight > 0 else { return 0 }
            return newWeight / (stableWeight + newWeight)
        }
    }
}

/// One deployment serving part of a service's requests.
public struct SandboxShare: Sendable, Equatable {
    public var deployment: SandboxDeployment
    /// 0…1; the shares of a service add up to 1.
    public var share: Double

    public init(deployment: SandboxDeployment, share: Double) {
        self.deployment = deployment
        self.share = share
    }
}

/// What a link and a split say at one moment, read before the world takes its lock (they take the
/// emulators' locks).
struct LinkReading {
    /// False: the service has no link, the world's own record decides.
    var linked = false
    var liveID: String?
    var split: (stableID: String, newShare: Double)?
}
