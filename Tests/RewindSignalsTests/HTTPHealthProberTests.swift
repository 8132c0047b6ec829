import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSignals
import RewindTestSupport
import Testing

@Suite("HTTPHealthProber")
struct HTTPHealthProberTests {
    /// Runs `body` with a prober on a fresh client and shuts the client down afterwards.
    private func withProber(
        clock: any RewindClock = SystemClock(),
        _ body: (HTTPHealthProber) async throws -> Void
    ) async throws {
        let client = HTTPHealthProber.makeHTTPClient()
        do {
            try await body(HTTPHealthProber(client: client, clock: clock))
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func policy(
        _ url: String, timeout: Duration = .seconds(5), expected: ClosedRange<Int> = 200...299
    ) -> HealthCheckPolicy {
        HealthCheckPolicy(name: "health", url: url, timeout: timeout, expectedStatuses: expected)
    }

    @Test func healthyEndpointSucceeds() async throws {
        try await withHealthServer { base in
            try await withProber { prober in
                let probe = await prober.check(policy("\(base)/ok"))
                #expect(probe.result == .success(status: 200))
                #expect(probe.latencyMs >= 0)
            }
        }
    }

    @Test(arguments: [("error", 500), ("unavailable", 503), ("secret", 403)])
    func errorStatusesFail(route: String, status: Int) async throws {
        try await withHealthServer { base in
            try await withProber { prober in
                let probe = await prober.check(policy("\(base)/\(route)"))
                #expect(probe.result == .failure(.status(status)))
            }
        }
    }

    @Test func redirectIsNotFollowed() async throws {
        try await withHealthServer { base in
            try await withProber { prober in
                let probe = await prober.check(policy("\(base)/redirect"))
                #expect(probe.result == .failure(.status(302)))
            }
        }
    }

    @Test func expectedStatusesAreTheCheckOwn() async throws {
        try await withHealthServer { base in
            try await withProber { prober in
                let anyTwoHundred = await prober.check(policy("\(base)/no-content"))
                #expect(anyTwoHundred.result == .success(status: 204))

                let onlyOK = await prober.check(policy("\(base)/no-content", expected: 200...200))
                #expect(onlyOK.result == .failure(.status(204)))

                let unavailableExpected = await prober.check(policy("\(base)/unavailable", expected: 200...503))
                #expect(unavailableExpected.result == .success(status: 503))
            }
        }
    }

    @Test func slowAnswerTimesOut() async throws {
        try await withHealthServer { base in
            try await withProber { prober in
                let probe = await prober.check(policy("\(base)/slow", timeout: .milliseconds(200)))
                // The server answers only when the test is over: a probe that ends at all ended on its deadline.
                #expect(probe.result == .failure(.timeout))
                #expect(probe.latencyMs >= 150)
            }
        }
    }

    @Test func endlessBodyIsBoundedByTheTimeout() async throws {
        try await withHealthServer { base in
            try await withProber { prober in
                // 200 arrives at once, then the body never ends: the deadline covers the body, so
                // reading stops at 64 KiB or at the timeout, whichever comes first.
                let probe = await prober.check(policy("\(base)/stream", timeout: .milliseconds(200)))
                #expect(probe.result == .failure(.timeout))
            }
        }
    }

    @Test func endlessBodyTimesOutOnTheInjectedClock() async throws {
        let clock = ManualClock()
        try await withHealthServer { base in
            try await withProber(clock: clock) { prober in
                async let probe = prober.check(policy("\(base)/stream", timeout: .seconds(120)))
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(120))
                #expect(await probe.result == .failure(.timeout))
            }
        }
    }

    @Test func largeBodyIsReadOnlyInPart() async throws {
        try await withHealthServer { base in
            try await withProber { prober in
                let probe = await prober.check(policy("\(base)/large"))
                #expect(probe.result == .success(status: 200))
            }
        }
    }

    @Test func clientIsReusedAcrossChecks() async throws {
        try await withHealthServer { base in
            try await withProber { prober in
                for _ in 0..<20 {
                    let probe = await prober.check(policy("\(base)/ok"))
                    #expect(probe.result == .success(status: 200))
                }
                let results = await withTaskGroup(of: CheckResult.self) { group in
                    for _ in 0..<20 { group.addTask { await prober.check(policy("\(base)/ok")).result } }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                #expect(results == Array(repeating: .success(status: 200), count: 20))
            }
        }
    }

    @Test func refusedConnectionFails() async throws {
        let port = try freeLoopbackPort()
        try await withProber { prober in
            let probe = await prober.check(policy("http://127.0.0.1:\(port)/health"))
            #expect(probe.result == .failure(.connection("connection refused")))
        }
    }

    @Test func reasonsNeverCarryTheURLSecrets() async throws {
        let port = try freeLoopbackPort()
        try await withProber { prober in
            let url = "http://admin:hunter2secret@127.0.0.1:\(port)/health?token=tok3nsecret"
            let probe = await prober.check(policy(url))
            #expect(!probe.result.isSuccess)
            #expect(!probe.result.summary.contains("secret"))
            #expect(!probe.result.summary.contains("127.0.0.1"))
        }
    }

    @Test func garbageAnswerIsAnInvalidResponse() async throws {
        let server = try await RawTCPServer.start(.answerGarbage)
        try await withProber { prober in
            let probe = await prober.check(policy("http://127.0.0.1:\(server.port)/health", timeout: .seconds(3)))
            #expect(probe.result == .failure(.invalidResponse("not a valid HTTP response")))
        }
        try await server.stop()
    }

    @Test(arguments: [RawTCPServer.Behaviour.closeOnAccept, .closeAfterRequest])
    func closedConnectionFails(behaviour: RawTCPServer.Behaviour) async throws {
        let server = try await RawTCPServer.start(behaviour)
        try await withProber { prober in
            let probe = await prober.check(policy("http://127.0.0.1:\(server.port)/health", timeout: .seconds(3)))
            switch probe.result {
            case .failure(.connection), .failure(.invalidResponse): break
            default: Issue.record("expected a connection or invalid-response failure, got \(probe.result)")
            }
        }
        try await server.stop()
    }

    /// Found by fuzzing (Fuzz/findings/ahc-status-below-100): AsyncHTTPClient 1.37.0 takes a final status under
    /// 100 for an informational one and traps when the answer ends (`HTTPRequestStateMachine`: "How can we
    /// receive a response end, if we haven't a received a head"). A watched service that answers
    /// `HTTP/1.1 000` must fail its check, not kill the daemon. A known issue until AsyncHTTPClient is fixed
    /// upstream: the day a fixed version arrives, the known issue is no longer recorded and this test fails,
    /// saying to remove `withKnownIssue` and the finding's `open` marker.
    @Test func statusBelow100IsAFailedCheckNotACrash() async {
        await withKnownIssue(
            "AsyncHTTPClient 1.37.0 traps on a final status under 100 (Fuzz/findings/ahc-status-below-100)"
        ) {
            await statusBelow100Check()
        }
    }

    private func statusBelow100Check() async {
        await #expect(processExitsWith: .success) {
            let server = try await RawTCPServer.start(.answer("HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n"))
            let client = HTTPHealthProber.makeHTTPClient()
            let prober = HTTPHealthProber(client: client, clock: SystemClock())
            let probe = await prober.check(
                HealthCheckPolicy(
                    name: "health", url: "http://127.0.0.1:\(server.port)/health", timeout: .seconds(3),
                    expectedStatuses: 200...299))
            try await client.shutdown()
            try await server.stop()
            if probe.result.isSuccess { exit(1) }
        }
    }

    @Test func unsupportedSchemeFailsWithoutARequest() async throws {
        try await withProber { prober in
            let probe = await prober.check(policy("ftp://127.0.0.1/health"))
            #expect(probe.result == .failure(.connection("unsupported URL scheme")))
            let garbled = await prober.check(policy("not a url at all"))
            #expect(!garbled.result.isSuccess)
        }
    }
}
