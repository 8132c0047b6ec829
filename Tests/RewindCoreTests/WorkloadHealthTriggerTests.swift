import Testing

@testable import RewindCore

/// The platform's own word on a suspect deployment as a trigger (``WorkloadHealthState``), reading by reading.
@Suite("Workload health trigger (CrashLoopBackOff, ProgressDeadlineExceeded)")
struct WorkloadHealthTriggerTests {
    static let at = Timestamp(millisecondsSinceEpoch: 1_000_000)
    static let crash = WorkloadProblem(
        object: "pod web-7d4f-0 container web", reason: "CrashLoopBackOff", restarts: 5,
        message: "back-off 5m0s restarting failed container")

    @Test("the first reading with a problem fires a critical health violation with every problem as evidence")
    func firesAtOnce() {
        var state = WorkloadHealthState(service: "web")
        #expect(state.feed(.skipped) == .none)
        #expect(state.feed(.problems([], at: Self.at)) == .none)
        let deadline = WorkloadProblem(object: "Deployment shop/web", reason: "ProgressDeadlineExceeded")
        guard case .fired(let violation) = state.feed(.problems([Self.crash, deadline], at: Self.at)) else {
            Issue.record("expected a violation")
            return
        }
        #expect(violation.trigger == .healthCritical && violation.severity == .critical)
        #expect(violation.requestedStrategy == .immediate)
        #expect(
            violation.rule == "platform: the suspect deployment's workload reports CrashLoopBackOff, "
                + "ProgressDeadlineExceeded")
        #expect(
            violation.evidence.map(\.result) == [
                "pod web-7d4f-0 container web: CrashLoopBackOff, 5 restarts: back-off 5m0s restarting failed container",
                "Deployment shop/web: ProgressDeadlineExceeded",
            ])
        #expect(violation.source == TriggerSource(.check, WorkloadHealthState.checkName))
        #expect(state.isFiring && state.runLength == 1)
    }

    @Test("while firing more problems change nothing; a clean reading recovers; an error or a skip never fires")
    func recoversAndIgnoresErrors() {
        var state = WorkloadHealthState(service: "web")
        #expect(state.feed(.unavailable("403")) == .inconclusive("403"))
        _ = state.feed(.problems([Self.crash], at: Self.at))
        #expect(state.feed(.problems([Self.crash], at: Self.at + .seconds(15))) == .none)
        #expect(state.feed(.skipped) == .none && state.isFiring)
        #expect(state.feed(.problems([], at: Self.at + .seconds(30))) == .recovered)
        #expect(!state.isFiring)
        _ = state.feed(.problems([Self.crash], at: Self.at))
        state.reset()
        #expect(!state.isFiring)
    }

    @Test("evidence is bounded: at most five problems, text cut to 300 characters on one line, restarts never negative")
    func bounded() {
        let many = (0..<9).map { WorkloadProblem(object: "pod p-\($0)", reason: "CrashLoopBackOff", restarts: -3) }
        #expect(many.allSatisfy { $0.restarts == 0 })
        let violation = WorkloadHealthState.violation(service: "web", problems: many, at: Self.at)
        #expect(violation.evidence.count == WorkloadHealthState.maxEvidence)
        let long = WorkloadProblem(
            object: "pod x", reason: "CrashLoopBackOff", message: "a\nb" + String(repeating: "c", count: 900))
        #expect(long.message?.count == 301 && long.message?.contains("\n") == false)
    }
}
