import AsyncHTTPClient
import RewindCore
import RewindPorts
import RewindSignals

/// The HTTP client the adapters are built with: the daemon's own (``HTTPHealthProber/makeHTTPClient()``, with its
/// guard against statuses under 100). The pure targets never send anything with it; the notify target sends to
/// its loopback server.
let fuzzHTTPClient = HTTPHealthProber.makeHTTPClient()

/// The token every vendor target configures: no error message may show it.
let vendorToken = "fuzz-secret-vendor-token-7f3a"

/// A provider error keeps its promises: a bounded wait, no token.
func expectSound(_ error: ProviderError, _ what: String, file: StaticString = #fileID, line: UInt = #line) {
    expectBoundedWait(error.retryAfter, "\(what): the wait", file: file, line: line)
    expectNoSecret(error.message, [vendorToken], what, file: file, line: line)
    _ = error.retryAfter?.rewindDescription
}
