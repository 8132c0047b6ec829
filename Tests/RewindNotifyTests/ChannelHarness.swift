import AsyncHTTPClient
import Foundation
import Logging
import RewindCore
import RewindNotify
import RewindPorts
import RewindSandbox
import ServiceLifecycle
import Testing

/// The running notification emulators, their base URL and an HTTP client for the channels.
struct SinkHarness: Sendable {
    let sinks: NotificationSinks
    let base: String
    let client: HTTPClient
}

/// Runs the notification sinks for the duration of `body`, then shuts the client down and stops the
/// server with a graceful shutdown (never by cancelling it with a connection open).
func withSinks<T: Sendable>(_ body: @Sendable (SinkHarness) async throws -> T) async throws -> T {
    let sinks = NotificationSinks()
    let server = NotificationSinksServer(sinks: sinks)
    var logger = Logger(label: "rewind.tests.notify")
    logger.logLevel = .critical
    let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let base = await server.endpoint()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let result: Result<T, any Error>
        do {
            try #require(base.hasPrefix("http://127.0.0.1:"))
            result = .success(try await body(SinkHarness(sinks: sinks, base: base, client: client)))
        } catch {
            result = .failure(error)
        }
        try await client.shutdown()
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try result.get()
    }
}

/// A notice with every field set; two services.
func channelNotice(
    _ kind: NoticeKind,
    incident: Int64 = 7,
    services: [ServiceName] = ["backend", "worker"],
    severity: Severity = .critical,
    durationMs: Int64? = 42_000,
    error: String? = nil,
    audience: Audience? = nil
) -> Notice {
    Notice(
        kind: kind,
        incidentID: incident,
        services: services,
        trigger: .healthCritical,
        severity: severity,
        timestamp: Timestamp(millisecondsSinceEpoch: 1_790_000_000_250),
        strategy: .immediate,
        actions: ["roll back backend v42 → v41 (timeout 30s)", "freeze deployments for 1h"],
        durationMs: durationMs,
        status: "rolling back",
        verificationResults: ["backend: healthy (HTTP 200)"],
        error: error,
        evidence: ["3 consecutive failures within 2m", "2026-09-21T14:13:20.250Z GET /health HTTP 503 (12 ms)"],
        audience: audience
    )
}

/// The `ProviderError` `body` throws; fails the test when it throws something else or nothing.
func channelError(_ body: () async throws -> Void) async -> ProviderError? {
    do {
        try await body()
        Issue.record("expected a ProviderError, nothing was thrown")
        return nil
    } catch let error as ProviderError {
        return error
    } catch {
        Issue.record("expected a ProviderError, got \(error)")
        return nil
    }
}

/// A routing key of the 32 characters PagerDuty requires.
let pagerDutyRoutingKey = "0123456789abcdef0123456789abcdef"
