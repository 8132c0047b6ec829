import RewindCore

// MARK: - Traffic control

/// Moves traffic between a service's stable version and its new (suspect or canary) version:
/// Cloudflare pool and origin weights, a feature flag's percentage rollout, a Kubernetes replica
/// ratio. The gradual strategy halves the new version's share; the canary strategy sets it to 0.
///
/// Contract:
/// - `share` is the fraction of traffic the new version receives, in 0...1.
/// - `setNewVersionShare` is idempotent: setting the share it already has changes nothing, so
///   the engine may repeat it after a restart.
/// - Errors are ``ProviderError`` (transient ones are retried by the engine).
public protocol TrafficController: Sendable {
    var kind: String { get }
    /// The new version's share of traffic, as the platform says now.
    func newVersionShare(service: ServiceName) async throws -> Double
    func setNewVersionShare(_ share: Double, service: ServiceName) async throws
}

/// A CDN cache in front of a service that can be purged (Cloudflare's `purge_cache`). Purging is
/// idempotent: a purge after a restart is simply done again.
public protocol CachePurging: Sendable {
    var kind: String { get }
    /// True when the configuration names something to purge.
    var purgesCache: Bool { get }
    func purgeCache(service: ServiceName) async throws
}

// MARK: - Feature flags

/// The guide's kill switch: turns a feature flag off (Unleash, LaunchDarkly, flagd, a generic
/// HTTP flag endpoint). `disable` is idempotent; disabling a flag that is already off succeeds.
public protocol FeatureSwitch: Sendable {
    var kind: String { get }
    func isEnabled(flag: String) async throws -> Bool
    func disable(flag: String) async throws
}

// MARK: - Database migrations

/// Runs a service's down-migration (`migration:`) as a step of its rollback. An irreversible
/// migration throws ``ProviderError`` `.unsupported` without running anything.
public protocol MigrationRollback: Sendable {
    /// What people read in a plan: "migration `./migrate`", "irreversible migration".
    var description: String { get }
    func rollBack(
        service: ServiceName, from current: Deployment?, to target: Deployment, context: ActionContext
    ) async throws -> CapturedOutput
}

// MARK: - Access checks

/// One read-only check of credentials or permissions (`rewind providers check`).
public struct AccessCheck: Sendable, Equatable, Codable {
    /// What was checked, e.g. "authentication", "read deployments of project frontend".
    public var name: String
    public var passed: Bool
    /// What the platform said, and when it failed, exactly what to fix (which token or scope).
    public var detail: String
    /// True when the platform refused the credential itself (401/403, GraphQL "Not Authorized"):
    /// another check with the same credential would be refused the same way.
    public var refusedCredential: Bool

    public init(name: String, passed: Bool, detail: String, refusedCredential: Bool = false) {
        self.name = name
        self.passed = passed
        self.detail = detail
        self.refusedCredential = refusedCredential
    }

    /// A failed check, from the error the platform answered.
    public init(name: String, failed error: ProviderError) {
        self.init(name: name, passed: false, detail: error.message, refusedCredential: error.kind == .auth)
    }
}

/// A provider that can test its credentials and permissions with read-only calls only: the
/// guide's troubleshooting steps "check authentication" and "check permissions".
/// Never throws: every failure is an ``AccessCheck`` with `passed == false`.
public protocol AccessCheckable: Sendable {
    func checkAccess(service: ServiceName) async -> [AccessCheck]
}
