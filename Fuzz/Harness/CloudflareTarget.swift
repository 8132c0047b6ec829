import Foundation
import RewindCore

@testable import RewindPorts
@testable import RewindProviders

/// Cloudflare answers (the `{success, errors, result}` envelope, a load-balancing pool, the `retry-after` and
/// `Ratelimit` headers, refusals worded by `VendorTransport.refusal`): any answer gives a pool, an envelope
/// or a ``ProviderError``, never a trap. The traffic split read from a pool is a share in 0…1, as
/// `TrafficController.newVersionShare` promises.
enum CloudflareTarget {
    static let transport = vendorTransport("Cloudflare")
    static let request = VendorRequest(
        .GET, "https://api.cloudflare.test/client/v4/accounts/a1/load_balancers/pools/p1",
        headers: [(name: "Authorization", value: "Bearer \(vendorToken)")])

    static func run(_ bytes: [UInt8]) {
        if skippingWaits && mentionsWait(bytes) { return }
        let answer = FuzzAnswer(bytes).vendorAnswer
        let envelope = CloudflareEnvelope(answer.json())
        let retryAfter = CloudflareTraffic.retryAfter(answer)
        expectBoundedWait(retryAfter, "Cloudflare's wait")
        if !answer.isSuccess {
            let refusal = transport.refusal(
                answer, request: request, purpose: "read pool p1", said: envelope?.said, hints: refusalHints,
                retryAfter: retryAfter)
            expectSound(refusal, "Cloudflare refusal")
        }
        guard let envelope else {
            return expectSound(
                transport.unreadable(answer, request: request, purpose: "read pool p1", expected: "JSON"), "unreadable")
        }
        guard let pool = CloudflarePool(id: "p1", result: envelope.result ?? .null) else { return }
        _ = (pool.name, pool.enabled, pool.healthy)
        let names = Array(pool.originNames.prefix(4)) + ["stable", "canary"]
        for stableName in names {
            for newName in names where newName != stableName {
                guard let stable = pool.origin(named: stableName), let new = pool.origin(named: newName) else {
                    continue
                }
                let share = CloudflareTraffic.share(stable: stable, new: new)
                let documented = [stable.weight, new.weight].allSatisfy { (0...1).contains($0) }
                if skipping("cloudflare-weight-range") && !documented { continue }
                expect(
                    share.isFinite && (0...1).contains(share),
                    "a traffic share of \(share) from weights \(stable.weight), \(new.weight)")
                _ = pool.origins(settingWeights: [newName: 0.25, stableName: 0.75])
            }
        }
    }
}
