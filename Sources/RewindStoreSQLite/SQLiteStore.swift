import Foundation
import GRDB
import RewindCore
import RewindPorts

/// Rewind's state in one SQLite file, through GRDB.
///
/// The file is in WAL mode, so a CLI process can read while the daemon writes; every write is
/// one `BEGIN IMMEDIATE` transaction and waits up to ``busyTimeout`` for another process's
/// write to finish. Several instances (in one process or several) may share a file: each call
/// is atomic and sees every write committed before it started.
///
/// ```swift
/// let store = try SQLiteStore(path: "/var/lib/rewind/rewind.db")   // the daemon
/// let store = try SQLiteStore.openExisting(path: path)              // the CLI
/// ```
///
/// It implements the reads, ``commit(_:)`` and the writer lease; every single write of the ports
/// is a one-part commit (`StateCommitter+SingleWrites.swift` in RewindPorts). A store bound to a
/// lease grant (``fenced(by:)``) checks the grant first inside every write transaction.
///
/// Errors are ``StoreError``, `StoreFenced` and `InvalidStateChange`; task cancellation surfaces
/// as `CancellationError`.
public struct SQLiteStore: RewindStore {
    /// How long a call waits for another connection's write before failing with `store_busy`.
    public static let busyTimeout: Duration = .seconds(5)

    /// The state file.
    public let path: String
    private let pool: DatabasePool
    /// The grant every write is fenced by; nil: writes are not checked.
    private let fence: LeaseGrant?

    /// Opens the database at `path`, creating the file (and its directory) if needed, and brings
    /// its schema up to date.
    public init(path: String) throws {
        try Self.createParentDirectory(of: path)
        self.init(path: path, pool: try Self.openPool(path: path))
        try migrate()
    }

    /// Opens a state file that must already exist, for callers that should never create one
    /// (the CLI when no daemon runs). Throws ``StoreError`` `store_missing_file` naming the path
    /// when there is no file, and `store_not_rewind_database` when the file holds no Rewind state.
    /// A file from an older Rewind is migrated forward.
    public static func openExisting(path: String) throws -> SQLiteStore {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missingFile(path) }
        let store = SQLiteStore(path: path, pool: try openPool(path: path))
        let applied = try store.pool.read { db -> Set<String> in
            guard try db.tableExists("grdb_migrations") else { return [] }
            return try Schema.migrator.appliedIdentifiers(db)
        }
        guard applied.contains(Schema.firstMigration) else { throw StoreError.notRewindDatabase(path) }
        try store.migrate()
        return store
    }

    private init(path: String, pool: DatabasePool, fence: LeaseGrant? = nil) {
        self.path = path
        self.pool = pool
        self.fence = fence
    }

    /// The same database (the same connections), every write fenced by `grant`.
    public func fenced(by grant: LeaseGrant) -> SQLiteStore {
        SQLiteStore(path: path, pool: pool, fence: grant)
    }

    // MARK: - Opening

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.label = "rewind.store"
        configuration.busyMode = .timeout(TimeInterval(busyTimeout.milliseconds) / 1000)
        // WAL with synchronous=FULL: every committed write (the journal, the outbox, the automatic
        // rollback history) is on disk when the commit returns, so it survives a power loss, not
        // only a crash of the process (NORMAL, GRDB's WAL default, may lose the last commits).
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    private static func openPool(path: String) throws -> DatabasePool {
        do {
            let pool = try DatabasePool(path: path, configuration: configuration())
            // GRDB turns WAL on for the writer connection after `prepareDatabase` and sets
            // synchronous=NORMAL with it: the writer, the one connection that commits, gets FULL back here.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            return pool
        } catch {
            throw StoreError.wrapping(error, path: path, while: "open the database")
        }
    }

    private static func createParentDirectory(of path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(
                .cannotOpen, path: path,
                message: "could not create the directory \(directory.path) for the state file \(path); "
                    + "create it or choose a writable state path")
        }
    }

    /// Applies pending migrations. Refuses a file migrated by a newer Rewind. Retries once, for the
    /// case where two processes migrate a new file at the same moment (the second run sees the
    /// first one's work and has nothing left to do).
    private func migrate() throws {
        let superseded = try perform("read the schema version") {
            try pool.read { db in try Schema.migrator.hasBeenSuperseded(db) }
        }
        guard !superseded else { throw StoreError.newerSchema(path) }
        do {
            try Schema.migrator.migrate(pool)
        } catch {
            try perform("update the schema") { try Schema.migrator.migrate(pool) }
        }
        // A reader opened before the migration (the schema version was read on one) keeps the old schema
        // until a statement fails on it: `SELECT *` would be expanded to the old columns.
        pool.invalidateReadOnlyConnections()
    }

    // MARK: - Database access

    private func perform<T>(_ action: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw StoreError.wrapping(error, path: path, while: action)
        }
    }

    /// Runs `body` in a read transaction (a consistent snapshot). `action` completes the sentence
    /// "could not …" in an error.
    func read<T: Sendable>(_ action: String, _ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw StoreError.wrapping(error, path: path, while: action)
        }
    }

    /// Runs `body` in one immediate write transaction: all of it commits, or none of it. A fenced
    /// store first checks, in the same transaction, that its grant is still the lease in force.
    func write<T: Sendable>(_ action: String, _ body: @Sendable (Database) throws -> T) async throws -> T {
        let fence = fence
        return try await writeUnfenced(action) { db in
            if let fence { try LeaseRecord.requireInForce(fence, stored: try LeaseRow.current(db)) }
            return try body(db)
        }
    }

    /// ``write(_:_:)`` without the fence check: for the lease calls, which check their own grant.
    func writeUnfenced<T: Sendable>(_ action: String, _ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw StoreError.wrapping(error, path: path, while: action)
        }
    }
}
