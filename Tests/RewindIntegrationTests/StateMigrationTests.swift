import Foundation
import RewindCore
import RewindPorts
import RewindStorePostgres
import RewindStoreSQLite
import RewindTestSupport
import Testing

/// `rewind state migrate` as a user runs it: the binary, a SQLite file a daemon wrote, and the PostgreSQL server
/// of the test run (`REWIND_POSTGRES_URL`, which `scripts/test` starts). Each test fills a schema of its own
/// (`search_path=`), which the migration creates.
/// Without a server they are left out, unless `REWIND_REQUIRE_POSTGRES=1` (as in `scripts/test`): then they fail.
@Suite(.enabled(if: TestPostgres.url != nil || TestPostgres.isRequired))
struct StateMigrationTests {

    static func at(_ seconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: 1_790_000_000_000 + seconds * 1000)
    }

    /// The test server's URL with a fresh schema.
    static func target() throws -> String {
        let url = try #require(TestPostgres.url, "REWIND_REQUIRE_POSTGRES=1 but REWIND_POSTGRES_URL is not set")
        let schema = "rewind_migrate_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)"
    }

    /// A state a daemon could have written: two services, an incident with its journal, a notice and a timer.
    static func writeState(_ path: String) async throws -> StateSnapshot {
        let store = try SQLiteStore(path: path)
        try await store.recordDeployment(
            Deployment(service: "backend", id: "b1", version: "v1", deployedAt: at(10), trust: .knownGood),
            makeLive: false)
        try await store.recordDeployment(
            Deployment(service: "backend", id: "b2", version: "v2", deployedAt: at(100)), makeLive: true)
        try await store.recordDeployment(
            Deployment(service: "frontend", id: "f1", version: "v7", deployedAt: at(50)), makeLive: true)
        let incident = try await store.createIncident(
            Incident(
                id: 0, openedAt: at(120), services: ["backend"], trigger: .healthCritical, severity: .critical,
                strategy: .immediate, status: .completed, summary: "backend is down"))
        try await store.append(
            TimelineEvent(incidentID: incident.id, at: at(121), kind: .decision, message: "immediate rollback"))
        try await store.recordStep(
            StepRecord(incidentID: incident.id, stepID: "rollback-backend", state: .intent, at: at(122)))
        try await store.recordAutomaticRollback(service: "backend", at: at(122))
        try await store.setFreeze(
            Freeze(until: at(3722), reason: "incident #1", setAt: at(122), incidentID: incident.id))
        return try await store.exportState()
    }

    @Test("a SQLite state lands in PostgreSQL whole, reads the same, and a second run is refused")
    func migratesAndVerifies() async throws {
        let scratch = try TemporaryDirectory("migrate")
        defer { scratch.remove() }
        let path = scratch.file("rewind.db")
        let written = try await Self.writeState(path)
        let target = try Self.target()

        let run = try await rewind(["state", "migrate", "--from", path, "--to", target])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("both read the same"))
        #expect(run.stdout.contains("incidents            1"))
        #expect(run.stdout.contains("deployments          3"))
        #expect(run.stdout.contains("next ids: incident 2"))

        let store = try await PostgresStore.open(try PostgresSettings(url: target))
        let copied = try await store.exportState()
        #expect(copied == written)
        #expect(try await store.currentLease() == nil, "the migration releases the lease it took")
        await store.shutdown()
        // The SQLite lease is released too: a daemon can start on either state at once.
        #expect(try await SQLiteStore.openExisting(path: path).currentLease() == nil)

        let again = try await rewind(["state", "migrate", "--from", path, "--to", target])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already holds a Rewind state"), "\(again.stderr)")
    }

    @Test("a daemon still holding the SQLite state's lease makes the migration refuse, writing nothing")
    func refusesWhileADaemonRuns() async throws {
        let scratch = try TemporaryDirectory("migrate")
        defer { scratch.remove() }
        let path = scratch.file("rewind.db")
        _ = try await Self.writeState(path)
        let daemon = try SQLiteStore(path: path)
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        _ = try #require(
            try await daemon.acquireLease(instance: "daemon-on-host-a", now: now, until: now + .seconds(60)))
        let target = try Self.target()

        let run = try await rewind(["state", "migrate", "--from", path, "--to", target])
        #expect(run.status == 69)
        #expect(run.stderr.contains("daemon-on-host-a"), "\(run.stderr)")
        #expect(run.stderr.contains("stop it first"))
        let store = try await PostgresStore.open(try PostgresSettings(url: target))
        #expect(try await store.exportState() == StateSnapshot())
        await store.shutdown()
    }

    @Test("a password on the command line is refused; a missing file or target is a usage error")
    func refusesBadArguments() async throws {
        let scratch = try TemporaryDirectory("migrate")
        defer { scratch.remove() }
        let path = scratch.file("rewind.db")
        _ = try await Self.writeState(path)

        let inline = try await rewind([
            "state", "migrate", "--from", path, "--to", "postgresql://rewind:hunter2@127.0.0.1:1/rewind",
        ])
        #expect(inline.status == 64)
        #expect(inline.stderr.contains("PGPASSWORD"))
        #expect(!inline.stderr.contains("hunter2"))

        let missing = try await rewind([
            "state", "migrate", "--from", scratch.file("none.db"), "--to", try Self.target(),
        ])
        #expect(missing.status == 69)
        #expect(missing.stderr.contains("none.db"))

        let neither = try await rewind(["state", "migrate", "--from", path])
        #expect(neither.status == 64)
        #expect(neither.stderr.contains("either --to or --config"))
    }
}

/// The PostgreSQL server of the test run.
enum TestPostgres {
    static var url: String? {
        ProcessInfo.processInfo.environment["REWIND_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }
    static var isRequired: Bool { ProcessInfo.processInfo.environment["REWIND_REQUIRE_POSTGRES"] == "1" }
}
