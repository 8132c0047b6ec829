import RewindApp
import RewindCore
import Testing

@testable import RewindEngine

/// `rewind status` as text: what a person reads on a terminal.
@Suite("rewind status: text")
struct StatusRenderingTests {
    @Test("a signal warned about early shows the warning under its line, with its time and summary")
    func earlyWarningIsShown() {
        let now = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)
        let worker = ServiceName("worker")
        let live = Deployment(
            service: worker, id: "worker-v2", version: "v2", deployedAt: now - .seconds(60), trust: .suspect)
        let warning = EarlyWarning(
            service: worker, signal: "latency_p95", trigger: .performance, deploymentID: "worker-v2",
            at: now - .seconds(10), value: 0.5, z: 40.5,
            baseline: RobustBaseline([0.195, 0.2, 0.205], origin: .pastWeeks, minSamples: 3)!, unit: .seconds)
        var signal = SignalStatus(
            service: worker, signal: "latency_p95", category: .performance, lastValue: "500 ms", lastAt: now,
            threshold: "> 1 s", baseline: nil, violations: 0, firing: false, inconclusive: nil)
        let quiet = Rendering.status(Self.report(live: live, signal: signal, now: now))
        #expect(!quiet.contains("EARLY WARNING"))

        signal.earlyWarning = warning
        let text = Rendering.status(Self.report(live: live, signal: signal, now: now))
        let lines = text.split(separator: "\n").map(String.init)
        let index = try? #require(lines.firstIndex { $0.hasPrefix("  latency_p95 (performance, > 1 s): ok") })
        #expect(
            index.map { lines[$0 + 1] }
                == "    EARLY WARNING at \(now - .seconds(10)): \(warning.summary)")
        #expect(warning.summary.contains("worker/latency_p95 500 ms is 40.5 robust z above its usual 200 ms"))
    }

    static func report(live: Deployment, signal: SignalStatus, now: Timestamp) -> StatusReport {
        StatusReport(
            mode: .enforce, daemon: true,
            services: [.init(service: live.service, live: live, knownGood: nil, checks: [], signals: [signal])],
            openIncidents: [], freeze: nil, automationPauses: [], channels: [], generatedAt: now)
    }
}
