import Foundation
import RewindCore
import Synchronization

/// Encodes and decodes, once per process, a sample of every record a rollback writes, so that the
/// first real incident does not pay the Swift runtime's one-time costs on its decision path.
///
/// The first time a `Codable` type is encoded in a process, the runtime instantiates the generic
/// metadata its synthesized code uses (a keyed container per `CodingKeys`, per enum case) and
/// resolves conformances by mangled name; later encodes find them cached. Counted with callgrind on
/// the release binary (`rewind demo --scenario down`, BENCHMARKS.md §1.1): the incident's opening
/// write took 16.6 M instructions, 63 % of them in `__swift_instantiateConcreteTypeFromMangledName`
/// under `JSONEncoder`, and each first write of another record type (the step's journal, the
/// samples) paid the same — several milliseconds on the first rollback after every start.
///
/// Runs at engine start, before any watcher; the samples are built from fixed values and never stored.
enum CodableWarmUp {
    private static let done = Mutex(false)

    /// Runs the warm-up unless this process already did.
    static func runOnce() {
        let first = done.withLock { done in
            defer { done = true }
            return !done
        }
        if first { run() }
    }

    /// Encodes (sorted keys, as the stores do) and decodes each sample; returns how many came back equal,
    /// of how many (a sample that fails only means less warmth, never an error).
    @discardableResult
    static func run() -> (equal: Int, samples: Int) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let decoder = JSONDecoder()
        var equal = 0
        var samples = 0
        func roundTrip<Value: Codable & Equatable>(_ value: Value) {
            samples += 1
            guard let data = try? encoder.encode(value), let back = try? decoder.decode(Value.self, from: data)
            else { return }
            if back == value { equal += 1 }
        }
        let sample = Samples()
        roundTrip(sample.incident)
        roundTrip(sample.timeline)
        roundTrip(sample.observations)
        for state in sample.stepStates {
            roundTrip(StepRecord(incidentID: 1, stepID: "rollback-sample", state: state, at: sample.now))
        }
        roundTrip(
            OutboxEntry(
                incidentID: 1, channel: "sample", notice: sample.notice, nextAttemptAt: sample.now,
                createdAt: sample.now))
        roundTrip(
            EscalationTimer(
                incidentID: 1, audience: .oncall, policy: .immediate, dueAt: sample.now, reason: "sample"))
        return (equal, samples)
    }

    /// Fixed values shaped like a health-critical rollback's records.
    private struct Samples {
        let now = Timestamp(millisecondsSinceEpoch: 0)

        var deployment: Deployment {
            Deployment(
                service: "sample", id: "sample-2", version: "v2", deployedAt: now, trust: .suspect, commit: "abc",
                author: "sample", knownGoodAt: nil)
        }

        var incident: Incident {
            var known = deployment
            known.id = "sample-1"
            known.trust = .knownGood
            known.knownGoodAt = now
            let violation = Violation(
                service: "sample", trigger: .healthCritical, severity: .critical, at: now, rule: "sample",
                evidence: [
                    Evidence(at: now, check: "health", result: "HTTP 503", latencyMs: 1),
                    Evidence(
                        at: now, check: "latency", result: "sample", latencyMs: 0, value: 1, threshold: 0.5,
                        baseline: 0.2),
                ])
            let plan = Plan(
                strategy: .immediate,
                steps: [
                    PlanStep(
                        id: "rollback-sample", service: "sample", from: deployment, to: known, timeout: .seconds(1),
                        dependsOn: [])
                ],
                freeze: .seconds(3600))
            return Incident(
                id: 1, openedAt: now, services: ["sample"], trigger: .healthCritical, severity: .critical,
                strategy: .immediate, status: .open, summary: "sample", plan: plan, violation: violation)
        }

        var notice: Notice {
            Notice(
                kind: .initiated, incidentID: 1, services: ["sample"], trigger: .healthCritical, severity: .critical,
                timestamp: now, strategy: .immediate, actions: ["sample"], status: "sample", evidence: ["sample"])
        }

        var timeline: [TimelineEvent] {
            TimelineKind.allCases.map { TimelineEvent(incidentID: 1, at: now, kind: $0, message: "sample") }
        }

        var observations: [Observation] {
            let results: [CheckResult] = [
                .success(status: 200), .failure(.status(503)), .failure(.timeout), .failure(.connection("sample")),
                .failure(.invalidResponse("sample")),
            ]
            return results.map { Observation(service: "sample", check: "health", at: now, result: $0) }
        }

        var stepStates: [StepRecord.State] {
            let outcomes: [StepOutcome] = [
                .succeeded(viaFallback: false), .alreadyLive, .failed("sample"), .skipped("sample"),
                .improved("sample"), .noImprovement("sample"), .notNeeded("sample"), .unknown("sample"),
            ]
            return [.intent, .accepted(operationID: "sample")] + outcomes.map { .done($0) }
        }
    }
}
