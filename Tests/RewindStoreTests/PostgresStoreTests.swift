import Foundation
import Logging
import PostgresNIO
import RewindCore
import RewindPorts
import Testing

@testable import RewindStorePostgres

@Suite("PostgresStore settings: the state URL")
struct PostgresSettingsTests {
    @Test("a URL gives host, port, user, password, database, sslmode and schema; messages never show the password")
    func parses() throws {
        let settings = try PostgresSettings(
            url: "postgresql://rewind:p%40ss@db.internal:6432/state?sslmode=verify-full&search_path=team_a")
        #expect(
            settings
                == PostgresSettings(
                    host: "db.internal", port: 6432, user: "rewind", password: "p@ss", database: "state",
                    sslMode: .verifyFull,
                    schema: "team_a"))
        #expect(settings.description == "rewind@db.internal:6432/state (schema team_a)")
        let defaults = try PostgresSettings(url: "postgres://rewind@localhost/rewind")
        #expect(
            defaults.port == 5432 && defaults.sslMode == .prefer && defaults.password == nil && defaults.schema == nil)
    }

    @Test(
        "an unusable URL is store_invalid_settings without quoting it",
        arguments: [
            "mysql://rewind@db/rewind", "postgresql:///rewind", "postgresql://db/rewind", "postgresql://rewind@db/",
            "postgresql://rewind:hunter2@db/rewind?sslmode=sometimes", "postgresql://rewind:hunter2@db/rewind?pool=3",
        ])
    func refuses(_ url: String) async {
        let error = await expectError("store_invalid_settings") { _ = try PostgresSettings(url: url) }
        #expect(error?.message.contains("hunter2") == false)
    }
}

/// Runs `body` with the settings of a fresh schema when a server is configured or required; does
/// nothing otherwise (the contract suite's PostgreSQL runs say why when it is required).
private func withPostgres(_ body: (PostgresSettings) async throws -> Void) async throws {
    guard !PostgresTestDatabase.factories.isEmpty else { return }
    try await PostgresTestDatabase.withSchema(body)
}

@Suite("PostgresStore databases: migrations, replicas, connection loss")
struct PostgresStoreTests {
    @Test("replicas starting at once on an empty database migrate once, and both open")
    func concurrentMigrations() async throws {
        try await withPostgres { settings in
            let retry = PostgresTestDatabase.retry
            let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
                for _ in 0..<4 { group.addTask { try await PostgresStore.open(settings, retry: retry) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(stores.count == 4)
            for store in stores { #expect(try await store.schemaVersions() == Array(1...PostgresSchema.latestVersion)) }
            // Each sees the others' writes.
            _ = try await stores[0].createIncident(sampleIncident())
            #expect(try await stores[3].incident(id: 1)?.summary == "backend is down")
            for store in stores { await store.shutdown() }
        }
    }

    @Test("reopening the database keeps everything, the lease's epoch included, and migrates nothing again")
    func reopen() async throws {
        try await withPostgres { settings in
            let first = try await PostgresStore.open(settings, retry: PostgresTestDatabase.retry)
            let grant = try #require(try await first.acquireLease(instance: "daemon-a", now: at(0), until: at(30)))
            try await first.fenced(by: grant).recordDeployment(deployment("backend", "b1", at: 10), makeLive: true)
            await first.shutdown()

            let second = try await PostgresStore.open(settings, retry: PostgresTestDatabase.retry)
            #expect(try await second.schemaVersions() == Array(1...PostgresSchema.latestVersion))
            #expect(try await second.currentLease() == grant)
            #expect(try await second.liveDeployment(of: "backend")?.id == "b1")
            let takeover = try #require(try await second.acquireLease(instance: "daemon-b", now: at(31), until: at(60)))
            #expect(takeover.epoch == grant.epoch + 1)
            await second.shutdown()
        }
    }

    @Test("a database migrated by a newer Rewind is refused with store_newer_schema")
    func newerSchema() async throws {
        try await withPostgres { settings in
            let store = try await PostgresStore.open(settings, retry: PostgresTestDatabase.retry)
            await store.shutdown()
            try await PostgresTestDatabase.admin(settings) { connection, logger in
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL:
                            "INSERT INTO \(settings.schema!).rewind_migrations (version, description) VALUES (99, 'future')"
                    ),
                    logger: logger)
            }
            let error = await expectError("store_newer_schema") {
                _ = try await PostgresStore.open(settings, retry: PostgresTestDatabase.retry)
            }
            #expect(error?.message.contains("schema version 99") == true)
        }
    }

    @Test("connections cut by the server are replaced: the next reads and commits succeed, each stored once")
    func connectionLoss() async throws {
        try await withPostgres { settings in
            let store = try await PostgresStore.open(settings, retry: PostgresTestDatabase.retry)
            let grant = try #require(try await store.acquireLease(instance: "daemon-a", now: at(0), until: at(30)))
            let writer = store.fenced(by: grant)
            let incident = try await writer.createIncident(sampleIncident())

            for round in 1...3 {
                // The pool keeps its connection open between calls: there is one to cut.
                #expect(try await Self.terminateConnections(settings) >= 1)
                try await writer.append(
                    TimelineEvent(
                        incidentID: incident.id, at: at(200 + Int64(round)), kind: .decision, message: "round \(round)")
                )
                try await Self.terminateConnections(settings)
                #expect(try await store.timeline(incidentID: incident.id).count == round)
            }
            #expect(
                try await store.timeline(incidentID: incident.id).map(\.message) == ["round 1", "round 2", "round 3"])
            await store.shutdown()
        }
    }

    @Test("connections cut while commits run: every commit either succeeds or says so; none is lost or doubled")
    func connectionLossUnderLoad() async throws {
        try await withPostgres { settings in
            // A short statement timeout: a statement lost with its connection is given up on quickly.
            var retry = PostgresTestDatabase.retry
            retry.statementTimeout = .seconds(2)
            let store = try await PostgresStore.open(settings, retry: retry)
            let incident = try await store.createIncident(sampleIncident())
            let outcomes = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        var unknown: String?
                        var stored = 0
                        for round in 0..<25 {
                            do {
                                try await store.append(
                                    TimelineEvent(
                                        incidentID: incident.id, at: at(Int64(round)), kind: .decision,
                                        message: "w\(writer)-\(round)"))
                                stored += 1
                            } catch let error as PostgresStoreError where error.kind == .outcomeUnknown {
                                unknown = "w\(writer)-\(round)"
                            }
                        }
                        return (stored, unknown)
                    }
                }
                group.addTask {
                    for _ in 0..<5 { try await Self.terminateConnections(settings) }
                    return (0, nil)
                }
                return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
            }
            let timeline = try await store.timeline(incidentID: incident.id).map(\.message)
            // No event twice; every acknowledged one stored; only an "unknown" one may be missing.
            #expect(Set(timeline).count == timeline.count)
            let acknowledged = outcomes.map(\.0).reduce(0, +)
            let unknown = outcomes.compactMap(\.1)
            #expect(timeline.count >= acknowledged && timeline.count <= acknowledged + unknown.count)
            await store.shutdown()
        }
    }

    @Test("a replica paused inside a transaction does not hold the lease row: the server ends its session")
    func abandonedTransaction() async throws {
        try await withPostgres { settings in
            let store = try await PostgresStore.open(settings, retry: PostgresTestDatabase.retry)
            let paused = try #require(try await store.acquireLease(instance: "paused", now: at(0), until: at(3)))
            // A session that starts as Rewind's do, locks the lease row as a fenced write does, then sends nothing
            // more: a leader stopped mid-transaction.
            var configuration = PostgresConnection.Configuration(
                host: settings.host, port: settings.port, username: settings.user, password: settings.password,
                database: settings.database, tls: .disable)
            configuration.options.additionalStartupParameters = settings.startupParameters
            let logger = Logger(label: "rewind.tests.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
            let stalled = try await PostgresConnection.connect(configuration: configuration, id: 2, logger: logger)
            try await stalled.query("BEGIN", logger: logger)
            _ = try await stalled.query("SELECT epoch FROM writer_lease WHERE id = 1 FOR SHARE", logger: logger)
                .collect()

            // The standby's takeover waits for the row, then gets it once the server ends the stalled session.
            let standby = try await PostgresStore.open(
                settings,
                retry: PostgresStore.Retry(
                    connectionWait: .seconds(5), statementTimeout: .seconds(60), giveUpAfter: .seconds(60)))
            let takeover = try #require(try await standby.acquireLease(instance: "standby", now: at(4), until: at(7)))
            #expect(takeover.epoch == paused.epoch + 1)
            // The server ended the stalled session (a statement sent on it now may never be answered by
            // PostgresNIO, so none is); the paused process, woken, is refused by the fence.
            try? await stalled.close()
            await #expect(throws: StoreFenced.self) {
                try await store.fenced(by: paused).recordDeployment(deployment("backend", "b9", at: 8), makeLive: true)
            }
            await store.shutdown()
            await standby.shutdown()
        }
    }

    @Test("an unreachable server is store_unavailable once the retries run out, naming the database, not the password")
    func unreachable() async throws {
        // A port nothing listens on: bound, then closed.
        let port = try Self.closedPort()
        let settings = PostgresSettings(
            host: "127.0.0.1", port: port, user: "rewind", password: "hunter2", database: "rewind", sslMode: .disable)
        let retry = PostgresStore.Retry(
            connectionWait: .milliseconds(300), firstDelay: .milliseconds(50), giveUpAfter: .seconds(1))
        let error = await expectError("store_unavailable") { _ = try await PostgresStore.open(settings, retry: retry) }
        #expect(error?.message.contains("rewind@127.0.0.1:\(port)/rewind") == true)
        #expect(error?.message.contains("hunter2") == false)
    }

    /// Ends every connection of the test's stores (never another test's), as a restart or a
    /// network cut would.
    /// Returns how many it ended.
    @discardableResult
    static func terminateConnections(_ settings: PostgresSettings) async throws -> Int {
        let name = settings.applicationName
        return try await PostgresTestDatabase.admin(settings) { connection, logger in
            try await connection.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \(name)",
                logger: logger
            ).collect().count
        }
    }

    static func closedPort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(socket, raw, length) == 0, getsockname(socket, raw, &length) == 0 else {
                    throw PostgresTestError("could not bind a loopback port")
                }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
