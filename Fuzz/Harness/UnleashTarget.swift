import Foundation
import RewindCore

@testable import RewindPorts
@testable import RewindProviders

/// Unleash answers (a feature's `environments[].enabled`, the `{message, details}` error body,
/// `Retry-After`): any answer gives a state, nothing, or a ``ProviderError``, never a trap.
enum UnleashTarget {
    static let transport = vendorTransport("Unleash")
    static let request = VendorRequest(
        .GET, "https://unleash.test/api/admin/projects/default/features/checkout",
        headers: [(name: "Authorization", value: vendorToken)])

    static func run(_ bytes: [UInt8]) {
        if skippingWaits && mentionsWait(bytes) { return }
        let answer = FuzzAnswer(bytes).vendorAnswer
        if !answer.isSuccess {
            let refusal = transport.refusal(
                answer, request: request, purpose: "read flag checkout", said: UnleashSwitch.said(answer),
                hints: refusalHints, retryAfter: RetryAfter.parse(answer.header("Retry-After"), now: fuzzNow))
            expectSound(refusal, "Unleash refusal")
        }
        guard case .array(let environments)? = answer.json()?.value(at: "environments") else { return }
        for environment in environments.prefix(10) {
            _ = environment.value(at: "name")?.stringValue
            _ = FlagValue.isOn(environment.value(at: "enabled"))
        }
    }
}
