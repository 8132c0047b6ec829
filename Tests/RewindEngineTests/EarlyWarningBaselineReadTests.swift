import AsyncHTTPClient
import RewindCore
import RewindEngine
import RewindPorts
import RewindSignals
import Synchronization
import Testing

/// The early-warning baseline is read beside the signal's watcher, never in its way: a baseline that takes long
/// (weeks of Prometheus ranges, a Prometheus at its timeout) must not delay the signal's own threshold, and when
/// it comes late the detector still sees every evaluation since the deployment went live.
@Suite("Early warning: the baseline read never holds up the signal")
struct EarlyWarningBaselineReadTests {
    /// The worker's recorded latency as the engine's metric source; no request leaves the process.
    static func recordedLatency() throws -> RecordedPrometheus {
        let client = PrometheusClient(baseURL: "http://127.0.0.1:9", client: HTTPClient.shared)
        return RecordedPrometheus(client: client, points: try ReplayAgreementTests.recordedLatency())
    }

    /// A baseline around 0.2 s (median 0.2, MAD 0.005), answered only once the gate opens.
    static let usualLatency = BaselineSample(
        values: (0..<40).map { 0.2 + Double($0 % 5 - 2) * 0.005 }, origin: .pastWeeks)

    /// Runs the recorded scenario — worker v2 live at +90 s, its latency over 1 s from +170 s — opening the gate
    /// at `openAt` (never when nil); returns the start, the warnings and the violations.
    static func scenario(
        openAt: Duration?
    ) async throws -> (
        start: Timestamp, warnings: [EarlyWarning], violations: [Violation], rolledBackTo: [String]
    ) {
        let baselines = GatedBaselines(answer: usualLatency)
        let policy = ReplayAgreementTests.earlyWarningPolicy()
        var result: (Timestamp, [EarlyWarning], [Violation], [String])!
        try await Harness.with { h in
            var dependencies = h.makeDependencies(policy: policy, metricSource: try recordedLatency())
            dependencies.baselineSource = baselines
            let engine = RewindEngine(dependencies)
            let start = h.clock.now
            let v1 = Deployment(
                service: Fixture.worker, id: Fixture.id(Fixture.worker, "v1"), version: "v1",
                deployedAt: start - .seconds(7200), trust: .knownGood, knownGoodAt: start - .seconds(3600))
            try await h.sqlite.recordDeployment(v1, makeLive: true)
            h.world.deploy(v1, health: .healthy)
            try await h.run(engine, policy: policy) { run in
                await run.settle()
                try await run.advance(by: .seconds(90))
                try await run.deploy(Fixture.worker, "v2", health: .healthy)
                if let openAt {
                    try await run.advance(by: openAt - .seconds(90))
                    #expect(baselines.asked == 1)
                    baselines.open()
                }
                try await run.advance(by: .seconds(330) - (openAt ?? .seconds(90)))
            }
            baselines.open()
            let warnings = h.events.all.compactMap { event -> EarlyWarning? in
                if case .earlyWarning(let warning) = event { return warning }
                return nil
            }
            result = (start, warnings, h.events.violations, h.world.rollbackCalls.map(\.target))
        }
        return result
    }

    @Test("a baseline that never answers: the threshold still fires at +180 s and v2 is rolled back")
    func unansweredBaselineDoesNotDelayTheThreshold() async throws {
        let (start, warnings, violations, rolledBackTo) = try await Self.scenario(openAt: nil)
        #expect(violations.map(\.at) == [start + .seconds(180)])
        #expect(violations.map(\.trigger) == [.performance])
        #expect(rolledBackTo == [Fixture.id(Fixture.worker, "v1")])
        #expect(warnings.isEmpty)
    }

    @Test("a baseline that answers at +160 s: the warning still names +140 s, the evaluation that completed its run")
    func lateBaselineStillSeesEveryEvaluation() async throws {
        let (start, warnings, violations, rolledBackTo) = try await Self.scenario(openAt: .seconds(160))
        #expect(warnings.map(\.at) == [start + .seconds(140)])
        #expect(warnings.first?.deploymentID == Fixture.id(Fixture.worker, "v2"))
        #expect(violations.map(\.at) == [start + .seconds(180)])
        #expect(rolledBackTo == [Fixture.id(Fixture.worker, "v1")])
    }
}

/// Baselines that wait until ``open()`` (or until the reading task is cancelled, when the engine stops).
final class GatedBaselines: BaselineSource {
    private struct Gate {
        var open = false
        var asked = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let gate = Mutex(Gate())
    let answer: BaselineSample

    init(answer: BaselineSample) { self.answer = answer }

    /// How many reads were asked for.
    var asked: Int { gate.withLock { $0.asked } }

    func open() {
        let waiting = gate.withLock { gate in
            gate.open = true
            defer { gate.waiting = [] }
            return gate.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func baseline(of signal: MetricSignalPolicy, service: ServiceName, liveAt: Timestamp) async -> BaselineSample {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let isOpen = gate.withLock { gate in
                    gate.asked += 1
                    if !gate.open { gate.waiting.append(continuation) }
                    return gate.open
                }
                if isOpen { continuation.resume() }
            }
        } onCancel: {
            open()
        }
        return answer
    }
}
