import RewindCore

/// How Rewind reaches everything one service's rollback touches, as the service's section of
/// `rewind.yaml` describes it: its platform (`provider:`, `fallback:`), its traffic split
/// (`traffic:`), its kill-switch flags (`flags:`) and its down-migration (`migration:`).
///
/// RewindConfig builds these from YAML; the composition root builds the adapters from them. They
/// travel beside the ``Policy``, never inside it: a decision reads only what a plan needs, which
/// ``ServicePolicy/adopt(_:)`` copies into the service's policy.
public struct PlatformSpecs: Sendable, Equatable {
    /// How to learn the live deployment and roll back.
    public var provider: ProviderSpec?
    /// What to try when the provider's rollback fails for good.
    public var fallback: ProviderSpec?
    /// How Rewind moves the service's traffic between its stable and new version (gradual and canary
    /// strategies): Cloudflare weights, a flag's percentage rollout, a replica ratio.
    public var traffic: TrafficSpec?
    /// The kill switch: flags turned off whenever the service is rolled back.
    public var flags: FeatureFlagsSpec?
    /// The down-migration run with the service's rollback, before or after the application.
    public var migration: MigrationSpec?
    /// The GitOps controller that owns the service (`gitops:`): Argo CD replaces `provider:`, Flux is suspended
    /// around it.
    public var gitops: GitOpsSpec?

    public init(
        provider: ProviderSpec? = nil, fallback: ProviderSpec? = nil, traffic: TrafficSpec? = nil,
        flags: FeatureFlagsSpec? = nil, migration: MigrationSpec? = nil, gitops: GitOpsSpec? = nil
    ) {
        self.provider = provider
        self.fallback = fallback
        self.traffic = traffic
        self.flags = flags
        self.migration = migration
        self.gitops = gitops
    }
}

extension ServicePolicy {
    /// Takes from `platforms` what decisions need: whether there is a fallback and traffic control,
    /// the flags step and the migration step. The specs themselves stay outside the policy.
    public mutating func adopt(_ platforms: PlatformSpecs) {
        hasFallback = platforms.fallback != nil
        hasTrafficControl = platforms.traffic != nil
        if case .cloudflare(let cloudflare)? = platforms.traffic {
            purgesCache = cloudflare.purge != nil && cloudflare.zoneID != nil
        } else {
            purgesCache = false
        }
        flags = platforms.flags?.step
        migration = platforms.migration?.step
    }
}
