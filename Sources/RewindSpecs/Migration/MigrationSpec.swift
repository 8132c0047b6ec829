import RewindCore

/// A service's database migration step: the "down" command that undoes the schema change a bad
/// deployment brought (the guide's "Database Migrations: rollback migration … depends on your
/// migration system"), run as part of the service's rollback.
///
/// `rollback` is an argument vector, never a shell line; `{{service}}`, `{{target.id}}`,
/// `{{target.version}}`, `{{current.id}}` and `{{incident.id}}` are filled inside single arguments.
public struct MigrationSpec: Sendable, Equatable {
    public static let defaultTimeout: Duration = Defaults.migrationTimeout

    /// The down-migration command, e.g. `[./migrate, down, --to, "{{target.version}}"]`. Empty only
    /// when `irreversible`.
    public var rollback: [String]
    /// When the migration runs relative to the application's rollback. Default `false`: after it.
    ///
    /// The guide lists the database last, after the services ("Database (if needed)"), and schema
    /// changes are usually expand-then-contract: the old application still runs on the new schema,
    /// while the new application breaks the moment its schema is taken away. Rolling the
    /// application back first keeps every moment of the rollback served by a compatible pair. Set
    /// `true` for a migration the old application cannot run against (a renamed column, a new
    /// constraint it would violate).
    public var beforeApp: Bool
    /// The migration has no down step (data was dropped or rewritten): Rewind runs nothing and
    /// the step fails permanently, telling people to restore from a backup.
    public var irreversible: Bool
    public var timeout: Duration?
    /// Added to the minimal environment the migration runs with (`ChildEnvironment.minimal`), e.g.
    /// `DATABASE_URL: ${DATABASE_URL}`.
    public var environment: [String: ConfigText]
    public var workingDirectory: String?

    public init(
        rollback: [String],
        beforeApp: Bool = false,
        irreversible: Bool = false,
        timeout: Duration? = nil,
        environment: [String: ConfigText] = [:],
        workingDirectory: String? = nil
    ) {
        self.rollback = rollback
        self.beforeApp = beforeApp
        self.irreversible = irreversible
        self.timeout = timeout
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// What a plan needs of this migration: its timeout, its order and whether it can run at all.
    public var step: MigrationStep {
        MigrationStep(timeout: timeout ?? Self.defaultTimeout, beforeApp: beforeApp, irreversible: irreversible)
    }
}
