import ArgumentParser
import Foundation
import RewindApp

extension Rewind {
    struct State: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work with Rewind's state database.", subcommands: [Migrate.self])

        struct Migrate: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Copy a SQLite state into an empty PostgreSQL database, then verify the copy.",
                discussion: """
                    Stop the daemon first: the migration takes the writer lease of both states and refuses while a \
                    daemon holds the SQLite one. The target is --to (a URL without its password; the password is \
                    read from PGPASSWORD) or the `state:` of --config. The copy is one transaction; the SQLite file \
                    is left as it was.
                    """)

            @Option(name: .long, help: "The SQLite state file to copy (the `state:` path it was used with).")
            var from: String
            @Option(name: .long, help: "postgresql://user@host:5432/database?sslmode=… (password in PGPASSWORD).")
            var to: String?
            @Option(name: .shortAndLong, help: "A policy whose `state:` is the PostgreSQL database to fill.")
            var config: String?

            func validate() throws {
                guard (to == nil) != (config == nil) else {
                    throw ValidationError("name the target with either --to or --config")
                }
            }

            func run() async throws {
                try await guarded {
                    let migration = try await StateMigration.open(
                        from: from, to: to, configPath: config, environment: ProcessInfo.processInfo.environment)
                    do {
                        let snapshot = try await migration.run(now: systemNow())
                        print(StateMigration.report(snapshot, from: migration.sourceName, to: migration.targetName))
                        await migration.close()
                    } catch {
                        await migration.close()
                        throw error
                    }
                }
            }
        }
    }
}
