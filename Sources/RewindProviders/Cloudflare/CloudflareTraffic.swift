import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// The guide's "Load Balancer (Cloudflare)": moves a service's traffic between its stable and its new version
/// with Cloudflare Load Balancing, and purges the zone's cache afterwards.
///
/// - One pool, two origins (`Routing.origins`): the new version's share is its origin's weight relative to
///   the stable origin's (`new / (new + stable)`, a disabled origin counting 0). Setting share `s` sends the
///   whole `origins` array back (Cloudflare replaces the array) with `new = s` and `stable = 1 - s`, rounded
///   to Cloudflare's 0.01 steps: share 0 is the guide's `stable_version_weight: 1.0, new_version_weight: 0.0`.
///   Other origins and fields are sent back unchanged; no origin is enabled or disabled, so Cloudflare's
///   monitors keep routing to healthy origins only.
/// - Two pools (`Routing.pools`): blue/green. The new version has all the traffic while its pool is enabled,
///   none once it is disabled (the load balancer fails over to the stable pool). Partial shares are
///   `.unsupported`.
///
/// Safety: traffic is never moved onto a stable origin or pool that is disabled or that Cloudflare reports
/// unhealthy: that is a `.rejected` error saying so. Setting the share the pool already has sends nothing.
/// Errors follow ``ProviderError``: 429 (with `retry-after` or the `Ratelimit` header's `t=`), 5xx, timeouts
/// and connection failures are transient; 401/403 name the token's variable and the permission to grant.
public struct CloudflareTraffic: TrafficController, CachePurging, AccessCheckable {
    /// The account-level permission pools need (reading and writing).
    public static let poolsPermission = "Load Balancing: Monitors and Pools Write"
    /// The zone-level permission purging needs.
    public static let purgePermission = "Cache Purge"
    /// URLs per purge request: the smallest per-request limit of Cloudflare's plans.
    static let urlsPerPurge = 30

    let spec: CloudflareTrafficSpec
    let transport: VendorTransport

    public init(spec: CloudflareTrafficSpec, client: HTTPClient, redactor: Redactor) {
        self.spec = spec
        transport = VendorTransport(
            vendor: "Cloudflare", client: client, timeout: spec.timeout,
            redactor: Redactor(secrets: redactor.secrets + [spec.token.value])
        )
    }

    /// The controller a service's `traffic: {type: cloudflare, …}` describes.
    public static func make(_ spec: CloudflareTrafficSpec, client: HTTPClient, redactor: Redactor) -> CloudflareTraffic
    {
        CloudflareTraffic(spec: spec, client: client, redactor: redactor)
    }

    public var kind: String { "cloudflare" }

    /// True when the configuration names something to purge (`purge:`).
    public var purgesCache: Bool { spec.purge != nil && spec.zoneID != nil }

    // MARK: - TrafficController

    public func newVersionShare(service: ServiceName) async throws -> Double {
        switch spec.routing {
        case .origins(let poolID, let stableName, let newName):
            let pool = try await readPool(poolID, purpose: "read the traffic split of \(service) in pool \(poolID)")
            let (stable, new) = try originPair(pool, stable: stableName, new: newName, service: service)
            return Self.share(stable: stable, new: new)
        case .pools(_, let newID):
            let pool = try await readPool(newID, purpose: "read whether \(service)'s new pool \(newID) is enabled")
            return pool.enabled ? 1 : 0
        }
    }

    public func setNewVersionShare(_ share: Double, service: ServiceName) async throws {
        guard share.isFinite, (0...1).contains(share) else {
            throw ProviderError(.rejected, "cannot give \(service)'s new version \(share) of the traffic: use 0…1")
        }
        switch spec.routing {
        case .origins(let poolID, let stableName, let newName):
            try await setOriginWeights(
                percent: Int((share * 100).rounded()), poolID: poolID, stableName: stableName, newName: newName,
                service: service
            )
        case .pools(let stableID, let newID):
            try await switchPools(share: share, stableID: stableID, newID: newID, service: service)
        }
    }

    // MARK: - Cache purge (3.3)

    /// Purges what `purge:` names in the zone: everything, or the listed URLs (30 per request).
    /// Throws `.unsupported` when the configuration has no `purge:`.
    public func purgeCache(service: ServiceName) async throws {
        guard let purge = spec.purge, let zoneID = spec.zoneID else {
            throw ProviderError(.unsupported, "no cache purge is configured for \(service): add purge: and zone_id:")
        }
        let bodies: [JSONValue] =
            switch purge {
            case .everything: [.object(["purge_everything": .bool(true)])]
            case .urls(let urls):
                stride(from: 0, to: urls.count, by: Self.urlsPerPurge).map { start in
                    let files = urls[start..<min(start + Self.urlsPerPurge, urls.count)].map(JSONValue.string)
                    return .object(["files": .array(files)])
                }
            }
        let hints = VendorRefusalHints(
            unauthorized: "\(spec.tokenSource) holds a valid, unexpired Cloudflare API token",
            forbidden: "\(spec.tokenSource) has the \(Self.purgePermission) permission on zone \(zoneID)",
            notFound: "zone \(zoneID) does not exist or the token cannot see it; check zone_id"
        )
        for body in bodies {
            _ = try await call(
                .POST, "/zones/\(VendorRequest.segment(zoneID))/purge_cache", body: body,
                purpose: "purge the Cloudflare cache of zone \(zoneID) for \(service)", hints: hints
            )
        }
    }

    // MARK: - Origins in one pool

    private func setOriginWeights(
        percent: Int, poolID: String, stableName: String, newName: String, service: ServiceName
    ) async throws {
        let purpose = "give \(service)'s new version \(percent)% of the traffic in pool \(poolID)"
        let pool = try await readPool(poolID, purpose: purpose)
        let (stable, new) = try originPair(pool, stable: stableName, new: newName, service: service)
        let target = Double(percent) / 100
        if abs(Self.share(stable: stable, new: new) - target) < 0.005 { return }
        if target > 0, !new.enabled {
            throw ProviderError(
                .rejected,
                "could not \(purpose): the new origin '\(newName)' of pool \(pool.name) is disabled in Cloudflare; "
                    + "enable it there first if it should receive traffic"
            )
        }
        if target < 1, !stable.enabled {
            throw ProviderError(
                .rejected,
                "could not \(purpose): the stable origin '\(stableName)' of pool \(pool.name) is disabled in "
                    + "Cloudflare\(stable.disabledAt.map { " since \($0)" } ?? ""), so it cannot take the traffic; "
                    + "enable it (or fix its health) in Cloudflare, then retry"
            )
        }
        let weights = [newName: target, stableName: Double(100 - percent) / 100]
        _ = try await call(
            .PATCH, poolPath(poolID), body: .object(["origins": .array(pool.origins(settingWeights: weights))]),
            purpose: purpose, hints: poolHints(poolID)
        )
    }

    private func originPair(
        _ pool: CloudflarePool, stable: String, new: String, service: ServiceName
    ) throws
        -> (stable: CloudflarePool.Origin, new: CloudflarePool.Origin)
    {
        let known = pool.originNames.isEmpty ? "none" : pool.originNames.joined(separator: ", ")
        guard let stableOrigin = pool.origin(named: stable) else {
            throw ProviderError(
                .notFound,
                "pool \(pool.name) of \(service) has no origin named '\(stable)' (origins: \(known)); fix stable_origin"
            )
        }
        guard let newOrigin = pool.origin(named: new) else {
            throw ProviderError(
                .notFound,
                "pool \(pool.name) of \(service) has no origin named '\(new)' (origins: \(known)); fix new_origin"
            )
        }
        return (stableOrigin, newOrigin)
    }

    static func share(stable: CloudflarePool.Origin, new: CloudflarePool.Origin) -> Double {
        let total = stable.effectiveWeight + new.effectiveWeight
        return total > 0 ? new.effectiveWeight / total : 0
    }

    // MARK: - Two pools

    private func switchPools(share: Double, stableID: String, newID: String, service: ServiceName) async throws {
        guard share == 0 || share == 1 else {
            throw ProviderError(
                .unsupported,
                "cannot give \(service)'s new version \(Int((share * 100).rounded()))% of the traffic: with "
                    + "stable_pool and new_pool Rewind switches whole pools (0% or 100%); put both versions in one "
                    + "pool as origins for partial shares"
            )
        }
        let enable = share == 1
        let purpose = "\(enable ? "enable" : "disable") \(service)'s new pool \(newID)"
        let newPool = try await readPool(newID, purpose: purpose)
        if newPool.enabled == enable { return }
        if !enable {
            let stablePool = try await readPool(stableID, purpose: purpose)
            if !stablePool.enabled || stablePool.healthy == false {
                let state = stablePool.enabled ? "unhealthy according to its monitor" : "disabled"
                throw ProviderError(
                    .rejected,
                    "could not \(purpose): the stable pool \(stablePool.name) is \(state), so it cannot take the "
                        + "traffic; fix it in Cloudflare, then retry"
                )
            }
        }
        _ = try await call(
            .PATCH, poolPath(newID), body: .object(["enabled": .bool(enable)]), purpose: purpose,
            hints: poolHints(newID)
        )
    }

    // MARK: - Calls

    func readPool(_ id: String, purpose: String) async throws -> CloudflarePool {
        let result = try await call(.GET, poolPath(id), body: nil, purpose: purpose, hints: poolHints(id))
        guard let pool = CloudflarePool(id: id, result: result) else {
            throw ProviderError(.badResponse, "could not \(purpose): Cloudflare's answer holds no pool with origins")
        }
        return pool
    }

    func poolPath(_ id: String) -> String {
        "/accounts/\(VendorRequest.segment(spec.accountID))/load_balancers/pools/\(VendorRequest.segment(id))"
    }

    func poolHints(_ id: String) -> VendorRefusalHints {
        VendorRefusalHints(
            unauthorized: "\(spec.tokenSource) holds a valid, unexpired Cloudflare API token",
            forbidden: "\(spec.tokenSource) has \(Self.poolsPermission) on account \(spec.accountID)",
            notFound: "pool \(id) does not exist in account \(spec.accountID); check the pool id and account_id"
        )
    }

    /// Sends one call and returns the envelope's `result`. Non-2xx answers and `success: false` throw.
    func call(
        _ method: HTTPMethod, _ path: String, body: JSONValue?, purpose: String, hints: VendorRefusalHints
    )
        async throws -> JSONValue
    {
        var headers = [(name: "Authorization", value: "Bearer \(spec.token.value)")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let request = VendorRequest(method, spec.apiURL + path, headers: headers, body: body.map(VendorRequest.encode))
        let answer = try await transport.send(request, purpose: purpose)
        let envelope = CloudflareEnvelope(answer.json())
        guard answer.isSuccess else {
            throw transport.refusal(
                answer, request: request, purpose: purpose, said: envelope?.said, hints: hints,
                retryAfter: Self.retryAfter(answer)
            )
        }
        guard let envelope else {
            throw transport.unreadable(
                answer, request: request, purpose: purpose, expected: "Cloudflare's JSON envelope")
        }
        guard envelope.success != false else {
            let said = envelope.said.map { " (\(VendorTransport.short($0)))" } ?? ""
            throw transport.error(
                .rejected, "Cloudflare answered success: false\(said)", request: request, purpose: purpose)
        }
        return envelope.result ?? .null
    }

    /// `retry-after` (seconds or an HTTP date), else the `t=` (seconds to reset) of the `Ratelimit` header.
    static func retryAfter(_ answer: VendorAnswer) -> Duration? {
        if let retryAfter = RetryAfter.parse(answer.header("retry-after")) { return retryAfter }
        guard let rateLimit = answer.header("ratelimit") else { return nil }
        for parameter in rateLimit.split(separator: ";") {
            let pair = parameter.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix("t="), let seconds = RetryAfter.seconds(pair.dropFirst(2)) { return seconds }
        }
        return nil
    }
}
