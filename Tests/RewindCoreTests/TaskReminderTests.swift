import Testing

@testable import RewindCore

/// Overdue post-rollback tasks (``TaskReminder``) and what `rewind promote` acts on (``Promotion``),
/// decided from the record alone.
@Suite("Aftercare: overdue reminders and promotion")
struct TaskReminderTests {
    typealias S = Fixture

    static func task(
        _ id: String, team: String = "devops", due: Timestamp?, state: IncidentTask.State = .open,
        reminded: Timestamp? = nil, incident: Int64 = 1
    ) -> IncidentTask {
        IncidentTask(
            incidentID: incident, id: id, group: .investigation, title: id.replacingUnderscores, team: team, dueAt: due,
            state: state, updatedAt: S.base, remindedAt: reminded)
    }

    @Test(
        "a task is reminded once, when it is past due and still open or in progress",
        arguments: [
            (IncidentTask.State.open, Optional(S.t(-1)), nil as Timestamp?, true),
            (.open, S.t(0), nil, true),  // due now
            (.inProgress, S.t(-60), nil, true),
            (.open, S.t(1), nil, false),  // not yet due
            (.done, S.t(-60), nil, false),
            (.skipped, S.t(-60), nil, false),
            (.open, nil, nil, false),  // no due time (documentation)
            (.open, S.t(-60), S.t(-30), false),  // already reminded
        ])
    func isDue(state: IncidentTask.State, due: Timestamp?, reminded: Timestamp?, expected: Bool) {
        #expect(
            TaskReminder.isDue(
                Self.task("investigation.analyze_logs", due: due, state: state, reminded: reminded), now: S.base)
                == expected)
    }

    @Test("one reminder per incident and team, its tasks earliest due first; done and future tasks left out")
    func batches() {
        let tasks = [
            Self.task("b", due: S.t(-10), incident: 2),
            Self.task("a", due: S.t(-20), incident: 2),
            Self.task("done", due: S.t(-20), state: .done, incident: 2),
            Self.task("product", team: "product", due: S.t(-5), incident: 2),
            Self.task("later", due: S.t(60), incident: 1),
            Self.task("x", due: S.t(-1), incident: 1),
        ]
        let batches = TaskReminder.batches(tasks, now: S.base)
        #expect(
            batches.map { "\($0.incidentID) \($0.team): \($0.tasks.map(\.id).joined(separator: ","))" } == [
                "1 devops: x", "2 devops: a,b", "2 product: product",
            ])
        #expect(batches.first?.audience == .devops)
        #expect(
            TaskReminder.batches([Self.task("own", team: "platform-team", due: S.t(-1))], now: S.base).first?.audience
                == nil)
        #expect(TaskReminder.line(tasks[0], now: S.base).hasSuffix("10s overdue"))
    }

    // MARK: Promotion

    static let v1 = S.deployment("backend", "v1", at: S.t(-7200), .knownGood)
    static let v2 = S.deployment("backend", "v2", at: S.t(-60), .bad)

    /// A completed gradual incident of backend that cut v2's traffic, with its promote task in `state`.
    static func contained(
        _ id: Int64, task state: IncidentTask.State = .open, new: Deployment = v2
    ) -> (Incident, [IncidentTask]) {
        let cut = PlanStep(
            id: "reduce-traffic-backend", service: "backend", from: new, to: v1, action: .reduceTraffic(by: 0.5),
            timeout: .seconds(60), dependsOn: [])
        let incident = Incident(
            id: id, openedAt: S.base, closedAt: S.t(600), services: ["backend"], trigger: .business, severity: .high,
            strategy: .gradual, status: .completed, summary: "backend: conversion",
            plan: Plan(strategy: .gradual, steps: [cut], freeze: nil))
        let tasks = PostRollbackWork.tasks(
            incidentID: id, at: S.t(600), postMortemWithin: .seconds(86_400), strategy: .gradual, contained: true
        )
        .map { task in
            var task = task
            if task.id == PostRollbackWork.promoteOrRollBack { task.state = state }
            return task
        }
        return (incident, tasks)
    }

    @Test("the newest contained incident whose task is open, while its new version is live, is what a promote acts on")
    func promotesTheContainedVersion() throws {
        let v3 = S.deployment("backend", "v3", at: S.t(-30), .bad)
        let finding = Promotion.find(
            service: "backend",
            incidents: [Self.contained(3, new: v3), Self.contained(5, new: v3), Self.contained(4, task: .done)],
            live: v3)
        guard case .promote(let target) = finding else {
            Issue.record("expected something to promote, got \(finding)")
            return
        }
        #expect(target.incident.id == 5)
        #expect(target.task.id == PostRollbackWork.promoteOrRollBack)
        #expect(target.step.id == "promote-backend")
        #expect(target.step.action == .setTraffic(share: 1))
        #expect(target.step.from == v3)
        #expect(target.step.summary().hasPrefix("set backend's new version \(v3.label) to 100"))
    }

    @Test(
        "nothing to promote, each time with what to do instead",
        arguments: [
            (
                "no contained incident", [(Incident, [IncidentTask])](),
                "no gradual rollout of backend is waiting at a reduced share"
            ),
            ("task done", [contained(1, task: .done)], "no gradual rollout"),
            ("task skipped", [contained(1, task: .skipped)], "no gradual rollout"),
            ("another service", [contained(1)], "no gradual rollout of worker"),
        ])
    func nothingToPromote(_ what: String, incidents: [(Incident, [IncidentTask])], message: String) {
        let service: ServiceName = what == "another service" ? "worker" : "backend"
        guard case .nothing(let why) = Promotion.find(service: service, incidents: incidents, live: Self.v2) else {
            Issue.record("\(what): expected nothing to promote")
            return
        }
        #expect(why.contains(message), "\(why)")
    }

    @Test(
        "a rollback of the service closes the open promote-or-roll-back tasks of its contained incidents, and only those"
    )
    func openTasks() {
        let incidents = [Self.contained(1), Self.contained(2, task: .done), Self.contained(3, task: .inProgress)]
        #expect(Promotion.openTasks(of: "backend", incidents: incidents).map(\.incidentID) == [3, 1])
        #expect(Promotion.openTasks(of: "worker", incidents: incidents).isEmpty)
    }

    @Test("the contained version was replaced since: nothing to promote, and the task to close is named")
    func replacedSince() {
        guard case .nothing(let why) = Promotion.find(service: "backend", incidents: [Self.contained(7)], live: Self.v1)
        else {
            Issue.record("expected nothing to promote")
            return
        }
        #expect(why.contains("live deployment is now \(Self.v1.label), not \(Self.v2.label)"), "\(why)")
        #expect(why.contains("rewind incidents task 7 remediation.promote_or_roll_back --state skipped"), "\(why)")
    }
}
