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
    /// 100 for an informational one and traps when the answer ends. A watched service that answers
    /// `HTTP/1.1 000` (with or without a body) must fail its check, saying why, not kill the daemon:
    /// ``FinalStatusGuard`` refuses the answer before the client reads it. Exit tests, so that a trap fails
    /// the test instead of the whole run.
    @Test func statusBelow100IsAFailedCheckNotACrash() async {
        await #expect(processExitsWith: .success) {
            await Self.checkFailsSayingWhy(answer: "HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n")
        }
    }

    @Test func statusBelow100WithABodyIsAFailedCheckNotACrash() async {
        await #expect(processExitsWith: .success) {
            await Self.checkFailsSayingWhy(
                answer: "HTTP/1.1 099 Low\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        }
    }

    /// Inside an exit test: exit 1 when the check passed, 2 when it failed for another reason.
    private static func checkFailsSayingWhy(answer: String) async {
        do {
            let server = try await RawTCPServer.start(.answer(answer))
            let client = HTTPHealthProber.makeHTTPClient()
            let prober = HTTPHealthProber(client: client, clock: SystemClock())
            let probe = await prober.check(
                HealthCheckPolicy(
                    name: "health", url: "http://127.0.0.1:\(server.port)/health", timeout: .seconds(3),
                    expectedStatuses: 200...299))
            try await client.shutdown()
            try await server.stop()
            if probe.result.isSuccess { exit(1) }
            if !"\(probe.result)".contains("is not an HTTP status") { exit(2) }
        } catch {
            exit(3)
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
