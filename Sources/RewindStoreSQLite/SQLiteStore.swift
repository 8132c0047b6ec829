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
/// Errors are ``StoreError``; task cancellation surfaces as `CancellationError`.
public struct SQLiteStore: RewindStore {
    /// How long a call waits for another connection's write before failing with `store_busy`.
    public static let busyTimeout: Duration = .seconds(5)

    /// The state file.
    public let path: String
    private let pool: DatabasePool

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

    private init(path: String, pool: DatabasePool) {
        self.path = path
        self.pool = pool
    }

    // MARK: - Opening

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.label = "rewind.store"
        configuration.busyMode = .timeout(TimeInterval(busyTimeout.milliseconds) / 1000)
        return configuration
    }

    private static func openPool(path: String) throws -> DatabasePool {
        do {
            return try DatabasePool(path: path, configuration: configuration())
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

    /// Runs `body` in one immediate write transaction: all of it commits, or none of it.
    func write<T: Sendable>(_ action: String, _ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw StoreError.wrapping(error, path: path, while: action)
        }
    }
}
