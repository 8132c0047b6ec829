import Foundation
import NIOHTTP1
import RewindCore
import RewindEngine
import RewindSandbox
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Two `rewind serve` replicas on PostgreSQL; the leader is SIGKILLed at each ``JournalPhase`` of a rollback in
/// turn. A debug build started with `REWIND_TEST_STOP_AT=<phase>` stops itself (SIGSTOP) when it passes that
/// phase; the test checks from the shared journal that it is really there, SIGKILLs it, and then checks that the
/// standby took over and finished the incident with the platform called once, every notice delivered (duplicates
/// counted), and nothing left open.
///
/// Each run prints one `kill-phase` line (phase, takeover time, platform calls, notices and duplicates): the
/// figures in BENCHMARKS.md ("Failover at every journal phase").
@Suite(.serialized, .enabled(if: TestPostgres.url != nil || TestPostgres.isRequired))
struct ReplicaKillPhaseTests {
    @Test(arguments: JournalPhase.allCases)
    func leaderKilledAtPhase(_ phase: JournalPhase) async throws {
        // The sandbox's rollback runs 1 s: shorter than a takeover (3 s lease), so that a successor that re-reads
        // the platform after a kill between call and record sees the rollback done.
        try await ReplicaTests.withReplicas(
            rollbackDuration: .seconds(1), leaderEnvironment: ["REWIND_TEST_STOP_AT": phase.rawValue]
        ) { world, leader, standby in
            world.deploy(
                service: "backend", SandboxDeployment(id: "be-v2", version: "v2", behavior: .failing(status: 500)))
            #expect(
                try await leader.api.call(
                    .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"be-v2","version":"v2"}"#
                ).status == 201)
            try await eventually("the leader stops at \(phase.rawValue)", within: 30) {
                leader.daemon.output.contains("rewind: stopped at journal phase \(phase.rawValue)")
            }
            // Where the journal stands, read from the shared database by the standby while the leader is stopped.
            let stopped = try await Self.dossier(standby)
            try Self.expectJournal(
                stopped, at: phase, world: world, noticesSent: Self.notices(in: [leader]).mapValues(\.records))

            let killedAt = ContinuousClock.now
            leader.daemon.kill(SIGKILL)
            #expect(await leader.daemon.waitForExit() == 128 + SIGKILL)
            try await eventually("the standby leads", within: 15) {
                try await standby.api.object("/api/v1/status")["leader"] as? Bool == true
            }
            let takeover = ContinuousClock.now - killedAt
            #expect(takeover < .seconds(5), "the standby took \(takeover) to take over")

            try await eventually("the incident ends", within: 40) {
                try await Self.dossier(standby).incident.status == .completed
            }
            try await eventually("every notice of the incident is delivered", within: 20) {
                try await Self.dossier(standby).notifications.allSatisfy { $0.status == .sent }
            }
            let finished = try await Self.dossier(standby)
            #expect(world.rollbackCalls(service: "backend") == 1, "the platform was called again after the kill")
            #expect(world.live(service: "backend")?.id == "be-v1")
            #expect(finished.steps.allSatisfy { $0.outcome?.isSuccess == true }, "\(finished.steps)")
            if phase == .stepCalled {
                // Called but not recorded: the successor re-read the platform and found the target live.
                #expect(
                    finished.timeline.contains { $0.message.contains("already serves") },
                    "the re-read of the platform did not prevent the second call")
            }
            if phase == .stepAccepted {
                #expect(finished.timeline.contains { $0.message.contains("not calling the platform again") })
            }

            let delivered = try Self.notices(in: [leader, standby])
            let kinds = Set(finished.notifications.map(\.notice.kind.rawValue))
            #expect(kinds.isSuperset(of: ["initiated", "completed"]), "\(kinds)")
            for kind in kinds {
                let seen = delivered[kind, default: (0, 0)]
                #expect(seen.records >= 1, "no \(kind) notice reached the file channel: \(delivered)")
                // At least once: a notice the leader may have sent before it died goes out again, marked.
                #expect(seen.marked >= seen.records - 1, "a repeated \(kind) notice was not marked: \(delivered)")
            }
            let duplicates = delivered.values.reduce(0) { $0 + max(0, $1.records - 1) }
            print(
                "kill-phase \(phase.rawValue): takeover \(Self.seconds(takeover)) s, platform calls "
                    + "\(world.rollbackCalls(service: "backend")), notices \(delivered.values.reduce(0) { $0 + $1.records }) "
                    + "(\(duplicates) duplicates), incident \(finished.incident.status.rawValue)")
            standby.daemon.kill(SIGTERM)
            #expect(await standby.daemon.waitForExit() == 0)
        }
    }

    /// What the journal must show while the leader is stopped at `phase`.
    static func expectJournal(
        _ journal: IncidentDossier, at phase: JournalPhase, world: SandboxWorld, noticesSent: [String: Int]
    ) throws {
        let rollback = try #require(journal.steps.first { !$0.stepID.hasPrefix("verify-") }, "\(journal.steps)")
        let calls = world.rollbackCalls(service: "backend")
        switch phase {
        case .stepIntent:
            #expect(rollback.state == .intent && calls == 0, "\(rollback.state), \(calls) calls")
        case .stepCalled:
            #expect(rollback.state == .intent && calls == 1, "\(rollback.state), \(calls) calls")
        case .stepAccepted:
            #expect(rollback.operationID != nil && calls == 1, "\(rollback.state), \(calls) calls")
        case .verifying:
            #expect(rollback.outcome?.isSuccess == true && calls == 1, "\(rollback.state), \(calls) calls")
            #expect(journal.incident.status == .open)
        case .closingNoticeQueued:
            #expect(journal.incident.status == .completed)
            #expect(journal.notifications.contains { $0.notice.kind == .completed && $0.status == .pending })
            #expect(noticesSent["completed", default: 0] == 0, "the closing notice went out before the stop")
        }
    }

    /// Incident #1 as the replica serves it.
    static func dossier(_ replica: ReplicaTests.Replica) async throws -> IncidentDossier {
        let (status, body) = try await replica.api.call(.GET, "/api/v1/incidents/1")
        guard status == 200 else { throw IntegrationError("GET /api/v1/incidents/1 answered \(status): \(body)") }
        return try JSONDecoder().decode(IncidentDossier.self, from: Data(body.utf8))
    }

    /// How many notices of incident #1 each replica's file channel received, by event.
    /// Per event of incident 1, the file channel's records on both replicas, and how many of them say they may
    /// repeat an earlier delivery (`may_repeat`: the standby sending what the leader left pending).
    static func notices(in replicas: [ReplicaTests.Replica]) throws -> [String: (records: Int, marked: Int)] {
        var counts: [String: (records: Int, marked: Int)] = [:]
        for replica in replicas {
            guard let text = try? String(contentsOfFile: replica.notices, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                guard
                    let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    record["incident"] as? Int == 1, let event = record["event"] as? String
                else { continue }
                counts[event, default: (0, 0)].records += 1
                if record["may_repeat"] as? Bool == true { counts[event, default: (0, 0)].marked += 1 }
            }
        }
        return counts
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
