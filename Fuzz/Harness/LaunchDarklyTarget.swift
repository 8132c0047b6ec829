import Foundation
import RewindCore

@testable import RewindPorts
@testable import RewindProviders

/// LaunchDarkly answers (the flag's `environments.<env>.on`, the `{code, message}` error body, `Retry-After`
/// and `X-Ratelimit-Reset`): any answer gives a state, nothing, or a ``ProviderError``, never a trap; the
/// wait is bounded.
enum LaunchDarklyTarget {
    static let transport = vendorTransport("LaunchDarkly")
    static let request = VendorRequest(
        .GET, "https://app.launchdarkly.test/api/v2/flags/shop/checkout?env=production",
        headers: [(name: "Authorization", value: vendorToken)])

    static func run(_ bytes: [UInt8]) {
        if skippingWaits && mentionsWait(bytes) { return }
        let answer = FuzzAnswer(bytes).vendorAnswer
        let retryAfter = LaunchDarklySwitch.retryAfter(answer, now: fuzzNow)
        expectBoundedWait(retryAfter, "LaunchDarkly's wait")
        if !answer.isSuccess {
            let refusal = transport.refusal(
                answer, request: request, purpose: "read flag checkout", said: LaunchDarklySwitch.said(answer),
                hints: refusalHints, retryAfter: retryAfter)
            expectSound(refusal, "LaunchDarkly refusal")
        }
        guard case .object(let environments)? = answer.json()?.value(at: "environments") else { return }
        for environment in environments.values.prefix(10) { _ = FlagValue.isOn(environment.value(at: "on")) }
    }
}
