import Foundation
import Logging
import PostgresNIO
import RewindPorts
import RewindStorePostgres
import Testing

/// The PostgreSQL server the tests use: `REWIND_POSTGRES_URL` (what `scripts/postgres/start`
/// prints). Each test gets a fresh schema in that database, dropped afterwards.
///
/// Without the variable the PostgreSQL runs are left out, unless `REWIND_REQUIRE_POSTGRES=1` (as in
/// `scripts/test`): then they run and fail, saying how to start the server.
enum PostgresTestDatabase {
    static let howToStart = "start PostgreSQL with eval \"$(scripts/postgres/start)\" (scripts/test does)"

    private static func variable(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    static var isRequired: Bool { variable("REWIND_REQUIRE_POSTGRES") == "1" }
    static var url: String? { variable("REWIND_POSTGRES_URL") }

    /// The PostgreSQL factory when a server is configured or required; none otherwise.
    static var factories: [StoreFactory] {
        url != nil || isRequired ? [.postgres] : []
    }

    /// Statements get 15 s and calls 60 s: a whole test run shares two cores, and a statement may wait for another
    /// store's migration or lease transaction. (The unreachable-server test sets its own, shorter limits.)
    static let retry = PostgresStore.Retry(
        connectionWait: .seconds(5), statementTimeout: .seconds(15), giveUpAfter: .seconds(60))

    /// The configured server's settings, with the schema of one test.
    static func settings(schema: String? = nil) throws -> PostgresSettings {
        guard let url else {
            throw PostgresTestError("REWIND_REQUIRE_POSTGRES=1 but REWIND_POSTGRES_URL is not set; \(howToStart)")
        }
        var settings = try PostgresSettings(url: url)
        settings.schema = schema
        return settings
    }

    /// Runs `body` with the settings of a fresh, empty schema, dropped afterwards.
    static func withSchema<T>(_ body: (PostgresSettings) async throws -> T) async throws -> T {
        let schema = "rewind_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let settings = try settings(schema: schema)
        try await admin(settings) { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: logger)
        }
        do {
            let result = try await body(settings)
            try await dropSchema(schema, settings)
            return result
        } catch {
            try? await dropSchema(schema, settings)
            throw error
        }
    }

    private static func dropSchema(_ schema: String, _ settings: PostgresSettings) async throws {
        try await admin(settings) { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: logger)
        }
    }

    /// Runs `body` on a connection of its own to the test database (not through a store).
    static func admin<T: Sendable>(
        _ settings: PostgresSettings, _ body: @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        let logger = Logger(label: "rewind.tests.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        let configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password,
            database: settings.database, tls: .disable)
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
            do {
                let result = try await body(connection, logger)
                try await connection.close()
                return result
            } catch {
                try? await connection.close()
                throw error
            }
        } catch {
            // PSQLError hides the server's sentence unless reflected: a test failure needs it.
            throw PostgresTestError("the test database: \(String(reflecting: error))")
        }
    }
}

struct PostgresTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension StoreFactory {
    /// A fresh schema on the configured server; every connection is a new `PostgresStore` (its own
    /// pool, as another replica would have), shut down after the test.
    static let postgres = StoreFactory(name: "PostgreSQL") { body in
        try await PostgresTestDatabase.withSchema { settings in
            let opened = OpenedStores()
            do {
                try await body {
                    let store = try await PostgresStore.open(settings, retry: PostgresTestDatabase.retry)
                    await opened.add(store)
                    return store
                }
                await opened.shutdown()
            } catch {
                await opened.shutdown()
                throw error
            }
        }
    }
}

/// The stores a test opened, to shut them down after it.
actor OpenedStores {
    private var stores: [PostgresStore] = []

    func add(_ store: PostgresStore) { stores.append(store) }

    func shutdown() async {
        for store in stores { await store.shutdown() }
        stores = []
    }
}
