import Foundation
import RewindPorts
import RewindStorePostgres
import RewindStoreSQLite
import Testing

/// The store implementations the contract suite runs against — the one place that lists them.
///
/// Every `@Test(arguments: StoreFactory.all)` in this target runs once per factory. A new store
/// (PostgreSQL) joins the whole suite by adding its factory to ``all``: a fresh, empty state per
/// test, removed afterwards, from which ``StateOpener`` opens as many connections as a test asks
/// for (a daemon and the CLI; two daemons racing for the lease). A factory that needs a server
/// the machine lacks is left out of ``all`` (or fails, when the server is required), never faked:
/// PostgreSQL joins when `REWIND_POSTGRES_URL` names a server (`scripts/postgres/start`).
struct StoreFactory: Sendable, CustomTestStringConvertible {
    /// Opens another connection to the test's state.
    typealias StateOpener = () async throws -> any RewindStore

    let name: String
    /// Runs `body` with an opener of connections to one fresh state, and removes the state after.
    let withState: @Sendable (_ body: (StateOpener) async throws -> Void) async throws -> Void

    var testDescription: String { name }

    static let all: [StoreFactory] = [.memory, .sqlite] + PostgresTestDatabase.factories

    /// One ``MemoryStore``: every connection shares its state.
    static let memory = StoreFactory(name: "memory") { body in
        let store = MemoryStore()
        try await body { store }
    }

    /// A state file in a fresh temporary directory; every connection is a new `SQLiteStore`.
    static let sqlite = StoreFactory(name: "SQLite") { body in
        try await withStatePath { path in
            try await body { try SQLiteStore(path: path) }
        }
    }

    /// Runs `body` with one connection to a fresh state.
    func withStore(_ body: (any RewindStore) async throws -> Void) async throws {
        try await withState { open in try await body(try await open()) }
    }
}

/// Runs `body` with the path of a state file in a fresh temporary directory, removed afterwards.
func withStatePath<T>(_ body: (String) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("rewind-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory.appendingPathComponent("rewind.db").path)
}
