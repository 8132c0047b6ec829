/// The down-migration step of a service's rollback (`migration:`), as a plan orders it. The
/// command that runs it travels beside the policy, in its spec.
public struct MigrationStep: Sendable, Equatable {
    /// How long the down-migration may run.
    public var timeout: Duration
    /// Runs before the application's rollback (`before_app: true`) rather than after it, for a
    /// schema the old application cannot run against.
    public var beforeApp: Bool
    /// The migration has no down step: the step fails at once, telling people to restore from a backup.
    public var irreversible: Bool

    public init(timeout: Duration = Defaults.migrationTimeout, beforeApp: Bool = false, irreversible: Bool = false) {
        self.timeout = timeout
        self.beforeApp = beforeApp
        self.irreversible = irreversible
    }
}
