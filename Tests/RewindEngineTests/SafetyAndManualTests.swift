import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// The cooldown after an automatic rollback, and manual rollbacks through the same path.
@Suite("Engine: cooldown and manual rollbacks", .timeLimit(.minutes(3)))
struct SafetyAndManualTests {
    @Test("cooldown: a bad v3 soon after an automatic rollback is escalated, not rolled back again")
    func secondRollbackInsideCooldownEscalates() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.run { run in
                try await run.deploy(Fixture.backend, "v2", health: .failing(status: 503))
                let first = try await run.untilClosed()
                #expect(first.status == .completed)
                try await run.advance(until: "the backend check recovered") {
                    run.events.recoveries.contains(Fixture.backend)
                }
                // The immediate rollback froze deployments for an hour; people lift it to ship a fix.
                try await run.engine.setFreeze(nil)

                let v3 = try await run.deploy(Fixture.backend, "v3", health: .failing(status: 503))
                let second = try await run.untilClosed(2)
                #expect(second.status == .escalated)
                #expect(second.openedAt - first.closedAt! < .seconds(900))

                let decision = try await h.sqlite.timeline(incidentID: second.id).first { $0.kind == .decision }
                #expect(decision?.detail == .object(["escalation": .string("cooldown")]))
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
                #expect(h.world.live(Fixture.backend) == v3.id)
                #expect(try await h.liveID(Fixture.backend) == v3.id)
                #expect(try await h.deployment(Fixture.backend, "v3")?.trust == .bad)
                #expect(h.notifier.incidentKinds == [.initiated, .completed, .escalated])
                #expect(h.notifier.incidentNotices.last?.error?.contains("cooldown") == true)
            }
        }
    }

    @Test("a manual rollback to an explicit deployment runs the same path: journal, verification, notices")
    func manualRollbackCompletes() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .healthy)
            try await h.run { run in
                let result = await run.engine.requestRollback(
                    .init(service: Fixture.backend, to: v1.id, reason: "v2 corrupts invoices"))
                let id = try result.get()

                // One incident per service: a second request while the first runs is refused.
                let again = await run.engine.requestRollback(
                    .init(service: Fixture.backend, to: v1.id, reason: "again"))
                #expect(again.refusal?.code == "refused")
                #expect(again.refusal?.message.contains("already in an open incident") == true)

                async let waited = run.engine.waitForIncident(id)
                let incident = try await run.untilClosed()
                #expect(await waited == incident)
                #expect(incident.id == id)
                #expect(incident.status == .completed)
                #expect(incident.trigger == .manual)
                #expect(incident.strategy == .fast)
                #expect(incident.reason == "v2 corrupts invoices")
                #expect(incident.violation == nil)

                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
                #expect(try await h.liveID(Fixture.backend) == v1.id)
                #expect(
                    try await h.journal(id, step: "rollback-backend")
                        == [.intent, .accepted(operationID: nil), .done(.succeeded(viaFallback: false))])
                #expect(try await h.journal(id, step: "verify-backend") == [.done(.succeeded(viaFallback: false))])
                let timeline = try await h.sqlite.timeline(incidentID: id)
                #expect(timeline.first?.message == "manual rollback requested: v2 corrupts invoices")
                #expect(try await h.sqlite.currentFreeze() == nil)

                #expect(h.notifier.incidentKinds == [.initiated, .completed])
                #expect(
                    h.notifier.incidentNotices.allSatisfy {
                        $0.evidence == ["operator: v2 corrupts invoices"] && $0.trigger == .manual
                    })

                // A manual rollback is not an automatic one: no cooldown follows it.
                #expect(try await h.sqlite.automaticRollbacks(service: Fixture.backend, since: v1.deployedAt).isEmpty)
                try await run.deploy(Fixture.backend, "v3", health: .failing(status: 503))
                let automatic = try await run.untilClosed(2)
                #expect(automatic.status == .completed)
                #expect(automatic.trigger == .healthCritical)
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id, v1.id])
            }
        }
    }

    @Test("manual rollbacks are refused for an unknown service and an unknown deployment")
    func manualRollbackRefusals() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .healthy)
            try await h.run { run in
                let unknownService = await run.engine.requestRollback(
                    .init(service: "frontend", to: nil, reason: "test"))
                #expect(unknownService.refusal?.code == "unknown_service")
                #expect(unknownService.refusal?.message.contains("known: backend, worker") == true)

                let unknownTarget = await run.engine.requestRollback(
                    .init(service: Fixture.backend, to: "v0", reason: "test"))
                #expect(unknownTarget.refusal?.code == "refused")

                let alreadyLive = await run.engine.requestRollback(
                    .init(service: Fixture.backend, to: Fixture.id(Fixture.backend, "v2"), reason: "test"))
                #expect(alreadyLive.refusal?.code == "refused")

                try await run.advance(by: .seconds(3))
                #expect(try await h.incidents().isEmpty)
                #expect(h.world.rollbackCalls.isEmpty)
            }
        }
    }

    @Test("a manual rollback with no target named goes to the newest known-good deployment")
    func manualRollbackPicksKnownGood() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .healthy)
            try await h.run { run in
                _ = try await run.engine.requestRollback(
                    .init(service: Fixture.backend, to: nil, reason: "rollback drill")
                ).get()
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id])
                #expect(h.world.rollbackCalls.map(\.manual) == [true], "the provider is told a person asked")
            }
        }
    }

    @Test("storm cap: once the automatic rollbacks of the last hour reach the cap, the next one escalates")
    func stormCapEscalates() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let safety = SafetyLimits(cooldown: .seconds(2), maxAutomaticRollbacksPerHour: 2)
            try await h.run(policy: Fixture.policy(safety: safety)) { run in
                for (round, version) in ["v2", "v3"].enumerated() {
                    try await run.deploy(Fixture.backend, version, health: .failing(status: 503))
                    #expect(try await run.untilClosed(round + 1).status == .completed)
                    try await run.advance(until: "backend recovered") { run.events.recoveries.count == round + 1 }
                    try await run.advance(by: .seconds(3))  // past the cooldown
                    try await run.engine.setFreeze(nil)  // the immediate rollback's freeze, lifted by people
                }
                try await run.deploy(Fixture.backend, "v4", health: .failing(status: 503))
                let third = try await run.untilClosed(3)
                #expect(third.status == .escalated)
                let decision = try await h.sqlite.timeline(incidentID: third.id).first { $0.kind == .decision }
                #expect(decision?.detail == .object(["escalation": .string("storm_cap")]))
                #expect(h.world.rollbackCalls.map(\.target) == [v1.id, v1.id])
                #expect(try await h.liveID(Fixture.backend) == Fixture.id(Fixture.backend, "v4"))
            }
        }
    }

    @Test("an operator's longer freeze is kept by an immediate rollback; setFreeze(nil) lifts it")
    func operatorFreezeIsKept() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            try await h.run { run in
                let now = h.clock.now
                let release = Freeze(until: now + .seconds(7200), reason: "release freeze", setAt: now)
                try await run.engine.setFreeze(release)
                #expect(try await h.sqlite.currentFreeze() == release)

                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(try await h.sqlite.currentFreeze() == release)
                let freezeEntry = try await h.sqlite.timeline(incidentID: incident.id).first { $0.kind == .freeze }
                #expect(freezeEntry?.message.hasPrefix("deployments already frozen until") == true)

                try await run.engine.setFreeze(nil)
                #expect(try await h.sqlite.currentFreeze() == nil)
            }
        }
    }
}

extension Result where Failure == EngineRefusal {
    var refusal: EngineRefusal? {
        if case .failure(let refusal) = self { refusal } else { nil }
    }
}
