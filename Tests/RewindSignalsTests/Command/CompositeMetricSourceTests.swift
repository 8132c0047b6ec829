import AsyncHTTPClient
import RewindCore
import RewindSignals
import Testing

/// The daemon's metric source, for the signals that run a command: each evaluation runs it once, redacted.
@Suite("Composite metric source: command signals")
struct CompositeMetricSourceTests {
    static func signal(_ command: [String]) throws -> MetricSignalPolicy {
        try #require(
            MetricSignalPolicy.guideDefaults(
                name: "queue", measure: .queueBacklog, source: .command(command), serviceClass: .backend))
    }

    static func source(_ signal: MetricSignalPolicy, secrets: [String] = []) -> CompositeMetricSource {
        CompositeMetricSource(
            policy: Policy(services: [ServicePolicy(name: "worker", signals: [signal])]), client: HTTPClient.shared,
            redactor: Redactor(secrets: secrets))
    }

    @Test("a command's number is the value; its failure is an error with the secret redacted")
    func commandSignals() async throws {
        let now = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)
        let counting = try Self.signal(["sh", "-c", "echo '(integer) 1234'"])
        let value = await Self.source(counting).evaluate(counting, service: "worker", at: now)
        #expect(value.outcome == .value(1234, samples: 1))
        #expect(value.signal == "queue")
        #expect(Self.source(counting).monitoringSource(of: counting) == "command sh")

        let secret = "redis-pass-77a1c9"
        let failing = try Self.signal(["sh", "-c", "echo 'NOAUTH \(secret)' >&2; exit 1"])
        let error = await Self.source(failing, secrets: [secret]).evaluate(failing, service: "worker", at: now)
        #expect(error.outcome == .error("the metric command `sh` exited with status 1: NOAUTH <redacted>"))
    }
}
