import Foundation
import RewindConfig
import RewindPorts
import RewindStorePostgres
import RewindStoreSQLite

/// The state `state:` names, for the CLI's commands that only look at it (`rewind drill`, `rewind diff`): the
/// PostgreSQL database, or the SQLite file when it exists — they never create one.
enum ExistingState {
    /// Nil when `state:` is a SQLite file not created yet (Rewind has recorded nothing).
    static func open(_ configuration: RewindConfiguration) async throws -> (any RewindStore)? {
        if configuration.stateDatabaseURL != nil { return try await Composition.openStore(configuration) }
        guard FileManager.default.fileExists(atPath: configuration.statePath) else { return nil }
        return try SQLiteStore.openExisting(path: configuration.statePath)
    }

    /// Runs `body` on the state, then closes a PostgreSQL state's connections; nil when there is no state yet.
    static func reading<T>(
        _ configuration: RewindConfiguration, _ body: (any RewindStore) async throws -> T
    ) async throws -> T? {
        guard let store = try await open(configuration) else { return nil }
        do {
            let result = try await body(store)
            await close(store)
            return result
        } catch {
            await close(store)
            throw error
        }
    }

    private static func close(_ store: any RewindStore) async {
        await (store as? PostgresStore)?.shutdown()
    }
}
