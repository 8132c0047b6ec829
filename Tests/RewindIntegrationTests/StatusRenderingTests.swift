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

    @Test("with ha.shards, a service watched by another replica says which one, and where its checks show")
    func shardedServiceNamesItsWatcher() {
        let now = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)
        let worker = ServiceName("worker")
        let live = Deployment(service: worker, id: "worker-v1", version: "v1", deployedAt: now - .seconds(600))
        let assignment = ShardAssignment(count: 2, overrides: [worker: 1])
        var health = EngineHealth(instance: "replica-a")
        health.shards = [
            ShardStatus(shard: 0, holder: "replica-a", epoch: 4, mine: true),
            ShardStatus(shard: 1, holder: "replica-b", epoch: 7, mine: false),
        ]
        let report = StatusReport(
            mode: .enforce, daemon: true,
            services: [.init(service: worker, live: live, knownGood: nil, checks: [], signals: [])],
            openIncidents: [], freeze: nil, automationPauses: [], channels: [], generatedAt: now
        ).answered(by: health, assignment: assignment)
        #expect(report.services.first?.shard == 1)
        #expect(report.services.first?.watchedBy == "replica-b")
        let text = Rendering.status(report)
        #expect(text.contains("Shards (1 of 2 held and watched here):"), "\(text)")
        #expect(text.contains("  shard 1: replica-b, lease epoch 7"), "\(text)")
        #expect(
            text.contains("worker: live v1 (worker-v1) [suspect], known good none\n  watched by replica-b (shard 1)"),
            "\(text)")
        // Without shards, nothing of it.
        let single = StatusReport(
            mode: .enforce, daemon: true,
            services: [.init(service: worker, live: live, knownGood: nil, checks: [], signals: [])],
            openIncidents: [], freeze: nil, automationPauses: [], channels: [], generatedAt: now
        ).answered(by: EngineHealth(instance: "solo"))
        #expect(single.services.first?.watchedBy == nil && !Rendering.status(single).contains("watched by"))
    }

    static func report(live: Deployment, signal: SignalStatus, now: Timestamp) -> StatusReport {
        StatusReport(
            mode: .enforce, daemon: true,
            services: [.init(service: live.service, live: live, knownGood: nil, checks: [], signals: [signal])],
            openIncidents: [], freeze: nil, automationPauses: [], channels: [], generatedAt: now)
    }
}
