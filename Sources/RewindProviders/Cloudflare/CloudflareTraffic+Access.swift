import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// `rewind providers check` for Cloudflare: read-only calls only.
extension CloudflareTraffic {
    /// Verifies the token (`GET /user/tokens/verify`, then the account-token endpoint), then reads each pool
    /// and checks that the configured origins exist. Writing weights needs ``poolsPermission`` and purging
    /// ``purgePermission``; a read-only check cannot prove those, and the details say so.
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        var checks = [await checkToken()]
        switch spec.routing {
        case .origins(let pool, let stable, let new):
            checks.append(await checkPool(pool, origins: [stable, new], service: service))
        case .pools(let stable, let new):
            checks.append(await checkPool(stable, origins: [], service: service))
            checks.append(await checkPool(new, origins: [], service: service))
        }
        return checks
    }

    private func checkToken() async -> AccessCheck {
        let name = "authentication"
        let hints = VendorRefusalHints(
            unauthorized: "\(spec.tokenSource) holds a valid, unexpired Cloudflare API token",
            forbidden: "\(spec.tokenSource) holds a valid Cloudflare API token",
            notFound: "this is not a token Cloudflare knows"
        )
        let accountPath = "/accounts/\(VendorRequest.segment(spec.accountID))/tokens/verify"
        var firstError: ProviderError?
        for path in ["/user/tokens/verify", accountPath] {
            do {
                let result = try await call(.GET, path, body: nil, purpose: "verify the API token", hints: hints)
                let status = result.value(at: "status")?.stringValue ?? "active"
                guard status == "active" else {
                    return AccessCheck(
                        name: name, passed: false,
                        detail: "the token in \(spec.tokenSource) is \(status); create a new API token and set "
                            + "\(spec.tokenSource) to it"
                    )
                }
                return AccessCheck(
                    name: name, passed: true, detail: "Cloudflare accepts the token in \(spec.tokenSource) (active)"
                )
            } catch let error as ProviderError {
                // A user token verifies at /user, an account token at /accounts/{id}: try both before failing.
                if firstError == nil { firstError = error }
                if error.isTransient { return AccessCheck(name: name, passed: false, detail: error.message) }
            } catch {
                return AccessCheck(name: name, passed: false, detail: "the check was interrupted")
            }
        }
        return AccessCheck(name: name, passed: false, detail: firstError?.message ?? "the token was not verified")
    }

    private func checkPool(_ id: String, origins: [String], service: ServiceName) async -> AccessCheck {
        let name = "read pool \(id) of account \(spec.accountID)"
        do {
            let pool = try await readPool(id, purpose: "read pool \(id) for \(service)")
            let missing = origins.filter { pool.origin(named: $0) == nil }
            guard missing.isEmpty else {
                let known = pool.originNames.isEmpty ? "none" : pool.originNames.joined(separator: ", ")
                return AccessCheck(
                    name: name, passed: false,
                    detail:
                        "pool \(pool.name) has no origin named \(missing.map { "'\($0)'" }.joined(separator: ", ")) "
                        + "(origins: \(known)); fix stable_origin/new_origin"
                )
            }
            let described = origins.compactMap { pool.origin(named: $0) }.map { origin in
                "\(origin.name) weight \(Self.format(origin.weight))\(origin.enabled ? "" : " (disabled)")"
            }
            let state = described.isEmpty ? (pool.enabled ? "enabled" : "disabled") : described.joined(separator: ", ")
            var detail = "pool \(pool.name): \(state). Changing it needs \(Self.poolsPermission) on the account"
            if let zone = spec.zoneID, spec.purge != nil {
                detail += ", purging needs \(Self.purgePermission) on zone \(zone)"
            }
            detail += "; a read-only check cannot prove write permissions"
            return AccessCheck(name: name, passed: true, detail: detail)
        } catch let error as ProviderError {
            return AccessCheck(name: name, passed: false, detail: error.message)
        } catch {
            return AccessCheck(name: name, passed: false, detail: "the check was interrupted")
        }
    }

    private static func format(_ weight: Double) -> String {
        weight == weight.rounded() ? String(Int(weight)) : String(weight)
    }
}
