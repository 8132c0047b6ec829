import Foundation
import RewindConfig
import RewindCore
import RewindPorts
import RewindStorePostgres
import RewindStoreSQLite

/// `rewind state migrate`: copies a SQLite state (deployments, incidents with their timelines, step journals,
/// tasks and samples, the outbox, escalation timers, automatic rollbacks, the freeze, the id counters and the
/// alerts and pushed values received for `rewind replay`) into
/// an empty store, then reads both back and compares them.
///
/// Both writer leases are taken first and released at the end, so that no daemon writes to either state while
/// it moves: a daemon still running on the SQLite file makes the migration refuse (stop it first), and a daemon
/// started on the new database meanwhile waits for the lease. The copy is one transaction: it lands whole or not
/// at all. The SQLite file is left as it was.
public struct StateMigration: Sendable {
    /// How long the leases are taken for; a migration of any size Rewind keeps (retention bounds it) takes seconds.
    static let leaseTime: Duration = .seconds(600)

    public let source: SQLiteStore
    public let target: any RewindStore & StateImport
    /// Says where each state is, without secrets.
    public let sourceName: String
    public let targetName: String

    public init(source: SQLiteStore, target: any RewindStore & StateImport, targetName: String) {
        self.source = source
        self.target = target
        self.sourceName = source.path
        self.targetName = targetName
    }

    /// Closes the connections to the target.
    public func close() async {
        await (target as? PostgresStore)?.shutdown()
    }

    /// The state as copied and verified.
    public func run(now: Timestamp) async throws -> StateSnapshot {
        let holder = "rewind-state-migrate-\(UUID().uuidString.prefix(8).lowercased())"
        let until = now + Self.leaseTime
        guard let sourceGrant = try await source.acquireLease(instance: holder, now: now, until: until) else {
            let current = try await source.currentLease()
            throw AppError.unavailable(
                "a Rewind daemon holds the writer lease of \(sourceName) (\(current?.holder ?? "another instance")); "
                    + "stop it first (systemctl stop rewind), then run the migration again")
        }
        do {
            let snapshot = try await copy(holder: holder, now: now, until: until)
            try await source.releaseLease(sourceGrant)
            return snapshot
        } catch {
            try? await source.releaseLease(sourceGrant)
            throw error
        }
    }

    private func copy(holder: String, now: Timestamp, until: Timestamp) async throws -> StateSnapshot {
        guard let targetGrant = try await target.acquireLease(instance: holder, now: now, until: until) else {
            let current = try await target.currentLease()
            throw AppError.unavailable(
                "a Rewind daemon already uses \(targetName) (\(current?.holder ?? "another instance") holds its "
                    + "writer lease); a migration only fills a new, empty database")
        }
        do {
            let snapshot = try await source.exportState()
            do {
                try await target.importState(snapshot)
            } catch let notEmpty as StoreNotEmpty {
                throw AppError.other(notEmpty.message)
            }
            let copied = try await target.exportState()
            let differences = copied.differences(from: snapshot)
            guard differences.isEmpty else {
                throw AppError.other(
                    "the copy in \(targetName) does not read as \(sourceName) does (\(differences.joined(separator: ", ")) "
                        + "differ); the SQLite state is unchanged — keep using it, and drop the new database's tables "
                        + "before trying again")
            }
            try await target.releaseLease(targetGrant)
            return snapshot
        } catch {
            try? await target.releaseLease(targetGrant)
            throw error
        }
    }

    /// The lines `rewind state migrate` prints: what was copied, kind by kind.
    public static func report(_ snapshot: StateSnapshot, from source: String, to target: String) -> String {
        var lines = ["copied \(source) to \(target); both read the same:"]
        let width = snapshot.counts.map(\.kind.count).max() ?? 0
        for (kind, count) in snapshot.counts {
            lines.append("  \(kind.padding(toLength: width, withPad: " ", startingAt: 0))  \(count)")
        }
        let counters = snapshot.counters
        lines.append(
            "  next ids: incident \(counters.incidents + 1), notification \(counters.outbox + 1), "
                + "escalation timer \(counters.escalations + 1)")
        return lines.joined(separator: "\n")
    }

    /// Opens the two states `rewind state migrate` names: the SQLite file `from` (which must exist), and the
    /// PostgreSQL database `to` or, without it, the `state:` of the policy at `configPath`.
    public static func open(
        from: String, to: String?, configPath: String?, environment: [String: String]
    ) async throws -> StateMigration {
        let source: SQLiteStore
        do {
            source = try SQLiteStore.openExisting(path: from)
        } catch let error as any RewindError {
            throw AppError.unavailable("--from: \(error.message)")
        }
        let settings: PostgresSettings
        if let to {
            settings = try postgresSettings(url: to, environment: environment)
        } else {
            let configuration = try Composition.loadConfiguration(configPath ?? "rewind.yaml")
            guard let url = configuration.stateDatabaseURL else {
                throw AppError.usage(
                    "the state: of \(configuration.sourcePath) is a SQLite file (\(configuration.statePath)); point it "
                        + "at postgresql://… or pass --to")
            }
            do {
                settings = try PostgresSettings(url: url)
            } catch let error as any RewindError {
                throw AppError.config(error.message)
            }
        }
        let target: PostgresStore
        do {
            target = try await PostgresStore.open(settings)
        } catch let error as any RewindError {
            throw AppError.unavailable(error.message)
        }
        return StateMigration(source: source, target: target, targetName: settings.description)
    }

    /// The PostgreSQL database `--to` names. The password is never taken from the URL (a command line is visible
    /// to every user of the machine): it comes from `PGPASSWORD`, as for `psql`.
    public static func postgresSettings(url: String, environment: [String: String]) throws -> PostgresSettings {
        var settings: PostgresSettings
        do {
            settings = try PostgresSettings(url: url)
        } catch let error as any RewindError {
            throw AppError.usage("--to: \(error.message)")
        }
        guard settings.password == nil else {
            throw AppError.usage(
                "--to: write the URL without its password (a command line is visible to every user of this machine) "
                    + "and export it as PGPASSWORD")
        }
        settings.password = environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        return settings
    }
}
