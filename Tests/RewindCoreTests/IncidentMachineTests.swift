import RewindCore
import Testing

@Suite("IncidentMachine: tick by tick")
struct IncidentMachineTests {
    typealias S = Fixture

    static let frontend = S.step("frontend")
    static let backend = S.step("backend", after: ["frontend"])
    static let worker = S.step("worker", after: ["backend", "frontend"])
    /// frontend, then backend, then worker; deployments frozen for an hour.
    static let chain = Plan(strategy: .immediate, steps: [frontend, backend, worker], freeze: .seconds(3600))

    static func runs(_ actions: [IncidentAction]) -> [String] {
        actions.compactMap { if case .runStep(let step) = $0 { step.id } else { nil } }
    }

    @Test("start: announce, freeze (immediate), run the steps with no dependency")
    func start() {
        var machine = IncidentMachine(plan: Self.chain, mode: .enforce)
        #expect(machine.start() == [.notify(.initiated), .freezeDeployments(.seconds(3600)), .runStep(Self.frontend)])
        #expect(machine.steps["rollback-frontend"] == .running)
        #expect(machine.steps["rollback-backend"] == .pending)
        #expect(machine.outcome == nil)
    }

    @Test("start: independent steps all run at once; no freeze without one in the plan")
    func startIndependent() {
        let a = S.step("a")
        let b = S.step("b")
        var machine = IncidentMachine(plan: Plan(strategy: .fast, steps: [a, b], freeze: nil), mode: .enforce)
        #expect(machine.start() == [.notify(.initiated), .runStep(a), .runStep(b)])
    }

    @Test("a step that succeeds is verified and starts its dependents")
    func stepSuccess() {
        var machine = IncidentMachine(plan: Self.chain, mode: .enforce)
        _ = machine.start()
        #expect(
            machine.stepFinished("rollback-frontend", .succeeded(viaFallback: false)) == [
                .verify("frontend"), .runStep(Self.backend),
            ])
        #expect(machine.verifications["frontend"] == .running)
        // A target already live counts as success: still verified.
        #expect(machine.stepFinished("rollback-backend", .alreadyLive) == [.verify("backend"), .runStep(Self.worker)])
    }

    @Test("all steps and verifications pass: notify completed, finish completed")
    func completed() {
        var machine = IncidentMachine(plan: Self.chain, mode: .enforce)
        _ = machine.start()
        _ = machine.stepFinished("rollback-frontend", .succeeded(viaFallback: false))
        _ = machine.stepFinished("rollback-backend", .succeeded(viaFallback: true))
        #expect(machine.verificationFinished("frontend", passed: true) == [])
        #expect(machine.stepFinished("rollback-worker", .succeeded(viaFallback: false)) == [.verify("worker")])
        #expect(machine.verificationFinished("worker", passed: true) == [])
        #expect(machine.outcome == nil)
        #expect(machine.verificationFinished("backend", passed: true) == [.notify(.completed), .finish(.completed)])
        #expect(machine.outcome == .completed)
    }

    @Test("a step whose outcome is unknown is verified, and the incident ends failed even when the service is healthy")
    func unknownOutcome() {
        let only = S.step("backend")
        var machine = IncidentMachine(plan: Plan(strategy: .fast, steps: [only], freeze: nil), mode: .enforce)
        _ = machine.start()
        #expect(machine.stepFinished("rollback-backend", .unknown("may or may not have run")) == [.verify("backend")])
        #expect(machine.verificationFinished("backend", passed: true) == [.notify(.failed), .finish(.failed)])

        // Resumed with the unknown outcome journaled and no verification yet: the verification runs.
        var resumed = IncidentMachine(plan: Plan(strategy: .fast, steps: [only], freeze: nil), mode: .enforce)
        #expect(
            resumed.resume(finishedSteps: ["rollback-backend": .unknown("?")], verified: [:]) == [.verify("backend")])
    }

    @Test("a failed step skips its dependents and the incident ends failed")
    func failedStep() {
        var machine = IncidentMachine(plan: Self.chain, mode: .enforce)
        _ = machine.start()
        #expect(machine.stepFinished("rollback-frontend", .failed("HTTP 500")) == [.notify(.failed), .finish(.failed)])
        #expect(machine.steps["rollback-backend"] == .done(.skipped("rollback-frontend did not succeed")))
        #expect(machine.steps["rollback-worker"] == .done(.skipped("rollback-backend did not succeed")))
        #expect(machine.outcome == .failed)
        #expect(machine.verifications.isEmpty)
    }

    @Test("a failed step waits for the independent steps still running before ending failed")
    func failedStepWithIndependentOne() {
        let a = S.step("a")
        let b = S.step("b")
        let c = S.step("c", after: ["a"])
        var machine = IncidentMachine(plan: Plan(strategy: .immediate, steps: [a, b, c], freeze: nil), mode: .enforce)
        _ = machine.start()
        #expect(machine.stepFinished("rollback-a", .failed("denied")) == [])
        #expect(machine.steps["rollback-c"] == .done(.skipped("rollback-a did not succeed")))
        #expect(machine.stepFinished("rollback-b", .succeeded(viaFallback: false)) == [.verify("b")])
        #expect(machine.verificationFinished("b", passed: true) == [.notify(.failed), .finish(.failed)])
    }

    @Test("a failed verification ends the incident failed and never rolls back again")
    func failedVerification() {
        let a = S.step("a")
        var machine = IncidentMachine(plan: Plan(strategy: .fast, steps: [a], freeze: nil), mode: .enforce)
        var actions = machine.start()
        actions += machine.stepFinished("rollback-a", .succeeded(viaFallback: false))
        let last = machine.verificationFinished("a", passed: false)
        #expect(last == [.notify(.failed), .finish(.failed)])
        actions += last
        // Whatever arrives afterwards, nothing runs again.
        actions += machine.stepFinished("rollback-a", .succeeded(viaFallback: false))
        actions += machine.verificationFinished("a", passed: true)
        actions += machine.start()
        #expect(Self.runs(actions) == ["rollback-a"])
        #expect(machine.outcome == .failed)
    }

    @Test("observe mode: would roll back, finish observed, run nothing")
    func observe() {
        var machine = IncidentMachine(plan: Self.chain, mode: .observe)
        #expect(machine.start() == [.notify(.wouldRollBack), .finish(.observed)])
        #expect(machine.outcome == .observed)
        #expect(machine.stepFinished("rollback-frontend", .succeeded(viaFallback: false)) == [])
        #expect(machine.steps.values.allSatisfy { $0 == .pending })
    }

    @Test("resume: re-verifies a succeeded but unverified step and runs only the unfinished ones, without announcing")
    func resumeReverifies() {
        var machine = IncidentMachine(plan: Self.chain, mode: .enforce)
        let actions = machine.resume(
            finishedSteps: ["rollback-frontend": .succeeded(viaFallback: false)], verified: [:])
        #expect(actions == [.verify("frontend"), .runStep(Self.backend)])
        #expect(!actions.contains(.notify(.initiated)))
        #expect(machine.start() == [])
    }

    @Test("resume: a verified step is not verified again")
    func resumeVerified() {
        var machine = IncidentMachine(plan: Self.chain, mode: .enforce)
        let actions = machine.resume(
            finishedSteps: ["rollback-frontend": .succeeded(viaFallback: false), "rollback-backend": .alreadyLive],
            verified: ["frontend": true])
        #expect(actions == [.verify("backend"), .runStep(Self.worker)])
    }

    @Test("resume: a step that was running when Rewind stopped runs again")
    func resumeRunning() {
        var machine = IncidentMachine(plan: Self.chain, mode: .enforce)
        #expect(machine.resume(finishedSteps: [:], verified: [:]) == [.runStep(Self.frontend)])
    }

    @Test("resume: everything done and verified closes the incident; a failed verification closes it failed")
    func resumeFinished() {
        let done: [String: StepOutcome] = [
            "rollback-frontend": .succeeded(viaFallback: false), "rollback-backend": .succeeded(viaFallback: false),
            "rollback-worker": .alreadyLive, "rollback-unknown": .failed("not in the plan"),
        ]
        var passed = IncidentMachine(plan: Self.chain, mode: .enforce)
        #expect(
            passed.resume(finishedSteps: done, verified: ["frontend": true, "backend": true, "worker": true])
                == [.notify(.completed), .finish(.completed)])
        var failed = IncidentMachine(plan: Self.chain, mode: .enforce)
        #expect(
            failed.resume(finishedSteps: done, verified: ["frontend": true, "backend": false, "worker": true])
                == [.notify(.failed), .finish(.failed)])
        // A second resume of a finished incident announces nothing again.
        #expect(
            failed.resume(finishedSteps: done, verified: ["frontend": true, "backend": false, "worker": true]) == [])
        #expect(failed.outcome == .failed)
    }

    @Test("duplicate and unexpected events are ignored")
    func duplicates() {
        var machine = IncidentMachine(plan: Self.chain, mode: .enforce)
        #expect(machine.stepFinished("rollback-frontend", .succeeded(viaFallback: false)) == [])  // not started
        _ = machine.start()
        #expect(machine.start() == [])
        #expect(machine.stepFinished("rollback-backend", .succeeded(viaFallback: false)) == [])  // pending, not running
        #expect(machine.stepFinished("rollback-nope", .succeeded(viaFallback: false)) == [])
        #expect(machine.verificationFinished("frontend", passed: true) == [])  // never asked for
        _ = machine.stepFinished("rollback-frontend", .succeeded(viaFallback: false))
        let before = machine
        #expect(machine.stepFinished("rollback-frontend", .failed("late duplicate")) == [])
        #expect(machine == before)
        _ = machine.verificationFinished("frontend", passed: true)
        #expect(machine.verificationFinished("frontend", passed: false) == [])
        #expect(machine.verifications["frontend"] == .done(passed: true))
    }

    // MARK: - Whole runs

    struct Script: Sendable, CustomTestStringConvertible {
        var name: String
        var stepOutcomes: [ServiceName: StepOutcome]
        var verificationFails: Set<ServiceName> = []
        var expectedOutcome: IncidentOutcome
        var expectedRuns: [String]
        var expectedSkipped: Set<String> = []
        var testDescription: String { name }
    }

    static let scripts: [Script] = [
        Script(
            name: "all succeed", stepOutcomes: [:], expectedOutcome: .completed,
            expectedRuns: ["rollback-frontend", "rollback-backend", "rollback-worker"]),
        Script(
            name: "backend fails: worker skipped", stepOutcomes: ["backend": .failed("timeout")],
            expectedOutcome: .failed,
            expectedRuns: ["rollback-frontend", "rollback-backend"], expectedSkipped: ["rollback-worker"]),
        Script(
            name: "frontend verification fails: the plan finishes, nothing runs twice", stepOutcomes: [:],
            verificationFails: ["frontend"], expectedOutcome: .failed,
            expectedRuns: ["rollback-frontend", "rollback-backend", "rollback-worker"]),
        Script(
            name: "targets already live still get verified",
            stepOutcomes: ["frontend": .alreadyLive, "worker": .alreadyLive],
            expectedOutcome: .completed, expectedRuns: ["rollback-frontend", "rollback-backend", "rollback-worker"]),
    ]

    /// Drives the machine like the engine: performs actions in order, feeding results back.
    @Test("whole runs", arguments: scripts)
    func wholeRun(_ script: Script) {
        var machine = IncidentMachine(plan: Self.chain, mode: .enforce)
        var queue = machine.start()
        var performed: [IncidentAction] = []
        var guardCount = 0
        while !queue.isEmpty, guardCount < 100 {
            guardCount += 1
            let action = queue.removeFirst()
            performed.append(action)
            switch action {
            case .runStep(let step):
                queue += machine.stepFinished(
                    step.id, script.stepOutcomes[step.service] ?? .succeeded(viaFallback: false))
            case .verify(let service):
                queue += machine.verificationFinished(service, passed: !script.verificationFails.contains(service))
            case .notify, .freezeDeployments, .finish:
                break
            }
        }
        #expect(Self.runs(performed) == script.expectedRuns)
        #expect(performed.first == .notify(.initiated))
        #expect(performed.last == .finish(script.expectedOutcome))
        #expect(performed.filter { if case .finish = $0 { true } else { false } }.count == 1)
        #expect(machine.outcome == script.expectedOutcome)
        let skipped = Set(
            machine.steps.compactMap { id, state in
                if case .done(.skipped) = state { id } else { nil }
            })
        #expect(skipped == script.expectedSkipped)
    }
}
