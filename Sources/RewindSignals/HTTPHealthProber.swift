import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import RewindCore
import RewindPorts

/// Runs the guide's HTTP health checks (`curl -f <url>` with a deadline) through one shared
/// ``HTTPClient``.
///
/// Contract (``HealthProber``):
/// - `GET check.url`; a status in `check.expectedStatuses` is `.success(status:)`, any other status
///   is `.failure(.status(code))`. Redirects are not followed: a `302` is a failure.
/// - The deadline `check.timeout` covers everything: connecting, the response head and reading the
///   body. At most ``maxBodyBytes`` of body are read and discarded, so an endpoint that streams
///   forever cannot hold the prober past its deadline.
/// - Never throws. A timeout is `.failure(.timeout)`, a refused/reset/closed connection is
///   `.failure(.connection(reason))`, a peer that does not speak HTTP is
///   `.failure(.invalidResponse(reason))`. Reasons are short fixed phrases; they never contain the
///   URL, so a token in its query string or user info cannot leak.
/// - `latencyMs` is the real elapsed time of the check (a measurement on `ContinuousClock`).
///
/// The deadline is enforced twice: by AsyncHTTPClient in real time up to the response head, and by
/// `clock` over the whole check. Pass ``SystemClock`` (the default) in production.
public struct HTTPHealthProber: HealthProber {
    /// How much of a response body a check reads before it stops listening.
    public static let maxBodyBytes = 64 * 1024

    private let client: HTTPClient
    private let clock: any RewindClock

    /// - Parameters:
    ///   - client: a long-lived client, reused by every check (see ``makeHTTPClient()``). The prober
    ///     never shuts it down.
    ///   - clock: the clock that bounds each check by its timeout.
    public init(client: HTTPClient, clock: any RewindClock = SystemClock()) {
        self.client = client
        self.clock = clock
    }

    public func check(_ check: HealthCheckPolicy) async -> ProbeResult {
        let started = ContinuousClock.now
        let result = await outcome(of: check)
        let elapsed = ContinuousClock.now - started
        return ProbeResult(result: result, latencyMs: max(0, elapsed.milliseconds))
    }

    private func outcome(of check: HealthCheckPolicy) async -> CheckResult {
        guard Self.hasHTTPScheme(check.url) else { return .failure(.connection("unsupported URL scheme")) }
        let exchange = HealthExchange(
            client: client,
            request: Self.request(for: check.url),
            deadline: .now() + .nanoseconds(check.timeout.nanoseconds),
            expectedStatuses: check.expectedStatuses
        )
        do {
            return try await withDeadline(check.timeout, clock: clock) {
                try await exchange.runRetryingStaleConnection()
            }
        } catch {
            return .failure(ProbeFailureClassifier.failure(for: error))
        }
    }

    private static func hasHTTPScheme(_ url: String) -> Bool {
        let scheme = url.prefix(while: { $0 != ":" }).lowercased()
        return scheme == "http" || scheme == "https"
    }

    private static func request(for url: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: "rewind-health-probe")
        request.headers.add(name: "Accept", value: "*/*")
        return request
    }
}

/// One health request: send, read a bounded body, judge the status.
private struct HealthExchange: Sendable {
    let client: HTTPClient
    let request: HTTPClientRequest
    let deadline: NIODeadline
    let expectedStatuses: ClosedRange<Int>

    /// A pooled keep-alive connection may be closed by the server just as the check reuses it.
    /// That is not the service failing, so such a check is tried once more on a fresh connection
    /// (within the same deadline). A second closed connection is a real failure.
    func runRetryingStaleConnection() async throws -> CheckResult {
        do {
            return try await run()
        } catch  where ProbeFailureClassifier.isClosedConnection(error) && NIODeadline.now() < deadline {
            return try await run()
        }
    }

    private func run() async throws -> CheckResult {
        let response = try await client.execute(request, deadline: deadline)
        let status = Int(response.status.code)
        let healthy = expectedStatuses.contains(status)
        do {
            try await Self.discard(response.body, upTo: HTTPHealthProber.maxBodyBytes)
        } catch  where !healthy {
            // The status already says the check failed; a broken body adds nothing.
            return .failure(.status(status))
        }
        return healthy ? .success(status: status) : .failure(.status(status))
    }

    /// Reads and drops the body until it ends or `limit` bytes were read. Stopping early releases
    /// the request (AsyncHTTPClient closes that connection instead of returning it to the pool).
    private static func discard(_ body: HTTPClientResponse.Body, upTo limit: Int) async throws {
        var read = 0
        for try await chunk in body {
            read += chunk.readableBytes
            if read >= limit { return }
        }
    }
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
