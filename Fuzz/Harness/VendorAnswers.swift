import Foundation
import RewindCore
import RewindPorts

@testable import RewindProviders

/// The transport the JSON-API vendors (Cloudflare, LaunchDarkly, Unleash) share, for wording refusals.
func vendorTransport(_ vendor: String) -> VendorTransport {
    VendorTransport(
        vendor: vendor, client: fuzzHTTPClient, timeout: .seconds(10), redactor: Redactor(secrets: [vendorToken]))
}

extension FuzzAnswer {
    var vendorAnswer: VendorAnswer { VendorAnswer(status: status, headers: headers, body: body) }
}

let refusalHints = VendorRefusalHints(
    unauthorized: "FUZZ_TOKEN holds a valid token", forbidden: "FUZZ_TOKEN may do this", notFound: "it does not exist")
